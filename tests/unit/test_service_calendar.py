"""Company holidays: adding or removing one moves every window still pending, and says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rescind.domain.audit import SYSTEM_STREAM
from rescind.domain.errors import InvalidInput, NotFound
from rescind.domain.job import Job, JobStatus
from rescind.services.calendar import add_company_holiday, remove_company_holiday
from rescind.services.cancellation import cancel_workflow
from tests.fakes import World, actor, file_verified_request

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)  # end of Monday 2026-12-14
ONE_DAY_LATER = datetime(2026, 12, 16, 5, 0, tzinfo=UTC)  # end of Tuesday 2026-12-15
DAY_AFTER_THANKSGIVING = date(2026, 11, 27)


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def pending_job(world: World) -> Job:
    job = world.add()
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    return world.store.job(job.id)


def test_a_company_holiday_inside_a_pending_window_moves_it_one_business_day(
    world: World,
) -> None:
    job = pending_job(world)
    assert job.final_at == FINAL_AT
    assert job.calendar_version == 1

    change = add_company_holiday(
        world.ctx, DAY_AFTER_THANKSGIVING, "Day after Thanksgiving", actor=actor("admin:ada")
    )

    assert (change.calendar_version, change.windows_moved) == (2, 1)
    moved = world.store.job(job.id)
    assert moved.final_at == ONE_DAY_LATER
    assert moved.calendar_version == 2
    recomputed = world.store.trail(job.id)[-1]
    assert recomputed.kind == "window_recomputed"
    assert recomputed.data["from"] == FINAL_AT.isoformat()
    assert recomputed.data["to"] == ONE_DAY_LATER.isoformat()
    assert recomputed.data["calendar_version_from"] == 1
    assert recomputed.data["calendar_version_to"] == 2
    assert "2026-11-27" in str(recomputed.data["why"])
    assert recomputed.actor == "admin:ada"
    system = world.store.tables.audit[SYSTEM_STREAM][-1]
    assert system.kind == "holiday_added"
    assert system.data["windows_moved"] == 1


def test_removing_the_holiday_moves_the_window_back(world: World) -> None:
    job = pending_job(world)
    add_company_holiday(world.ctx, DAY_AFTER_THANKSGIVING, "Day after", actor=actor("admin:ada"))

    change = remove_company_holiday(world.ctx, DAY_AFTER_THANKSGIVING, actor=actor("admin:ada"))

    assert change.windows_moved == 1
    back = world.store.job(job.id)
    assert back.final_at == FINAL_AT
    assert back.calendar_version == 3
    assert world.store.trail(job.id)[-1].data["to"] == FINAL_AT.isoformat()


def test_a_holiday_outside_the_window_moves_nothing_but_records_the_new_version(
    world: World,
) -> None:
    job = pending_job(world)
    change = add_company_holiday(
        world.ctx, date(2027, 3, 1), "Spring day", actor=actor("admin:ada")
    )
    assert change.windows_moved == 0
    stored = world.store.job(job.id)
    assert stored.final_at == FINAL_AT
    assert stored.calendar_version == 2
    assert world.store.kinds(job.id)[-1] != "window_recomputed"


def test_a_window_that_already_ended_is_never_moved(world: World) -> None:
    job = pending_job(world)
    world.clock.set(FINAL_AT + timedelta(hours=1))  # ended; the sweep has not run yet

    change = add_company_holiday(
        world.ctx, date(2026, 12, 1), "Late holiday", actor=actor("admin:ada")
    )

    assert change.windows_moved == 0
    stored = world.store.job(job.id)
    assert stored.final_at == FINAL_AT
    assert stored.calendar_version == 1
    assert stored.status is JobStatus.CANCEL_PENDING


def test_a_new_cancel_after_a_holiday_is_added_uses_the_new_calendar(world: World) -> None:
    add_company_holiday(world.ctx, DAY_AFTER_THANKSGIVING, "Day after", actor=actor("admin:ada"))
    job = pending_job(world)
    assert job.final_at == ONE_DAY_LATER
    assert job.calendar_version == 2


def test_a_holiday_needs_a_name(world: World) -> None:
    with pytest.raises(InvalidInput):
        add_company_holiday(world.ctx, DAY_AFTER_THANKSGIVING, " ", actor=actor("admin:ada"))


def test_removing_a_day_that_is_not_a_company_holiday_is_refused(world: World) -> None:
    with pytest.raises(NotFound):
        remove_company_holiday(world.ctx, DAY_AFTER_THANKSGIVING, actor=actor("admin:ada"))
    with world.ctx.uow() as uow:
        assert uow.calendar.version() == 1
