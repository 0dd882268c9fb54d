"""Benchmark 2: the finalisation sweep at scale, goal >= 10 k finalizations/s, and a cost that
follows the jobs due, not the table: 1 M and 3 M jobs with the same 100 k due within 20 %.

For each size it builds a fresh PostgreSQL database (``rescind_bench_sweep``) by bulk SQL
(``sweep_data.py``): jobs of every model and milestone, ``--due`` of them cancel_pending with
their window ended as a real cancel leaves them (fields, calendar version, audit record), and
10 % as many again with windows still open. The database is then VACUUM ANALYZEd, as a live
one would be. Setting up is timed but not part of the figure.

What it measures: the service function ``sweep`` (what ``rescind worker`` runs each round) with
the worker's batch size of 500, in this process, from the first batch to the last; with
``--sweepers N``, N such sweeps at once in N processes (N workers), from the moment all are
ready to the end of the last. It reports the CPU time the sweeping process(es) used, so a
figure taken on a busy machine shows how much was waiting. Then it
checks that every due job is cancelled with exactly one ``workflow_cancelled`` audit record
and one ``final_cancellation`` outbox row, that the open windows are untouched, and that the
hash chains of a sample of the finalized jobs verify. It prints the plan of the due-jobs query
(it must use the partial index ``ix_job_pending_final_at``).

Run it::

    make bench-sweep                                   # 1 M and 3 M jobs, 100 k due
    .venv/bin/python -m bench.sweep_scale --jobs 1000000 --jobs 3000000 --due 100000
    .venv/bin/python -m bench.sweep_scale --quick       # 2 000 jobs, 200 due (smoke test)

``--url`` names the PostgreSQL server; ``--keep`` keeps the database of the last size.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from bench.cli_runs import print_table, rescind, scalar
from bench.postgres import DEFAULT_SERVER, drop_database
from bench.postgres import create_empty as create_database
from bench.sweep_data import Shape, populate
from rescind.bootstrap import App, bootstrap
from rescind.config import Settings
from rescind.domain.audit import job_stream, verify_stream
from rescind.services.sweep import SweepReport, sweep

GOAL_PER_SECOND = 10_000
GOAL_RATIO = 1.20
WORKER_BATCH = 500
SAMPLE_STREAMS = 500
_INDEX = "ix_job_pending_final_at"


@dataclass(frozen=True)
class Result:
    jobs: int
    due: int
    setup_seconds: float
    sweep_seconds: float
    cpu_seconds: float
    sweepers: int
    batches: int
    conflicts: int
    plan: str

    @property
    def per_second(self) -> float:
        return self.due / self.sweep_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--database", default="rescind_bench_sweep")
    parser.add_argument("--jobs", type=int, action="append", help="total jobs (repeatable)")
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2 000 jobs, 200 due")
    parser.add_argument("--keep", action="store_true", help="keep the last database")
    parser.add_argument(
        "--sweepers", type=int, default=1, help="sweeps at once, each its own process (workers)"
    )
    args = parser.parse_args(argv)
    sizes = [2000] if args.quick else (args.jobs or [1_000_000, 3_000_000])
    due = 200 if args.quick else args.due

    results = []
    for n, jobs in enumerate(sizes):
        last = n == len(sizes) - 1
        shape = Shape(jobs, due)
        results.append(run(args.url, args.database, shape, args.sweepers, keep=args.keep and last))
    report(results)
    return 0


def run(server: str, database: str, shape: Shape, sweepers: int, *, keep: bool) -> Result:
    started = time.perf_counter()
    url = create_database(server, database)
    try:
        rescind(url, ["db", "upgrade"])
        app = bootstrap(Settings(database_url=url))
        try:
            populate(app, shape)
            setup_seconds = time.perf_counter() - started
            plan = due_plan(app.engine)
            swept, sweep_seconds, cpu_seconds = (
                _sweep_here(app) if sweepers == 1 else _sweep_apart(url, sweepers)
            )
            check(app, shape, swept.finalized)
        finally:
            app.engine.dispose()
    finally:
        if not keep:
            drop_database(server, database)
    return Result(
        shape.jobs,
        shape.due,
        setup_seconds,
        sweep_seconds,
        cpu_seconds,
        sweepers,
        swept.batches,
        swept.conflicts,
        plan,
    )


def _sweep_here(app: App) -> tuple[SweepReport, float, float]:
    began, began_cpu = time.perf_counter(), time.process_time()
    swept = sweep(app.ctx, batch_size=WORKER_BATCH)
    return swept, time.perf_counter() - began, time.process_time() - began_cpu


def _sweep_apart(url: str, sweepers: int) -> tuple[SweepReport, float, float]:
    """Several sweeps at once, as several ``rescind worker`` processes would run them; timed
    from the moment all are ready to the last one's end."""
    mp = multiprocessing.get_context("spawn")
    ready, start, done = mp.Queue(), mp.Event(), mp.Queue()
    processes = [
        mp.Process(target=_sweeper, args=(url, ready, start, done)) for _ in range(sweepers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    began = time.perf_counter()
    start.set()
    reports = [done.get(timeout=3600) for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join(timeout=60)
    total = SweepReport(
        finalized=sum(r.finalized for r, _ in reports),
        batches=sum(r.batches for r, _ in reports),
        conflicts=sum(r.conflicts for r, _ in reports),
    )
    return total, seconds, sum(cpu for _, cpu in reports)


def _sweeper(url: str, ready: Any, start: Any, done: Any) -> None:
    app = bootstrap(Settings(database_url=url))
    ready.put(True)
    start.wait(timeout=120)
    began_cpu = time.process_time()
    swept = sweep(app.ctx, batch_size=WORKER_BATCH)
    done.put((swept, time.process_time() - began_cpu))
    app.engine.dispose()


def due_plan(engine: Engine) -> str:
    """EXPLAIN of the sweep's claim query (the one ``due_for_finalization`` sends)."""
    with engine.connect() as connection:
        lines = connection.execute(text(_DUE_EXPLAIN), {"now": datetime.now(UTC)}).scalars()
        return "\n".join(lines)


def check(app: App, shape: Shape, finalized: int) -> None:
    """Every due job finalized once, with its audit record and its email; nothing else moved."""
    open_count = len(range(2, shape.open_until + 1, shape.stride))
    found = {
        "finalized": finalized,
        "due jobs now cancelled": scalar(
            app.engine,
            "SELECT count(*) FROM job WHERE status = 'cancelled' AND cancelled_at = final_at "
            f"AND CAST(substring(id FROM 5) AS integer) % {shape.stride} = 1",
        ),
        "still due": scalar(
            app.engine,
            "SELECT count(*) FROM job WHERE status = 'cancel_pending' AND final_at <= now()",
        ),
        "open windows left pending": scalar(
            app.engine, "SELECT count(*) FROM job WHERE status = 'cancel_pending'"
        ),
        "workflow_cancelled records": scalar(
            app.engine,
            "SELECT count(DISTINCT job_id) FROM audit_event WHERE kind = 'workflow_cancelled' "
            "AND actor = 'system:sweep'",
        ),
        "workflow_cancelled rows": scalar(
            app.engine, "SELECT count(*) FROM audit_event WHERE kind = 'workflow_cancelled'"
        ),
        "final emails": scalar(
            app.engine,
            "SELECT count(DISTINCT job_id) FROM outbox_message WHERE kind = 'final_cancellation'",
        ),
        "final email rows": scalar(
            app.engine, "SELECT count(*) FROM outbox_message WHERE kind = 'final_cancellation'"
        ),
    }
    expected = {
        "finalized": shape.due,
        "due jobs now cancelled": shape.due,
        "still due": 0,
        "open windows left pending": open_count,
        "workflow_cancelled records": shape.due,
        "workflow_cancelled rows": shape.due,
        "final emails": shape.due,
        "final email rows": shape.due,
    }
    wrong = {k: (found[k], expected[k]) for k in expected if found[k] != expected[k]}
    if wrong:
        raise SystemExit(f"the sweep left the wrong counts (found, expected): {wrong}")
    _verify_sample(app, shape)


def _verify_sample(app: App, shape: Shape) -> None:
    rng = random.Random(3)
    picks = rng.sample(range(shape.due), min(SAMPLE_STREAMS, shape.due))
    with app.ctx.uow() as uow:
        for k in picks:
            stream = job_stream(f"JOB-{k * shape.stride + 1:08d}")
            records = uow.audit.records(stream)
            problems = verify_stream(stream, records, uow.audit.head(stream))
            if problems or [r.kind for r in records] != [
                "workflow_cancel_pending",
                "workflow_cancelled",
                "email_queued",
            ]:
                raise SystemExit(f"{stream}: {problems or [r.kind for r in records]}")


def report(results: list[Result]) -> None:
    rows: list[tuple[str, str]] = []
    for r in results:
        verdict = "met" if r.per_second >= GOAL_PER_SECOND else "MISSED"
        rows += [
            (
                f"{r.jobs:,} jobs: due finalized",
                f"{r.due:,} in {r.batches} batches of {WORKER_BATCH}, {r.conflicts} conflicts",
            ),
            (
                f"{r.jobs:,} jobs: sweep time",
                f"{r.sweep_seconds:.2f} s, {r.sweepers} sweeper(s) (on CPU {r.cpu_seconds:.2f} s; "
                "the rest waits: the database, on a loaded machine a CPU)",
            ),
            (
                f"{r.jobs:,} jobs: finalizations/s",
                f"{r.per_second:,.0f} (goal >= {GOAL_PER_SECOND:,}: {verdict})",
            ),
            (f"{r.jobs:,} jobs: setup (not measured)", f"{r.setup_seconds:.0f} s"),
            (
                f"{r.jobs:,} jobs: due query uses",
                "ix_job_pending_final_at"
                if "ix_job_pending_final_at" in r.plan
                else "NOT the index",
            ),
        ]
    if len(results) > 1:
        ratio = results[-1].sweep_seconds / results[0].sweep_seconds
        verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
        rows.append(
            (
                f"time at {results[-1].jobs:,} / at {results[0].jobs:,}",
                f"{ratio:.2f} (goal <= {GOAL_RATIO:.2f}: {verdict})",
            )
        )
    print_table(f"Sweep: service function sweep(batch_size={WORKER_BATCH}) on PostgreSQL", rows)
    print("\nPlan of the due-jobs query (first size):\n" + results[0].plan)


_DUE_EXPLAIN = """
EXPLAIN SELECT job.id, homeowner.id, installer_company.id, sales_rep.id
FROM job
JOIN homeowner ON job.homeowner_id = homeowner.id
JOIN installer_company ON job.installer_id = installer_company.id
JOIN sales_rep ON job.sales_rep_id = sales_rep.id
WHERE job.status = 'cancel_pending' AND job.final_at <= :now
ORDER BY job.final_at, job.id
LIMIT 500
FOR UPDATE OF job SKIP LOCKED
"""


if __name__ == "__main__":
    raise SystemExit(main())
