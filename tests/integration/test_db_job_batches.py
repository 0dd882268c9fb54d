"""Jobs written a batch at a time (imports, the sweep) read back exactly as one by one would."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from rescind.domain.errors import Conflict
from rescind.domain.job import JobStatus, ReviewItemStatus
from tests.integration.conftest import UowFactory, a_job, a_pending_job, utc


def test_jobs_added_as_a_batch_come_back_with_every_field_and_their_items(
    uow_factory: UowFactory,
) -> None:
    jobs = [a_job("job-1"), a_pending_job("job-2", final_at=utc(2026, 12, 15, 5, 0, 999999))]
    with uow_factory() as uow:
        uow.jobs.add_many(jobs)
        uow.commit()

    with uow_factory() as uow:
        assert [uow.jobs.get(job.id) for job in jobs] == jobs


def test_a_batch_upserts_shared_people_once_and_takes_their_latest_details(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.jobs.add(a_job("job-1"))
        uow.commit()
    second, third = a_job("job-2"), a_job("job-3")
    renamed = replace(second.installer, name="Sunny Installs LLC")
    # Two jobs of the batch share the installer (already stored) and one shares a homeowner.
    second = replace(second, installer=renamed)
    third = replace(third, installer=renamed, homeowner=second.homeowner)
    with uow_factory() as uow:
        uow.jobs.add_many([second, third])
        uow.commit()

    with uow_factory() as uow:
        assert uow.jobs.get("job-1").installer.name == "Sunny Installs LLC"
        assert uow.jobs.get("job-3").homeowner == second.homeowner


def test_existing_names_only_the_ids_already_stored(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add_many([a_job("job-1"), a_job("job-3")])
        uow.commit()
    with uow_factory() as uow:
        assert uow.jobs.existing({"job-1", "job-2", "job-3"}) == {"job-1", "job-3"}
        assert uow.jobs.existing(set()) == set()


def test_saving_a_batch_writes_every_job_and_bumps_each_version(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add_many([a_pending_job(f"job-{n}", final_at=utc(2026, 12, 1)) for n in (1, 2)])
        uow.commit()
    with uow_factory() as uow:
        jobs = [uow.jobs.get("job-1"), uow.jobs.get("job-2")]
        for job in jobs:
            job.status = JobStatus.CANCELLED
            job.cancelled_at = job.final_at
        jobs[1].review.items[0].status = ReviewItemStatus.REJECTED
        uow.jobs.save_many(jobs)
        uow.commit()

    with uow_factory() as uow:
        stored = [uow.jobs.get("job-1"), uow.jobs.get("job-2")]
    assert stored == jobs
    assert [job.version for job in stored] == [1, 1]
    assert stored[1].review.items[0].status is ReviewItemStatus.REJECTED


def test_a_batch_with_one_stale_job_writes_none_of_them(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.jobs.add_many([a_pending_job(f"job-{n}", final_at=utc(2026, 12, 1)) for n in (1, 2)])
        uow.commit()
    with uow_factory() as uow:
        read = [uow.jobs.get("job-1"), uow.jobs.get("job-2")]
    with uow_factory() as uow:  # someone else restores job-2 meanwhile
        other = uow.jobs.get("job-2")
        other.status = JobStatus.ACTIVE
        uow.jobs.save(other)
        uow.commit()

    for job in read:
        job.status = JobStatus.CANCELLED
    with uow_factory() as uow, pytest.raises(Conflict, match="1 of 2 jobs"):
        uow.jobs.save_many(read)

    with uow_factory() as uow:
        assert uow.jobs.get("job-1").status is JobStatus.CANCEL_PENDING
        assert uow.jobs.get("job-2").status is JobStatus.ACTIVE


@pytest.mark.postgres
def test_two_batches_naming_the_same_stored_people_are_written_at_once(
    engine: Engine, uow_factory: UowFactory
) -> None:
    # An import writes two batches at once on a server; every batch names the same few
    # installers and sales reps, so neither may hold a lock on them the other waits for.
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite takes one writer at a time")
    with uow_factory() as uow:
        uow.jobs.add(a_job("job-0"))
        uow.commit()
    first_written = threading.Event()
    second_committed = threading.Event()

    def second() -> None:
        first_written.wait(timeout=10)
        with uow_factory() as uow:
            uow.jobs.add_many([a_job("job-2")])
            uow.commit()
        second_committed.set()

    other = threading.Thread(target=second)
    other.start()
    with uow_factory() as uow:
        uow.jobs.add_many([a_job("job-1")])
        first_written.set()
        assert second_committed.wait(timeout=10), "the second batch waited for the first"
        uow.commit()
    other.join()

    with uow_factory() as uow:
        assert uow.jobs.existing({"job-0", "job-1", "job-2"}) == {"job-0", "job-1", "job-2"}
