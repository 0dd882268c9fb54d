"""Properties of one job's life under any mix of cancels, restores, time, sweeps and holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescind.domain.errors import InvalidTransition, NotFound
from rescind.domain.job import JobStatus
from rescind.domain.workflow import effective_status
from rescind.services.audit import verify_trail
from rescind.services.calendar import add_company_holiday, remove_company_holiday
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.sweep import sweep
from tests.fakes import FakeUnitOfWork, World, actor, file_verified_request

START = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday, the week before Thanksgiving


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Restore:
    pass


@dataclass(frozen=True)
class Advance:
    minutes: int


@dataclass(frozen=True)
class Sweep:
    pass


@dataclass(frozen=True)
class Holiday:
    day: date
    add: bool


Op = Cancel | Restore | Advance | Sweep | Holiday

ops = st.one_of(
    st.just(Cancel()),
    st.just(Restore()),
    st.builds(Advance, st.integers(min_value=1, max_value=12 * 24 * 60)),
    st.just(Sweep()),
    st.builds(
        Holiday,
        st.dates(min_value=date(2026, 11, 20), max_value=date(2027, 1, 31)),
        st.booleans(),
    ),
)


def run(world: World, job_id: str, op: Op) -> None:
    match op:
        case Cancel():
            request_id = file_verified_request(world, job_id)
            try:
                cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
            except InvalidTransition:
                assert effective_status(world.store.job(job_id), world.clock.now()) is (
                    JobStatus.CANCELLED
                )
        case Restore():
            before = world.store.job(job_id)
            now = world.clock.now()
            try:
                restore_workflow(world.ctx, job_id, actor=actor("agent:alex"), why="changed mind")
            except InvalidTransition:
                return
            # (a) a restore succeeds only inside an open window.
            assert before.status is JobStatus.CANCEL_PENDING
            assert before.final_at is not None
            assert now < before.final_at
        case Advance(minutes):
            world.clock.advance(minutes=minutes)
        case Sweep():
            sweep(world.ctx, batch_size=1)
        case Holiday(day, add):
            try:
                if add:
                    add_company_holiday(world.ctx, day, "Company day", actor=actor("admin:ada"))
                else:
                    remove_company_holiday(world.ctx, day, actor=actor("admin:ada"))
            except NotFound:
                pass


def check_window(world: World, job_id: str) -> None:
    """(c) final_at is a local midnight whose previous day is a business day."""
    job = world.store.job(job_id)
    if job.final_at is None:
        return
    with FakeUnitOfWork(world.store) as uow:
        calendar = world.ctx.operations_calendar(uow)
    local = job.final_at.astimezone(calendar.tz)
    assert local.time() == time(0)
    last_day = local.date() - timedelta(days=1)
    if effective_status(job, world.clock.now()) is JobStatus.CANCEL_PENDING:
        # Open windows follow every holiday change.
        assert calendar.is_business_day(last_day)
    else:
        # Ended windows never move, whatever holidays were added since.
        assert last_day.weekday() < 5
        assert last_day not in calendar.federal.holidays_in(last_day.year)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(ops, max_size=14),
    st.sampled_from(["America/New_York", "America/Los_Angeles", "Pacific/Honolulu"]),
)
def test_any_sequence_of_operations_keeps_the_job_and_its_trail_consistent(
    sequence: list[Op], tz: str
) -> None:
    world = World.start(START, tz)
    job_id = world.add().id
    was_cancelled = False
    for op in sequence:
        run(world, job_id, op)
        status = world.store.job(job_id).status
        # (b) once cancelled, always cancelled.
        if was_cancelled:
            assert status is JobStatus.CANCELLED
        was_cancelled = status is JobStatus.CANCELLED
        check_window(world, job_id)
    # (d) whatever happened, the chain verifies.
    check = verify_trail(world.ctx, actor=actor("system:test"))
    assert check.ok, check.problems
