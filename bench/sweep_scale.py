"""Benchmark 2: the finalisation sweep at scale, goal >= 10 k finalizations/s, and a cost that
follows the jobs due, not the table: 1 M and 3 M jobs with the same 100 k due within 20 %.

For each size it builds a fresh PostgreSQL database (``benchscale_sweep``) with bulk SQL: a few
hundred installers, a couple of thousand sales reps, one homeowner per job, and jobs of every
model and milestone, about 5 % already cancelled. ``--due`` of them are cancel_pending with
their window ended (``final_at`` in the past, computed by the operations calendar from the
moment they were put pending, with its calendar version, version 1 and the
``workflow_cancel_pending`` audit record a real cancel writes, hash-chained with its head), and
10 % as many again are pending with windows still open, which the sweep must leave alone.
The database is then VACUUM ANALYZEd, as a live one would be. Setting up is timed but not part
of the figure.

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
    .venv/bin/python -m bench.sweep_scale --tiny       # 2 000 jobs, 200 due (smoke test)

``--server`` names the PostgreSQL server; ``--keep`` keeps the database of the last size.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, text

from bench.pgdb import DEFAULT_SERVER, create_database, drop_database, print_table, rescind, scalar
from rescind.adapters.db.bulk import insert_rows
from rescind.adapters.db.tables import AuditEventRow, AuditStreamRow
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.bootstrap import App, bootstrap
from rescind.config import Settings
from rescind.domain.audit import GENESIS_HASH, AuditContext, job_stream, seal, verify_stream
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.workflow import CANCEL_PENDING_BUSINESS_DAYS
from rescind.services.sweep import SweepReport, sweep

GOAL_PER_SECOND = 10_000
GOAL_RATIO = 1.20
WORKER_BATCH = 500
SAMPLE_STREAMS = 500
_INDEX = "ix_job_pending_final_at"
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kara",
    "Luis",
    "Mei",
    "Noah",
    "Olga",
]
LAST = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
]
# Regular jobs have M1, M2, M3; Direct Pay jobs M1A, M1B, M2, M3 (a job's model fixes them).
MODEL_MILESTONES = [
    ("regular", "M1"),
    ("regular", "M1"),
    ("regular", "M2"),
    ("regular", "M3"),
    ("direct_pay", "M1A"),
    ("direct_pay", "M1B"),
    ("direct_pay", "M2"),
    ("direct_pay", "M3"),
]


@dataclass(frozen=True)
class Shape:
    jobs: int
    due: int

    @property
    def stride(self) -> int:
        """Job n is due when n % stride == 1, and still open when n % stride == 2 (10 %)."""
        return max(3, self.jobs // self.due)

    @property
    def open_until(self) -> int:
        return self.stride * (self.due // 10)


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
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--database", default="benchscale_sweep")
    parser.add_argument("--jobs", type=int, action="append", help="total jobs (repeatable)")
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--tiny", action="store_true", help="2 000 jobs, 200 due")
    parser.add_argument("--keep", action="store_true", help="keep the last database")
    parser.add_argument(
        "--sweepers", type=int, default=1, help="sweeps at once, each its own process (workers)"
    )
    args = parser.parse_args(argv)
    sizes = [2000] if args.tiny else (args.jobs or [1_000_000, 3_000_000])
    due = 200 if args.tiny else args.due

    results = []
    for n, jobs in enumerate(sizes):
        last = n == len(sizes) - 1
        shape = Shape(jobs, due)
        results.append(
            run(args.server, args.database, shape, args.sweepers, keep=args.keep and last)
        )
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


def populate(app: App, shape: Shape) -> None:
    """People and jobs by bulk SQL; the pending jobs' windows and audit records from Python."""
    now = app.ctx.now()
    with app.ctx.uow() as uow:
        calendar = app.ctx.operations_calendar(uow)
    # Windows opened at varied moments: due ones 30-70 days ago, open ones in the last 3 days.
    rng = random.Random(2)
    due_starts = [now - timedelta(days=rng.uniform(30, 70)) for _ in range(200)]
    open_starts = [now - timedelta(days=rng.uniform(0, 3)) for _ in range(50)]
    due_ends = [calendar.window_end(s, CANCEL_PENDING_BUSINESS_DAYS) for s in due_starts]
    open_ends = [calendar.window_end(s, CANCEL_PENDING_BUSINESS_DAYS) for s in open_starts]
    if max(due_ends) > now or min(open_ends) <= now:
        raise RuntimeError("the chosen windows are not due / open as intended")
    windows = {
        "due_starts": due_starts,
        "due_ends": due_ends,
        "open_starts": open_starts,
        "open_ends": open_ends,
        "stride": shape.stride,
        "open_until": shape.open_until,
        "calendar_version": calendar.version,
    }
    with app.engine.begin() as connection:
        connection.execute(text(_PEOPLE))
        for low in range(1, shape.jobs + 1, 500_000):
            high = min(shape.jobs, low + 499_999)
            connection.execute(text(_HOMEOWNERS), {"low": low, "high": high})
            connection.execute(
                text(_JOBS), {"low": low, "high": high, "mm": _mm_arrays(), **windows}
            )
    _trail(app, shape, due_starts, due_ends, open_starts, open_ends, calendar.version)
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _mm_arrays() -> list[str]:
    return [f"{model}/{milestone}" for model, milestone in MODEL_MILESTONES]


def _trail(
    app: App,
    shape: Shape,
    due_starts: list[datetime],
    due_ends: list[datetime],
    open_starts: list[datetime],
    open_ends: list[datetime],
    calendar_version: int,
) -> None:
    """The ``workflow_cancel_pending`` record each pending job's cancel wrote, with its head."""
    events, heads = [], []
    for n in range(1, shape.jobs + 1):
        if n % shape.stride == 1:
            start, end = due_starts[n % len(due_starts)], due_ends[n % len(due_ends)]
        elif n % shape.stride == 2 and n <= shape.open_until:
            start, end = open_starts[n % len(open_starts)], open_ends[n % len(open_ends)]
        else:
            continue
        stream = job_stream(f"JOB-{n:08d}")
        event = Event(
            EventKind.WORKFLOW_CANCEL_PENDING,
            {
                "from": "active",
                "to": "cancel_pending",
                "final_at": iso(end),
                "business_days": CANCEL_PENDING_BUSINESS_DAYS,
                "calendar_version": calendar_version,
                "reason": "homeowner_request",
            },
        )
        record = seal(
            stream, 1, GENESIS_HASH, AuditContext("agent:bench", start.astimezone(UTC)), event
        )
        events.append(
            {
                "stream": stream,
                "seq": 1,
                "job_id": stream.removeprefix("job:"),
                "occurred_at": record.occurred_at,
                "actor": record.actor,
                "channel": record.channel,
                "policy_version": record.policy_version,
                "kind": record.kind,
                "data": dict(record.data),
                "prev_hash": record.prev_hash,
                "hash": record.hash,
            }
        )
        heads.append({"stream": stream, "seq": 1, "head_hash": record.hash})
    with app.ctx.uow() as uow:
        session = cast(SqlUnitOfWork, uow).session
        for i in range(0, len(events), 10_000):
            insert_rows(session, cast(Table, AuditEventRow.__table__), events[i : i + 10_000])
            insert_rows(session, cast(Table, AuditStreamRow.__table__), heads[i : i + 10_000])
        uow.commit()


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


_PEOPLE = """
INSERT INTO installer_company (id, name, email)
SELECT 'INST-' || lpad(i::text, 4, '0'), 'Installer ' || i || ' Solar',
       'ops' || i || '@installer.example'
FROM generate_series(0, 299) AS i;
INSERT INTO sales_rep (id, name, email)
SELECT 'REP-' || lpad(i::text, 5, '0'), 'Rep ' || i, 'rep' || i || '@sales.example'
FROM generate_series(0, 1999) AS i;
"""

_FIRST = "ARRAY[" + ", ".join(f"'{name}'" for name in FIRST) + "]"
_LAST = "ARRAY[" + ", ".join(f"'{name}'" for name in LAST) + "]"

_HOMEOWNERS = f"""
INSERT INTO homeowner (id, name, email, phone, email_key, name_key, phone_key)
SELECT 'HO-' || lpad(n::text, 8, '0'), p.first || ' ' || p.last,
       lower(p.first || '.' || p.last || '.' || n || '@homeowner.example'),
       '+1-555-' || (100 + n % 900) || '-' || lpad((n % 10000)::text, 4, '0'),
       lower(p.first || '.' || p.last || '.' || n || '@homeowner.example'),
       lower(p.first || ' ' || p.last),
       '1555' || (100 + n % 900) || lpad((n % 10000)::text, 4, '0')
FROM generate_series(CAST(:low AS integer), CAST(:high AS integer)) AS n,
     LATERAL (SELECT ({_FIRST})[1 + n % {len(FIRST)}] AS first,
                     ({_LAST})[1 + (n / 7) % {len(LAST)}] AS last) AS p
"""

_JOBS = """
INSERT INTO job (id, homeowner_id, installer_id, sales_rep_id, product_model, milestone,
                 review_status, invoice_uploaded, system_photos_uploaded, partner_program,
                 installer_signed, sales_rep_signed, contract_signed_date, phase, status,
                 pending_since_at, final_at, calendar_version, cancelled_at, version)
SELECT 'JOB-' || lpad(n::text, 8, '0'), 'HO-' || lpad(n::text, 8, '0'),
       'INST-' || lpad((CAST(n AS bigint) * 7919 % 300)::text, 4, '0'),
       'REP-' || lpad((CAST(n AS bigint) * 104729 % 2000)::text, 5, '0'),
       split_part(mm, '/', 1), split_part(mm, '/', 2),
       CASE WHEN split_part(mm, '/', 2) IN ('M1', 'M1A') THEN
            (ARRAY['pending_review', 'not_submitted'])[1 + n % 2]
            ELSE (ARRAY['approved', 'rejected'])[1 + n % 2] END,
       n % 3 <> 0, n % 4 = 0,
       (ARRAY['none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'beam',
              'concert'])[1 + n % 10],
       n % 5 < 3, n % 2 = 0,
       DATE '2026-01-01' + (n % 330),
       (ARRAY['sales', 'operations', 'operations', 'operations', 'installation',
              'complete'])[1 + n % 6],
       state.status,
       state.since, state.final, state.calendar,
       CASE WHEN state.status = 'cancelled' THEN state.final END,
       CASE WHEN state.status = 'active' THEN 0 WHEN state.status = 'cancelled' THEN 2 ELSE 1 END
FROM generate_series(CAST(:low AS integer), CAST(:high AS integer)) AS n,
     LATERAL (SELECT (CAST(:mm AS text[]))[1 + (n * 31) % 8] AS mm) AS m,
     LATERAL (
       SELECT CASE WHEN n % CAST(:stride AS integer) = 1 THEN 'cancel_pending'
                   WHEN n % CAST(:stride AS integer) = 2
                        AND n <= CAST(:open_until AS integer) THEN 'cancel_pending'
                   WHEN n % 20 = 0 THEN 'cancelled'
                   ELSE 'active' END AS status,
              CASE WHEN n % CAST(:stride AS integer) = 1 OR n % 20 = 0
                        THEN (CAST(:due_starts AS timestamptz[]))[1 + n % 200]
                   WHEN n % CAST(:stride AS integer) = 2 AND n <= CAST(:open_until AS integer)
                        THEN (CAST(:open_starts AS timestamptz[]))[1 + n % 50] END AS since,
              CASE WHEN n % CAST(:stride AS integer) = 1 OR n % 20 = 0
                        THEN (CAST(:due_ends AS timestamptz[]))[1 + n % 200]
                   WHEN n % CAST(:stride AS integer) = 2 AND n <= CAST(:open_until AS integer)
                        THEN (CAST(:open_ends AS timestamptz[]))[1 + n % 50] END AS final,
              CASE WHEN n % CAST(:stride AS integer) = 1 OR n % 20 = 0
                     OR (n % CAST(:stride AS integer) = 2 AND n <= CAST(:open_until AS integer))
                   THEN CAST(:calendar_version AS integer) END AS calendar
     ) AS state
"""

# The statement SqlJobRepository.due_for_finalization builds, as PostgreSQL receives it.
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
