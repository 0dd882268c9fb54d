"""Benchmark 3: a 1 M-job CSV imported into PostgreSQL by the real CLI, goal under 60 s.

What it measures: the wall time of ``rescind jobs import FILE.csv`` run as a subprocess (the
process start, reading and checking every row, and writing jobs, homeowners, installers and
sales reps), against a fresh database created for the run and upgraded with
``rescind db upgrade``. Generating the CSV is timed apart and not part of the figure.
Afterwards it checks that the database holds exactly the rows of the file.

Run it::

    make bench-import                       # 1 M jobs
    .venv/bin/python -m bench.import_jobs --jobs 1000000 --url postgresql+psycopg://…
    .venv/bin/python -m bench.import_jobs --quick   # a few thousand rows, seconds (smoke test)

The database is ``rescind_bench_import`` (``--database``), dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from bench.cli_runs import print_table, rescind, scalar
from bench.jobs_csv import write_jobs_csv
from bench.postgres import DEFAULT_SERVER, drop_database
from bench.postgres import create_empty as create_database

GOAL_SECONDS = 60.0
TINY_JOBS = 3000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--database", default="rescind_bench_import")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help=f"{TINY_JOBS} jobs, for a smoke test")
    parser.add_argument("--csv", type=Path, help="reuse (or keep) the CSV at this path")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    jobs = TINY_JOBS if args.quick else args.jobs

    with tempfile.TemporaryDirectory(prefix="rescind-bench-") as tmp:
        path = args.csv or Path(tmp) / "jobs.csv"
        started = time.perf_counter()
        if not path.exists():
            write_jobs_csv(path, jobs)
        generated = time.perf_counter() - started
        size = path.stat().st_size

        url = create_database(args.url, args.database)
        try:
            rescind(url, ["db", "upgrade"])
            run = rescind(url, ["jobs", "import", str(path)])
            engine = create_engine(url)
            try:
                found = scalar(engine, "SELECT count(*) FROM job")
                homeowners = scalar(engine, "SELECT count(*) FROM homeowner")
            finally:
                engine.dispose()
        finally:
            if not args.keep:
                drop_database(args.url, args.database)

    if found != jobs:
        raise SystemExit(f"expected {jobs} jobs in the database, found {found}")
    projected = 1_000_000 * run.seconds / jobs
    verdict = (
        ("met" if run.seconds < GOAL_SECONDS else "MISSED")
        if jobs >= 1_000_000
        else f"not judged at this size (1 M at this rate: {projected:.0f} s)"
    )
    print_table(
        "Import: rescind jobs import FILE.csv into PostgreSQL",
        [
            ("jobs in the file", f"{jobs:,}"),
            ("jobs in the database after", f"{found:,} (homeowners {homeowners:,})"),
            ("CLI output", run.stdout.strip()),
            ("wall time (whole CLI process)", f"{run.seconds:.1f} s"),
            ("rows/s", f"{jobs / run.seconds:,.0f}"),
            ("goal", f"< {GOAL_SECONDS:.0f} s for 1 M jobs: {verdict}"),
            ("CSV generation (not measured)", f"{generated:.1f} s, {size / 1e6:,.0f} MB"),
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
