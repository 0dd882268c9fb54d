"""The published policy, the calendar and the webhook endpoints a server keeps by version.

Two servers are two engines on one database (as two ``rescind serve`` processes are): what an
admin changes through one, the other's next cancel uses, though it had the old one kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.services.calendar import add_company_holiday
from rescind.services.cancellation import CancelResult, cancel_workflow
from rescind.services.context import Context
from rescind.services.policy import publish_policy, seed_policy
from rescind.services.webhooks import add_endpoint
from tests.fakes import FixedClock, actor
from tests.integration.test_procedure import (
    MONDAY,
    NEW_YORK,
    SPEC_FINAL_AT,
    add,
    eligible_job,
    verified_request,
)


def server(engine: Engine) -> Context:
    factory = make_session_factory(engine)
    return Context(
        uow=lambda: SqlUnitOfWork(factory),
        clock=FixedClock(MONDAY),
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )


@pytest.fixture
def servers(engine: Engine, db_url: str) -> Iterator[tuple[Context, Context]]:
    """Two servers on the test database, each with its own engine (so its own keeping)."""
    other = make_engine(db_url)
    try:
        first = server(engine)
        seed_policy(first, load_policy_document(default_policy_path()))
        yield first, server(other)
    finally:
        other.dispose()


def cancel(ctx: Context, job_id: str) -> CancelResult:
    add(ctx, eligible_job(job_id))
    return cancel_workflow(ctx, verified_request(ctx, job_id), actor=actor("agent:alex"))


def test_a_policy_published_by_another_server_decides_this_servers_next_cancel(
    servers: tuple[Context, Context],
) -> None:
    here, there = servers
    assert cancel(here, "job-1").decision.policy_version == 1

    publish_policy(
        there,
        load_policy_document(default_policy_path()),
        effective_at=None,
        actor=actor("admin:ops"),
    )

    assert cancel(here, "job-2").decision.policy_version == 2


def test_a_holiday_added_on_another_server_moves_this_servers_next_window(
    servers: tuple[Context, Context],
) -> None:
    here, there = servers
    assert cancel(here, "job-1").final_at == SPEC_FINAL_AT

    change = add_company_holiday(
        there, date(2026, 12, 1), "Founders' day", actor=actor("admin:ops")
    )

    result = cancel(here, "job-2")
    assert result.final_at == datetime(2026, 12, 16, 0, 0, tzinfo=NEW_YORK).astimezone(UTC)
    with here.uow() as uow:
        assert uow.jobs.get("job-2").calendar_version == change.calendar_version


def test_an_endpoint_added_on_another_server_hears_of_this_servers_next_cancel(
    servers: tuple[Context, Context],
) -> None:
    here, there = servers
    cancel(here, "job-1")

    endpoint = add_endpoint(
        there,
        "https://hooks.example.com/rescind",
        ["workflow.cancel_pending"],
        actor=actor("admin:ops"),
    )
    cancel(here, "job-2")

    with here.uow() as uow:
        deliveries = uow.webhooks.deliveries(endpoint_id=endpoint.id)
    assert [d.event_type.value for d in deliveries] == ["workflow.cancel_pending"]
