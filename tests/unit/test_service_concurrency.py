"""Two units of work on the same rows: the second writer is told to retry, never merged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rescind.domain.audit import AuditContext, job_stream
from rescind.domain.errors import Conflict
from rescind.domain.events import Event, EventKind
from rescind.domain.job import JobStatus
from rescind.services.cancellation import cancel_workflow, restore_workflow
from tests.fakes import FakeUnitOfWork, World, actor, file_verified_request

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(NOW)


def test_two_units_of_work_saving_the_same_job_conflict_for_the_second(world: World) -> None:
    job = world.add()
    first, second = FakeUnitOfWork(world.store), FakeUnitOfWork(world.store)
    with first, second:
        a = first.jobs.get(job.id)
        b = second.jobs.get(job.id)
        a.installer_signed = True
        first.jobs.save(a)
        first.commit()
        b.sales_rep_signed = True
        second.jobs.save(b)
        with pytest.raises(Conflict):
            second.commit()
    stored = world.store.job(job.id)
    assert (stored.installer_signed, stored.sales_rep_signed, stored.version) == (True, False, 1)


def test_a_save_with_a_stale_version_conflicts_at_once(world: World) -> None:
    job = world.add()
    with FakeUnitOfWork(world.store) as uow:
        first = uow.jobs.get(job.id)
        stale = uow.jobs.get(job.id)
        uow.jobs.save(first)
        with pytest.raises(Conflict):
            uow.jobs.save(stale)
    assert world.store.job(job.id).version == 0  # nothing was committed


def test_two_appends_to_one_audit_stream_cannot_both_commit(world: World) -> None:
    job = world.add()
    actx = AuditContext(actor="t", at=NOW)
    event = Event(EventKind.FEED_COMMENTED, {"body": "hi"})
    first, second = FakeUnitOfWork(world.store), FakeUnitOfWork(world.store)
    with first, second:
        first.audit.append(job_stream(job.id), actx, [event])
        second.audit.append(job_stream(job.id), actx, [event])
        first.commit()
        with pytest.raises(Conflict):
            second.commit()
    assert len(world.store.trail(job.id)) == 1


def test_leaving_without_commit_discards_every_change(world: World) -> None:
    job = world.add()
    with FakeUnitOfWork(world.store) as uow:
        changed = uow.jobs.get(job.id)
        changed.status = JobStatus.CANCELLED
        uow.jobs.save(changed)
        assert uow.jobs.get(job.id).status is JobStatus.CANCELLED
    assert world.store.job(job.id).status is JobStatus.ACTIVE
    with FakeUnitOfWork(world.store) as fresh:
        assert fresh.jobs.get(job.id).version == 0


def test_a_change_that_is_not_saved_is_not_committed(world: World) -> None:
    job = world.add()
    with FakeUnitOfWork(world.store) as uow:
        uow.jobs.get(job.id).status = JobStatus.CANCELLED
        uow.commit()
    assert world.store.job(job.id).status is JobStatus.ACTIVE


def test_a_restore_racing_a_cancel_on_the_same_job_conflicts(world: World) -> None:
    job = world.add()
    request_id = file_verified_request(world, job.id)
    cancel_workflow(world.ctx, request_id, actor=actor("agent:alex"))
    # An agent opened the job, then another agent restored it before the first one saved.
    with FakeUnitOfWork(world.store) as slow:
        seen = slow.jobs.get(job.id)
        restore_workflow(world.ctx, job.id, actor=actor("agent:bea"), why="changed mind")
        seen.status = JobStatus.ACTIVE
        slow.jobs.save(seen)
        with pytest.raises(Conflict):
            slow.commit()
    assert world.store.job(job.id).version == 2
