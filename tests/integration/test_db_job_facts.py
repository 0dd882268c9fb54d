"""Live jobs grouped by their eligibility facts, as the policy what-if reads them."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from rescind.adapters.db.tables import Base
from rescind.domain.job import JobStatus, Milestone
from tests.integration.conftest import UowFactory, a_job, a_pending_job, a_request, utc


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def test_live_jobs_fold_into_one_group_per_set_of_facts_with_their_open_requests(
    uow_factory: UowFactory, engine: Engine
) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job("job-1"))
        uow.jobs.add(a_pending_job("job-2", final_at=utc(2026, 12, 14, 5)))
        uow.jobs.add(a_job("job-3", milestone=Milestone.M1A))
        uow.jobs.add(a_job("job-4", status=JobStatus.CANCELLED))
        uow.requests.add(a_request("req-1", "job-1"))
        uow.commit()
    before = _row_counts(engine)

    with uow_factory() as uow:
        groups = uow.jobs.live_fact_groups()
        m1b = next(g for g in groups if g.facts["milestone"] == "M1B")
        ids = uow.jobs.live_ids_with_facts(m1b.facts, 5)

    assert sorted((g.facts["milestone"], g.jobs, g.open_requests) for g in groups) == [
        ("M1A", 1, 0),
        ("M1B", 2, 1),
    ]
    assert m1b.facts == a_job().facts()
    assert ids == ["job-1", "job-2"]
    assert _row_counts(engine) == before
