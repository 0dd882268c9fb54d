"""Coverage-guided fuzzing (atheris, libFuzzer) of inbound email: bytes → parser → filing → DB.

    python -m fuzz.email_parser [--store sqlite|postgres] [--seconds S] [--runs N]

Defaults come from ``FUZZ_SECONDS`` (60) and ``FUZZ_RUNS`` (0: no limit but time). The stdlib
``email`` package and rescind's inbound path are instrumented, so libFuzzer keeps the inputs
that reach new branches of the MIME parser. The corpus starts from ``mime_shapes`` and is kept
in ``var/fuzz/email-corpus`` between runs; a crashing input is written to ``var/fuzz/``
(``--out`` moves both).

libFuzzer ends the process with a C ``exit`` (no ``finally``, no ``atexit``), so the bound is
checked here, in the target: once reached it prints the executions, drops the database and
leaves with ``os._exit``. Instrumented, the process grows with every execution; past
``RSS_BUDGET_MB`` it replaces itself (``exec``) with a fresh one that carries the counts and
the deadline on and starts from the corpus on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["email", "rescind.adapters.mail", "rescind.services"]):
    from fuzz.filing import STORES, open_filing
    from fuzz.mime_shapes import SHAPES

OUT = Path("var/fuzz")
DICTIONARY = Path(__file__).with_name("mime.dict")  # MIME tokens for libFuzzer to splice in
MAX_LEN = 16_384
RSS_BUDGET_MB = int(os.environ.get("FUZZ_RSS_MB", "1024"))  # resident MB before a fresh process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fuzz.email_parser", description=__doc__)
    parser.add_argument("--store", choices=STORES, default="sqlite")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 60)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("FUZZ_RUNS", 0)))
    parser.add_argument("--out", type=Path, default=OUT, help="corpus and crashing inputs")
    # What a process hands on to the fresh one it becomes (see ``restart``).
    parser.add_argument("--carried", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    carried = Carried.from_json(args.carried) if args.carried else Carried.first(args.seconds)

    out: Path = args.out
    corpus = out / "email-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(SHAPES.values()):
        (corpus / f"seed-{n:02d}.eml").write_bytes(data)

    filing = open_filing(args.store)
    filing.executions = carried.executions
    filing.outcomes.update(carried.outcomes)

    def finish(code: int) -> None:
        took = time.time() - carried.started_at
        print(
            f"\nemail fuzzer ({args.store}): {filing.executions} executions in {took:.1f} s "
            f"({filing.executions / max(took, 1e-9):.0f}/s, {carried.restarts} restarts), "
            f"outcomes {dict(filing.outcomes)}",
            flush=True,
        )
        filing.close()
        os._exit(code)

    def restart() -> None:
        # Atheris' instrumentation grows the process by ~50 KB an execution, and libFuzzer
        # kills it at 2 GB; a fresh process goes on from the corpus on disk.
        filing.close()
        handed = Carried(
            started_at=carried.started_at,
            deadline=carried.deadline,
            executions=filing.executions,
            outcomes=dict(filing.outcomes),
            restarts=carried.restarts + 1,
        )
        print(f"\nemail fuzzer: {filing.executions} executions, a fresh process", flush=True)
        again = ["--store", args.store, "--runs", str(args.runs), "--out", str(out)]
        command = [sys.executable, "-m", "fuzz.email_parser", *again, "--carried", handed.json()]
        os.execv(sys.executable, command)  # noqa: S606 - this very program, our own arguments

    def one_input(data: bytes) -> None:
        try:
            filing.check(data)
        except BaseException:
            # libFuzzer reports the traceback and saves the input; the database goes first.
            filing.close()
            raise
        if time.time() > carried.deadline or (args.runs and filing.executions >= args.runs):
            finish(0)
        if filing.executions % 100 == 0 and _rss_mb() > RSS_BUDGET_MB:
            restart()

    atheris.Setup(
        [
            sys.argv[0],
            f"-max_len={MAX_LEN}",
            # libFuzzer's RSS limit reads the peak (ru_maxrss), which a process started by a
            # large parent inherits (a long pytest run: 2.5 GB before the first input), so it
            # is off; RSS_BUDGET_MB above watches the resident size, and one input still may
            # not allocate more than this:
            "-rss_limit_mb=0",
            "-malloc_limit_mb=2048",
            f"-dict={DICTIONARY}",
            f"-artifact_prefix={out}/",
            f"-max_total_time={int(carried.deadline - time.time()) + 60}",  # a backstop only
            "-print_final_stats=0",
            str(corpus),
        ],
        one_input,
    )
    atheris.Fuzz()
    finish(0)  # only if libFuzzer returns, which it does not when the corpus is given


@dataclass(frozen=True)
class Carried:
    """The run so far, across the fresh processes it restarts into."""

    started_at: float
    deadline: float
    executions: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    restarts: int = 0

    @classmethod
    def first(cls, seconds: float) -> Carried:
        now = time.time()
        return cls(started_at=now, deadline=now + seconds)

    @classmethod
    def from_json(cls, text: str) -> Carried:
        return cls(**json.loads(text))

    def json(self) -> str:
        return json.dumps(asdict(self))


def _rss_mb() -> float:
    """Resident now; not ``ru_maxrss``, a peak that survives ``exec`` into the fresh process."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


if __name__ == "__main__":
    main()
