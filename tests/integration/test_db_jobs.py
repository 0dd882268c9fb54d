"""Jobs in storage: full round trips, optimistic versions, and the finalisation sweep's query."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import Engine, text

from rescind.domain.errors import Conflict, NotFound
from rescind.domain.job import JobStatus, ReviewItem, ReviewItemStatus, ReviewStatus
from tests.integration.conftest import UowFactory, a_job, a_pending_job, utc


def test_a_job_comes_back_with_every_field_and_its_review_items(uow_factory: UowFactory) -> None:
    job = a_pending_job("job-7", final_at=utc(2026, 12, 15, 4, 59, 999999))
    job.cancelled_at = utc(2026, 12, 16, 1, 2, 3)
    with uow_factory() as uow:
        uow.jobs.add(job)
        uow.commit()

    with uow_factory() as uow:
        loaded = uow.jobs.get("job-7")

    assert loaded == job
    assert loaded.final_at is not None
    assert loaded.final_at.tzinfo is not None
    assert [i.id for i in loaded.review.items] == ["item-1", "item-2"]


def test_getting_an_unknown_job_says_how_to_find_the_right_id(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFound, match="no job with id 'nope'"):
        uow.jobs.get("nope")
    with uow_factory() as uow:
        assert uow.jobs.find("nope") is None


def test_adding_jobs_of_one_homeowner_upserts_the_people_by_id(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job("job-1"))
        uow.commit()
    renamed = a_job("job-2")
    renamed = replace(renamed, installer=replace(renamed.installer, name="Sunny Installs LLC"))
    with uow_factory() as uow:
        uow.jobs.add(renamed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.jobs.get("job-1").installer.name == "Sunny Installs LLC"


def test_saving_bumps_the_version_and_writes_review_item_statuses(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job())
        uow.commit()
    with uow_factory() as uow:
        job = uow.jobs.get("job-1")
        for item in job.review.items:
            item.status = ReviewItemStatus.REJECTED
        job.review.items.append(ReviewItem(id="item-3", description="Permit"))
        job.review.status = ReviewStatus.REJECTED
        job.milestone = job.milestone  # unchanged facts are written back unchanged
        uow.jobs.save(job)
        uow.commit()
    assert job.version == 1

    with uow_factory() as uow:
        again = uow.jobs.get("job-1")
    assert again == job
    assert [i.status for i in again.review.items] == [ReviewItemStatus.REJECTED] * 2 + [
        ReviewItemStatus.OPEN
    ]


def test_saving_a_stale_job_raises_conflict_and_leaves_the_row_unchanged(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job())
        uow.commit()
    with uow_factory() as uow:
        first = uow.jobs.get("job-1")
    with uow_factory() as uow:
        second = uow.jobs.get("job-1")
    with uow_factory() as uow:
        first.status = JobStatus.CANCELLED
        uow.jobs.save(first)
        uow.commit()

    second.phase = second.phase.SALES
    with uow_factory() as uow, pytest.raises(Conflict, match="job job-1 was changed by someone"):
        uow.jobs.save(second)

    with uow_factory() as uow:
        stored = uow.jobs.get("job-1")
    assert (stored.status, stored.phase, stored.version) == (JobStatus.CANCELLED, first.phase, 1)
    assert second.version == 0


def test_two_units_of_work_saving_the_same_loaded_job_let_exactly_one_win(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job())
        uow.commit()
    loaded = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(note: JobStatus) -> None:
        with uow_factory() as uow:
            job = uow.jobs.get("job-1")
        loaded.wait(timeout=10)
        try:
            with uow_factory() as uow:
                job.status = note
                uow.jobs.save(job)
                uow.commit()
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=edit, args=(s,))
        for s in (JobStatus.CANCELLED, JobStatus.CANCEL_PENDING)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["conflict", "won"]
    with uow_factory() as uow:
        assert uow.jobs.get("job-1").version == 1


def test_due_for_finalization_returns_only_due_pending_jobs_oldest_first(
    uow_factory: UowFactory,
) -> None:
    now = utc(2026, 12, 15, 12)
    with uow_factory() as uow:
        uow.jobs.add(a_pending_job("due-late", final_at=utc(2026, 12, 15, 11, 59)))
        uow.jobs.add(a_pending_job("due-early", final_at=utc(2026, 12, 14, 5)))
        uow.jobs.add(a_pending_job("due-now", final_at=now))
        uow.jobs.add(a_pending_job("not-yet", final_at=utc(2026, 12, 15, 12, 0, 1)))
        uow.jobs.add(a_job("active"))
        uow.jobs.add(a_job("done", status=JobStatus.CANCELLED, final_at=utc(2026, 12, 1)))
        uow.commit()

    with uow_factory() as uow:
        due = uow.jobs.due_for_finalization(now, limit=10)
        first_two = uow.jobs.due_for_finalization(now, limit=2)
        pending = uow.jobs.pending()

    assert [j.id for j in due] == ["due-early", "due-late", "due-now"]
    assert [j.id for j in first_two] == ["due-early", "due-late"]
    assert due[0].review.items
    assert due[0].homeowner.email == "dana@example.com"
    assert {j.id for j in pending} == {"due-early", "due-late", "due-now", "not-yet"}


def test_on_postgres_a_second_sweeper_skips_jobs_the_first_has_claimed(
    uow_factory: UowFactory, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE); nothing to skip")
    now = utc(2026, 12, 15, 12)
    with uow_factory() as uow:
        for n in range(4):
            uow.jobs.add(a_pending_job(f"due-{n}", final_at=utc(2026, 12, 14, n)))
        uow.commit()

    with uow_factory() as first, uow_factory() as second:
        claimed = first.jobs.due_for_finalization(now, limit=2)
        rest = second.jobs.due_for_finalization(now, limit=10)

    assert [j.id for j in claimed] == ["due-0", "due-1"]
    assert [j.id for j in rest] == ["due-2", "due-3"]


def test_work_not_committed_is_rolled_back_when_the_block_ends(
    uow_factory: UowFactory, engine: Engine
) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job())
        uow.commit()
    with uow_factory() as uow:
        job = uow.jobs.get("job-1")
        job.status = JobStatus.CANCELLED
        uow.jobs.save(job)
        uow.jobs.add(a_job("job-2"))

    with uow_factory() as uow:
        assert uow.jobs.get("job-1").status is JobStatus.ACTIVE
        assert uow.jobs.find("job-2") is None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM job")).scalar_one() == 1


def test_a_unit_of_work_can_be_entered_again_with_a_fresh_session(
    uow_factory: UowFactory,
) -> None:
    uow = uow_factory()
    with uow:
        uow.jobs.add(a_job())
        uow.commit()
    with uow:
        assert uow.jobs.get("job-1").id == "job-1"
