"""What signed audit checkpoints cost: issuing one, and verifying the trail against it.

With 1 M jobs and 10 M audit events (``bench.dataset``, hash chains valid) in a database of
its own, it times the service functions the CLI and the worker call: ``issue_checkpoint``
(every stream head read, the Merkle tree built, signed, the document written), the trail
verified against that checkpoint (one streaming pass over every record), the plain ``audit
verify`` (the same pass, no checkpoint), and one job's proof (the document read back, the
audit path computed). It also reports the document's size and this process's peak memory:
the pass must not hold the trail in memory.

    make bench-checkpoint
    .venv/bin/python -m bench.audit_checkpoint --jobs 1000000 --events 10000000
    .venv/bin/python -m bench.audit_checkpoint --database rescind_bench_reads --reuse
        # benchmark 4's data, if it is still loaded
    .venv/bin/python -m bench.audit_checkpoint --quick    # seconds, proves it works
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.dataset import load
from bench.postgres import DEFAULT_SERVER, conninfo, create_database, database_url, exists
from bench.postgres import drop_database as drop
from bench.report import machine, table
from rescind.adapters.checkpoint_archive import DirectoryArchive
from rescind.adapters.db.migrate import upgrade
from rescind.adapters.signing import Ed25519Signer
from rescind.bootstrap import bootstrap
from rescind.config import Settings
from rescind.domain.access import Actor
from rescind.services.audit import verify_trail
from rescind.services.checkpoints import issue_checkpoint, prove_job, verify_against_checkpoint

ACTOR = Actor.system("bench")


def prepare(args: argparse.Namespace) -> str:
    url = database_url(args.url, args.database)
    if args.reuse and exists(args.url, args.database):
        with psycopg.connect(conninfo(url)) as conn:
            row = conn.execute("SELECT count(*) FROM job").fetchone()
        if row and row[0] >= args.jobs:
            print(f"reusing {args.database}: {row[0]:,} jobs", flush=True)
            upgrade(url)
            return url
    url = create_database(args.url, args.database)
    print(f"loading {args.jobs:,} jobs and {args.events:,} audit events …", flush=True)
    loaded = load(url, jobs=args.jobs, events=args.events)
    print(f"loaded in {loaded.seconds:.0f} s", flush=True)
    return url


def measure(url: str, directory: Path) -> tuple[list[list[str]], bool]:
    app = bootstrap(Settings(database_url=url))
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    archive = DirectoryArchive(directory)
    rows: list[list[str]] = []
    try:
        began = time.perf_counter()
        issued = issue_checkpoint(app.ctx, signer, archive, actor=ACTOR)
        checkpoint_s = time.perf_counter() - began
        assert issued is not None
        document = archive.read(issued.name)
        rows.append(["issue a checkpoint", f"{checkpoint_s:.2f}", f"{issued.head.tree_size:,}"])

        began = time.perf_counter()
        against = verify_against_checkpoint(app.ctx, document, signer.verifier(), actor=ACTOR)
        rows.append(["verify against it", f"{time.perf_counter() - began:.2f}",
                     f"{against.records:,}"])  # fmt: skip

        began = time.perf_counter()
        plain = verify_trail(app.ctx, actor=ACTOR)
        rows.append(["plain audit verify", f"{time.perf_counter() - began:.2f}",
                     f"{plain.records:,}"])  # fmt: skip

        streams = [leaf[0] for leaf in json.loads(document)["leaves"]]
        job = next(s for s in reversed(streams) if s.startswith("job:"))
        began = time.perf_counter()
        proof = prove_job(app.ctx, job[4:], archive, signer.verifier(), actor=ACTOR)
        rows.append(["prove one job", f"{time.perf_counter() - began:.2f}",
                     f"{len(proof.audit_path)} hashes"])  # fmt: skip
    finally:
        app.engine.dispose()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(["checkpoint document", f"{len(document) / 1e6:.1f} MB", ""])
    rows.append(["peak memory of this process", f"{peak_mib:.0f} MiB", ""])
    return rows, against.ok and plain.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server")
    parser.add_argument("--database", default="rescind_bench_checkpoint")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to prove it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.events = 300, 3000
    url = prepare(args)
    try:
        with tempfile.TemporaryDirectory(prefix="rescind-bench-checkpoints-") as tmp:
            rows, ok = measure(url, Path(tmp))
    finally:
        if not args.reuse:
            drop(args.url, args.database)
    table(
        f"Audit checkpoints: {args.jobs:,} jobs, {args.events:,} audit events, PostgreSQL",
        ["step", "seconds", "of"],
        rows,
    )
    print(f"machine: {machine()}")
    if not ok:
        print("FAILED: the freshly loaded trail did not verify")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
