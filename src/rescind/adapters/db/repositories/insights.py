"""The insights' storage: counting audit records into ``insight_day``, and reading a period.

``count_records`` runs inside ``SqlAuditLog.write``, so the counts commit (or roll back) with
the records they count, the sweep's batches included. It takes the facts of the jobs (installer
company, milestone) and requests (filed and due times, reason) the records name from what the
transaction already read or wrote of them, else looks them up in one query each, then adds
to each day's counters with one upsert; keys are written in sorted order so two transactions
adding to the same counters wait for each other rather than deadlock.

``read_period`` is the page's one read: the period's sums, the open requests past due and the
pending windows ending before the strip's last day, in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import keyed
from rescind.adapters.db.repositories.versioning import seen_in
from rescind.adapters.db.tables import (
    AuditEventRow,
    CancellationRequestRow,
    InsightDayRow,
    JobRow,
)
from rescind.adapters.db.tables.request import OPEN_ONLY
from rescind.domain.access import JobScope
from rescind.domain.insight_figures import Count, Live
from rescind.domain.insights import (
    EVERYONE,
    INSIGHT_KINDS,
    Counted,
    Dimension,
    RequestFacts,
    count_keys,
    request_id_of,
)

_TABLE = cast(Table, InsightDayRow.__table__)
REBUILD_BATCH = 5_000


def count_records(session: Session, staged: Sequence[Mapping[str, Any]], tz: ZoneInfo) -> None:
    """Add the staged audit rows the insights count to their days' counters."""
    _add(session, count_keys(_counted(session, staged), tz).items())


def _counted(session: Session, staged: Sequence[Mapping[str, Any]]) -> list[Counted]:
    """The rows the insights count, with their jobs' and requests' facts: as this transaction
    already read or wrote them (a cancel loaded both), else in one query each."""
    rows = [r for r in staged if r["kind"] in INSIGHT_KINDS and r["job_id"] is not None]
    if not rows:
        return []
    job_ids = {str(r["job_id"]) for r in rows}
    seen_jobs = seen_in(session, JobRow)
    jobs = {
        job_id: (j["installer_id"], j["milestone"])
        for job_id in job_ids
        if (j := seen_jobs.get(job_id)) is not None
    }
    jobs.update(
        (j.id, (j.installer_id, j.milestone))
        for j in keyed(
            session,
            select(JobRow.id, JobRow.installer_id, JobRow.milestone),
            JobRow.id,
            job_ids - jobs.keys(),
        )
    )
    request_ids = {rid for r in rows if (rid := request_id_of(r["data"]))}
    seen_requests = seen_in(session, CancellationRequestRow)
    requests = {
        rid: RequestFacts(q["filed_at"], q["due_at"], q["reason"], q["within_cooling_off"])
        for rid in request_ids
        if (q := seen_requests.get(rid)) is not None
    }
    requests.update(
        (q.id, RequestFacts(q.filed_at, q.due_at, q.reason, q.within_cooling_off))
        for q in keyed(
            session,
            select(
                CancellationRequestRow.id,
                CancellationRequestRow.filed_at,
                CancellationRequestRow.due_at,
                CancellationRequestRow.reason,
                CancellationRequestRow.within_cooling_off,
            ),
            CancellationRequestRow.id,
            request_ids - requests.keys(),
        )
    )
    return [
        Counted(
            kind=r["kind"],
            data=r["data"],
            occurred_at=r["occurred_at"],
            channel=r["channel"],
            installer_id=jobs[r["job_id"]][0],
            milestone=jobs[r["job_id"]][1],
            request=requests.get(request_id_of(r["data"]) or ""),
        )
        for r in rows
        if r["job_id"] in jobs
    ]


def _add(session: Session, counts: Iterable[tuple[tuple[date, str, str, str, str], int]]) -> None:
    values = [
        {"day": k[0], "scope": k[1], "metric": k[2], "dimension": k[3], "value": k[4], "count": n}
        for k, n in sorted(counts, key=lambda kn: (kn[0][1], kn[0][0], *kn[0][2:]))
    ]
    if not values:
        return
    statement = _upsert(session.get_bind().dialect.name)
    session.execute(statement, values)


@lru_cache(maxsize=2)
def _upsert(dialect: str) -> Any:
    """Add to each day's counter, built once per dialect (it runs in every cancel)."""
    insert = postgresql.insert(_TABLE) if dialect == "postgresql" else sqlite.insert(_TABLE)
    return insert.on_conflict_do_update(
        index_elements=[
            _TABLE.c.scope,
            _TABLE.c.day,
            _TABLE.c.metric,
            _TABLE.c.dimension,
            _TABLE.c.value,
        ],
        set_={"count": _TABLE.c["count"] + insert.excluded["count"]},
    )


def read_period(
    session: Session,
    scope: JobScope,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    strip_ends_at: datetime,
) -> tuple[list[Count], Live]:
    """A period's counts for one reader (everyone, or one installer company), and what is
    true now: open requests past due, and pending windows ending by ``strip_ends_at``."""
    counted_as = scope.installer_id or EVERYONE
    is_total = InsightDayRow.dimension == Dimension.TOTAL.value
    day = case((is_total, InsightDayRow.day), else_=None).label("day")
    statement = (
        select(
            InsightDayRow.metric,
            InsightDayRow.dimension,
            InsightDayRow.value,
            day,
            func.sum(InsightDayRow.count).label("n"),
        )
        .where(
            InsightDayRow.scope == counted_as,
            InsightDayRow.day >= first_day,
            InsightDayRow.day <= last_day,
        )
        .group_by(InsightDayRow.metric, InsightDayRow.dimension, InsightDayRow.value, day)
    )
    counts = [
        Count(r.metric, r.dimension, r.value, r.day, int(r.n)) for r in session.execute(statement)
    ]
    overdue = (
        select(func.count())
        .select_from(CancellationRequestRow)
        .where(OPEN_ONLY, CancellationRequestRow.due_at < now)
    )
    pending = (
        select(JobRow.final_at, func.count())
        .where(
            JobRow.status == "cancel_pending",
            JobRow.final_at > now,
            JobRow.final_at <= strip_ends_at,
        )
        .group_by(JobRow.final_at)
    )
    if scope.installer_id is not None:
        overdue = overdue.join(JobRow, JobRow.id == CancellationRequestRow.job_id).where(
            JobRow.installer_id == scope.installer_id
        )
        pending = pending.where(JobRow.installer_id == scope.installer_id)
    live = Live(
        overdue_open=int(session.execute(overdue).scalar_one()),
        pending_final_at=[(r[0], int(r[1])) for r in session.execute(pending) if r[0]],
    )
    return counts, live


def rebuild(session: Session, tz: ZoneInfo) -> int:
    """Count the whole trail again (after the migration, or to check the counters): the
    counters are emptied, every record the insights count is read in batches and counted in
    memory (a few thousand keys), and the counters written once (no row updated twice)."""
    session.execute(delete(_TABLE))
    columns = [
        AuditEventRow.kind,
        AuditEventRow.data,
        AuditEventRow.occurred_at,
        AuditEventRow.channel,
        AuditEventRow.job_id,
    ]
    statement = (
        select(*columns)
        .where(AuditEventRow.kind.in_(sorted(INSIGHT_KINDS)), AuditEventRow.job_id.is_not(None))
        .execution_options(yield_per=REBUILD_BATCH)
    )
    seen, batch, counts = 0, [], Counter[tuple[date, str, str, str, str]]()
    for row in session.execute(statement):
        batch.append(dict(row._mapping))
        if len(batch) == REBUILD_BATCH:
            counts.update(count_keys(_counted(session, batch), tz))
            seen, batch = seen + len(batch), []
    counts.update(count_keys(_counted(session, batch), tz))
    items = list(counts.items())
    for start in range(0, len(items), REBUILD_BATCH):
        _add(session, items[start : start + REBUILD_BATCH])
    return seen + len(batch)
