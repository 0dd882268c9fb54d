"""Live jobs grouped by the facts the eligibility table reads, for policy what-ifs (read only).

One GROUP BY over the job table and one over its open requests: a million jobs fold into a
few hundred distinct combinations, so the decision function runs once per combination.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rescind.adapters.db.tables import CancellationRequestRow, JobRow
from rescind.domain.job import JobStatus
from rescind.services.ports import FactGroup

FACT_COLUMNS = (
    JobRow.product_model,
    JobRow.milestone,
    JobRow.review_status,
    JobRow.invoice_uploaded,
    JobRow.system_photos_uploaded,
    JobRow.partner_program,
    JobRow.phase,
)
LIVE = JobRow.status.in_((JobStatus.ACTIVE.value, JobStatus.CANCEL_PENDING.value))
OPEN = CancellationRequestRow.outcome.in_(("open", "escalated"))


def _facts(row: tuple[object, ...]) -> dict[str, str | bool]:
    return {
        c.key: bool(v) if isinstance(v, int) else str(v)
        for c, v in zip(FACT_COLUMNS, row, strict=True)
    }


def live_fact_groups(session: Session) -> list[FactGroup]:
    jobs = session.execute(
        select(*FACT_COLUMNS, func.count()).where(LIVE).group_by(*FACT_COLUMNS)
    ).all()
    requests = session.execute(
        select(*FACT_COLUMNS, func.count())
        .select_from(CancellationRequestRow)
        .join(JobRow, JobRow.id == CancellationRequestRow.job_id)
        .where(LIVE, OPEN)
        .group_by(*FACT_COLUMNS)
    ).all()
    open_by = {tuple(r[:-1]): int(r[-1]) for r in requests}
    return [
        FactGroup(
            facts=_facts(tuple(r[:-1])),
            jobs=int(r[-1]),
            open_requests=open_by.get(tuple(r[:-1]), 0),
        )
        for r in jobs
    ]


def live_ids_with_facts(session: Session, facts: dict[str, str | bool], limit: int) -> list[str]:
    same = [c == facts[c.key] for c in FACT_COLUMNS]
    return list(
        session.scalars(select(JobRow.id).where(LIVE, *same).order_by(JobRow.id).limit(limit))
    )
