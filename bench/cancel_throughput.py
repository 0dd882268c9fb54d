"""Benchmark 1: end-to-end cancel throughput over HTTP, side by side with ``pgbench -N``.

What it measures: N homeowner requests, each verified and with its written statement, are
cancelled through ``POST /api/v1/requests/{id}/cancel`` (with the job's ``If-Match`` and an
``Idempotency-Key``, as the API requires) by 16 concurrent clients against real
``rescind serve`` processes on PostgreSQL. Each cancel is the whole procedure in one
transaction: the eligibility decision recorded, the job to Cancel Pending (rejecting and
submitting a pending review first where rule 2 says so), the feed comment, the signers'
notice in the outbox, the request closed, every step in the hash-chained trail. Reported:
cancels/s and p50/p95/p99 latency, then — in the same run, on the same server —
the same cancels against the reference (``bench/reference_cancel.py``: the same statements in
one transaction, the leanest Python), then ``pgbench -N -c 16 -j 2 -T <the same duration>``,
the database's own write limit. For rescind and the reference: app and PostgreSQL CPU per
cancel (``bench/postgres_cost.py``), transactions and rows written per cancel, connections
opened, and the ratios. Goals: rescind ≥ 80 % of the reference, ≥ 350 cancels/s, p99
< 100 ms. Every answer must be 200 and a new Cancel Pending, and each database is checked
afterwards (jobs pending, requests closed, notices queued), so the figure counts only real
cancels.

Setup (not measured): its own database ``rescind_bench_cancel`` and the reference's
``rescind_bench_cancel_reference``, migrated and bulk-loaded alike by
``bench.dataset --cancellable``; pgbench's own ``rescind_bench_pgbench`` (scale 10). All three are
dropped at the end unless ``--keep``. The client is ``http.client`` in threads, one
keep-alive connection each; its CPU and the servers' CPU are reported too, since on two
cores they share the machine with PostgreSQL. Several server processes (``--servers``,
default 2, one per core) let the Python side use both cores; clients are spread over them.

    make bench-cancel
    .venv/bin/python -m bench.cancel_throughput --jobs 5000 --clients 16 --servers 2
    .venv/bin/python -m bench.cancel_throughput --quick    # a few seconds, proves it works
"""

from __future__ import annotations

import argparse
import math
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.dataset import load
from bench.postgres import DEFAULT_SERVER, conninfo, create_database, create_empty, drop_database
from bench.postgres_cost import Backends, database_work
from bench.report import machine, ms, percentile, table
from bench.serving import API, Client, login, profiling, reference_servers, servers

GOAL_RATIO = 0.80  # of the reference's cancels/s
GOAL_RATE = 350
GOAL_P99_S = 0.100
COLUMNS = ["", "done", "seconds", "per second", "p50 ms", "p95 ms", "p99 ms"]
COLUMNS += ["app CPU ms", "PG CPU ms", "transactions", "rows written", "connects"]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    transactions: int = 0
    rows: int = 0
    connections: int = 0

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def per_cancel(self, value: float) -> float:
        return value / self.done if self.done else 0.0


@dataclass(frozen=True)
class Pgbench:
    transactions: int
    seconds: int
    tps: float
    latency_ms: float


def cancel_all(ports: list[int], token: str, request_ids: list[str], clients: int) -> Run:
    """Cancel every request with ``clients`` threads, each on its own keep-alive connection."""
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for request_id in request_ids:
        work.put(request_id)
    run = Run()
    lock = threading.Lock()

    def client(index: int) -> None:
        connection = Client(ports[index % len(ports)], token)
        mine: list[float] = []
        failed: list[str] = []
        try:
            while True:
                try:
                    request_id = work.get_nowait()
                except queue.Empty:
                    break
                status, body, seconds = connection.call(
                    "POST",
                    f"{API}/requests/{request_id}/cancel",
                    {},
                    {"If-Match": '"0"', "Idempotency-Key": f"bench-cancel-{request_id}"},
                )
                mine.append(seconds)
                if status != 200 or body.get("already_pending") is not False:
                    failed.append(f"{request_id}: {status} {body}")
        finally:
            connection.close()
            with lock:
                run.latencies.extend(mine)
                run.failures.extend(failed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    cpu, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    run.client_cpu = time.process_time() - cpu
    return run


def check_database(url: str, request_ids: list[str]) -> list[str]:
    """What the database says, against what the answers said: nothing half-done."""
    problems: list[str] = []
    with psycopg.connect(conninfo(url)) as conn:
        pending = conn.execute(
            "SELECT count(*) FROM job j JOIN cancellation_request r ON r.job_id = j.id "
            "WHERE r.id = ANY(%s) AND j.status = 'cancel_pending' AND j.final_at IS NOT NULL "
            "AND r.outcome = 'cancel_pending'",
            [request_ids],
        ).fetchone()
        notices = conn.execute(
            "SELECT count(*) FROM outbox_message WHERE kind = 'cancellation_notice' "
            "AND status = 'queued'"
        ).fetchone()
    if pending is None or pending[0] != len(request_ids):
        problems.append(f"{pending} of {len(request_ids)} jobs are cancel pending")
    if notices is None or notices[0] != len(request_ids):
        problems.append(f"{notices} notices queued for {len(request_ids)} cancels")
    return problems


def pgbench(server: str, database: str, *, scale: int, clients: int, seconds: int) -> Pgbench:
    """``pgbench -N`` on its own freshly initialised database on the same server."""
    create_empty(server, database)
    url = make_url(server)
    common = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    common += ["-U", url.username or "postgres"]
    exe = shutil.which("pgbench") or "pgbench"
    subprocess.run(  # noqa: S603 - pgbench with our own arguments
        [exe, *common, "-i", "-q", "-s", str(scale), database],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(  # noqa: S603
        [exe, *common, "-n", "-N", "-c", str(clients), "-j", "2", "-T", str(seconds), database],
        check=True,
        capture_output=True,
        text=True,
    )
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    count = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    if not (tps and count and latency):
        raise RuntimeError(f"could not read pgbench's output:\n{done.stdout}")
    return Pgbench(int(count.group(1)), seconds, float(tps.group(1)), float(latency.group(1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="the PostgreSQL server")
    parser.add_argument("--database", default="rescind_bench_cancel")
    parser.add_argument("--pgbench-database", default="rescind_bench_pgbench")
    parser.add_argument("--jobs", type=int, default=5000, help="cancels to make")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--servers", type=int, default=2, help="rescind serve processes")
    parser.add_argument("--scale", type=int, default=10, help="pgbench's scale factor")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    parser.add_argument(
        "--profile", type=Path, help="py-spy each server during the cancels, into this folder"
    )
    parser.add_argument(
        "--gil", action="store_true", help="with --profile: sample only the GIL's holder"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to prove it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.clients, args.servers, args.scale = 40, 4, 1, 1
    reference_db = f"{args.database}_reference"
    url = create_database(args.url, args.database)
    reference_url = create_database(args.url, reference_db)
    try:
        print(f"loading {args.jobs:,} verified requests into {args.database} …", flush=True)
        loaded = load(url, jobs=args.jobs, events=args.jobs * 5, cancellable=True)
        print(f"and into {reference_db} for the reference …", flush=True)
        same = load(reference_url, jobs=args.jobs, events=args.jobs * 5, cancellable=True)
        with tempfile.TemporaryDirectory(prefix="rescind-bench-") as tmp:
            commits, rows = database_work(args.url, args.database)
            with servers(url, args.servers, Path(tmp)) as started:
                ports = [s.port for s in started]
                token = login(ports[0])
                server_cpu = sum(s.cpu_seconds() for s in started)
                with (
                    Backends(args.url, args.database) as postgres,
                    profiling(started, args.profile, gil=args.gil),
                ):
                    run = cancel_all(ports, token, loaded.cancellable, args.clients)
                run.server_cpu = sum(s.cpu_seconds() for s in started) - server_cpu
                run.postgres_cpu, run.connections = postgres.cpu_seconds, postgres.started
            after = database_work(args.url, args.database)
            run.transactions, run.rows = after[0] - commits, after[1] - rows
            commits, rows = database_work(args.url, reference_db)
            with reference_servers(conninfo(reference_url), args.servers, Path(tmp)) as started:
                ports = [s.port for s in started]
                server_cpu = sum(s.cpu_seconds() for s in started)
                with Backends(args.url, reference_db) as postgres:
                    lean = cancel_all(ports, "", same.cancellable, args.clients)
                lean.server_cpu = sum(s.cpu_seconds() for s in started) - server_cpu
                lean.postgres_cpu, lean.connections = postgres.cpu_seconds, postgres.started
            after = database_work(args.url, reference_db)
            lean.transactions, lean.rows = after[0] - commits, after[1] - rows
        run.failures += check_database(url, loaded.cancellable)
        lean.failures += [f"reference {f}" for f in check_database(reference_url, same.cancellable)]
        seconds = max(1, math.ceil(run.seconds))
        bench = pgbench(
            args.url,
            args.pgbench_database,
            scale=args.scale,
            clients=args.clients,
            seconds=seconds,
        )
    finally:
        if not args.keep:
            drop_database(args.url, args.database)
            drop_database(args.url, reference_db)
            drop_database(args.url, args.pgbench_database)
    return report(args, run, lean, bench)


def report(args: argparse.Namespace, run: Run, lean: Run, bench: Pgbench) -> int:
    def row(label: str, r: Run) -> list[str]:
        return [
            label,
            f"{r.done:,}",
            f"{r.seconds:.1f}",
            f"{r.rate:.0f}",
            ms(percentile(r.latencies, 50)),
            ms(percentile(r.latencies, 95)),
            ms(percentile(r.latencies, 99)),
            f"{r.per_cancel(r.server_cpu) * 1000:.1f}",
            f"{r.per_cancel(r.postgres_cpu) * 1000:.1f}",
            f"{r.per_cancel(r.transactions):.1f}",
            f"{r.per_cancel(r.rows):.1f}",
            f"{r.connections:,}",
        ]

    table(
        f"Cancel throughput: {args.clients} clients, {args.servers} server processes, PostgreSQL",
        COLUMNS,
        [
            row("rescind cancels over HTTP", run),
            row("reference (same SQL, 1 transaction)", lean),
            [
                f"pgbench -N -c {args.clients} -j 2 (scale {args.scale})",
                f"{bench.transactions:,}",
                f"{bench.seconds}",
                f"{bench.tps:.0f}",
                f"avg {bench.latency_ms:.1f}",
                *[""] * 7,
            ],
        ],
    )
    p99 = percentile(run.latencies, 99)
    ratio = run.rate / lean.rate if lean.rate else 0.0
    print(
        f"rescind / reference: {ratio:.1%} of the reference's cancels/s (goal ≥ {GOAL_RATIO:.0%}),"
        f" p99 {ratio_of(p99, percentile(lean.latencies, 99))},"
        f" app CPU {ratio_of(run.per_cancel(run.server_cpu), lean.per_cancel(lean.server_cpu))},"
        f" PostgreSQL CPU"
        f" {ratio_of(run.per_cancel(run.postgres_cpu), lean.per_cancel(lean.postgres_cpu))}"
    )
    print(
        f"rescind: {run.rate:.0f} cancels/s (goal ≥ {GOAL_RATE}), p99 {ms(p99)} ms"
        f" (goal < {GOAL_P99_S * 1000:.0f} ms); {run.rate / bench.tps:.1%} of pgbench's TPS"
    )
    print(
        "statements per cancel: rescind's from `make bench-cancel-statements`; the reference"
        " runs the same use-case statements in 1 transaction"
    )
    print(
        f"CPU during rescind's cancels: client {run.client_cpu:.1f} s "
        f"({run.client_cpu / run.seconds:.0%} of one core), servers {run.server_cpu:.1f} s "
        f"({run.server_cpu / run.seconds:.0%}); PG CPU from /proc of the database's backends "
        "(pg_stat_statements is not preloaded; a lower bound when connects > 0); transactions "
        "and rows from pg_stat_database and pg_stat_user_tables, server start and login included"
    )
    print(f"machine: {machine()}")
    failures = run.failures + lean.failures
    for failure in failures[:10]:
        print(f"FAILED {failure}")
    if failures:
        print(f"{len(failures)} cancels failed or were not in the database")
        return 1
    return 0


def ratio_of(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.1f}×" if theirs else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
