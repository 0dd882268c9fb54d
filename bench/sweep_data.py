"""The sweep benchmark's database: jobs by bulk SQL, pending windows as a real cancel leaves them.

A few hundred installers, a couple of thousand sales reps, one homeowner per job, and jobs of
every model and milestone (about 5 % already cancelled). Job n is due when n % stride == 1:
cancel_pending with its window ended, ``final_at`` computed by the operations calendar from
the moment it was put pending, the calendar's version, version 1, and the
``workflow_cancel_pending`` audit record a cancel writes (hash-chained, with its head). One
due job in ten has a twin (n % stride == 2) whose window is still open, which the sweep must
leave alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, text

from rescind.adapters.db.bulk import insert_rows
from rescind.adapters.db.repositories.audit import audit_event_values
from rescind.adapters.db.tables import AuditEventRow, AuditStreamRow
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.bootstrap import App
from rescind.domain.audit import GENESIS_HASH, AuditContext, job_stream, seal
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.workflow import CANCEL_PENDING_BUSINESS_DAYS
from rescind.entrypoints.cli.demo_jobs import FIRST, LAST

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
        events.append(audit_event_values(record))
        heads.append({"stream": stream, "seq": 1, "head_hash": record.hash})
    with app.ctx.uow() as uow:
        session = cast(SqlUnitOfWork, uow).session
        for i in range(0, len(events), 10_000):
            insert_rows(session, cast(Table, AuditEventRow.__table__), events[i : i + 10_000])
            insert_rows(session, cast(Table, AuditStreamRow.__table__), heads[i : i + 10_000])
        uow.commit()


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
