"""The sweep: windows that ended become cancelled, once, with the email to the homeowner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.email import EmailKind, Mailbox
from rescind.domain.job import Job, JobStatus
from rescind.services.cancellation import cancel_workflow
from rescind.services.sweep import SWEEP_ACTOR, sweep
from tests.fakes import World, actor, file_verified_request

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def pending_job(world: World, **overrides: object) -> Job:
    job = world.add(**overrides)
    cancel_workflow(world.ctx, file_verified_request(world, job.id), actor=actor("agent:alex"))
    return job


def test_the_sweep_finalizes_only_jobs_whose_window_has_ended(world: World) -> None:
    early = pending_job(world, installer_signed=True, sales_rep_signed=True)
    world.clock.advance(days=1)  # Tuesday: its window ends one business day later
    late = pending_job(world)
    untouched = world.add()
    world.clock.set(FINAL_AT)

    report = sweep(world.ctx)

    assert (report.finalized, report.batches, report.conflicts) == (1, 1, 0)
    finalized = world.store.job(early.id)
    assert finalized.status is JobStatus.CANCELLED
    assert finalized.cancelled_at == FINAL_AT
    assert world.store.job(late.id).status is JobStatus.CANCEL_PENDING
    assert world.store.job(untouched.id).status is JobStatus.ACTIVE
    [final] = world.store.emails(EmailKind.FINAL_CANCELLATION)
    assert final.email.job_id == early.id
    assert final.email.sender is Mailbox.NOTIFICATIONS
    # The final email goes to the homeowner only, whoever else signed.
    assert final.email.recipients.to == (early.homeowner.email,)
    assert final.email.recipients.cc == ()
    trail = world.store.trail(early.id)
    assert [r.kind for r in trail[-2:]] == ["workflow_cancelled", "email_queued"]
    assert trail[-2].actor == SWEEP_ACTOR


def test_a_window_one_microsecond_from_its_end_is_not_swept(world: World) -> None:
    job = pending_job(world)
    world.clock.set(FINAL_AT - timedelta(microseconds=1))
    assert sweep(world.ctx).finalized == 0
    assert world.store.job(job.id).status is JobStatus.CANCEL_PENDING


def test_running_the_sweep_twice_finalizes_nothing_more(world: World) -> None:
    pending_job(world)
    pending_job(world)
    world.clock.set(FINAL_AT + timedelta(days=3))

    assert sweep(world.ctx).finalized == 2
    assert sweep(world.ctx).finalized == 0
    assert len(world.store.emails(EmailKind.FINAL_CANCELLATION)) == 2


def test_a_batch_smaller_than_the_number_due_still_finalizes_them_all(world: World) -> None:
    jobs = [pending_job(world) for _ in range(7)]
    world.clock.set(FINAL_AT)

    report = sweep(world.ctx, batch_size=3)

    assert report.finalized == 7
    assert report.batches == 3
    assert all(world.store.job(j.id).status is JobStatus.CANCELLED for j in jobs)
    assert len(world.store.emails(EmailKind.FINAL_CANCELLATION)) == 7


def test_a_batch_size_that_divides_the_due_jobs_exactly_stops_on_an_empty_batch(
    world: World,
) -> None:
    for _ in range(4):
        pending_job(world)
    world.clock.set(FINAL_AT)
    report = sweep(world.ctx, batch_size=2)
    assert (report.finalized, report.batches) == (4, 2)


def test_a_restored_job_is_not_swept(world: World) -> None:
    from rescind.services.cancellation import restore_workflow

    job = pending_job(world)
    restore_workflow(world.ctx, job.id, actor=actor("agent:alex"), why="changed mind")
    world.clock.set(FINAL_AT + timedelta(days=1))
    assert sweep(world.ctx).finalized == 0
    assert world.store.job(job.id).status is JobStatus.ACTIVE
