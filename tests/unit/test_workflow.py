"""The job's status machine: active → cancel_pending → cancelled, and restore inside the window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rescind.adapters.us_holidays import operations_calendar
from rescind.domain.calendar import OperationsCalendar
from rescind.domain.errors import InvalidTransition
from rescind.domain.events import EventKind
from rescind.domain.job import (
    JobStatus,
    MilestoneReview,
    ReviewItem,
    ReviewItemStatus,
    ReviewStatus,
)
from rescind.domain.workflow import (
    CANCEL_PENDING_BUSINESS_DAYS,
    cancel,
    effective_status,
    finalize,
    recompute_window,
    restore,
)
from tests.fakes import job_factory

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FINAL_AT = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def calendar() -> OperationsCalendar:
    return operations_calendar("America/New_York")


def test_cancel_puts_an_active_job_in_cancel_pending_for_14_business_days(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    outcome = cancel(job, now=MONDAY, calendar=calendar, reason="HO asked")
    assert CANCEL_PENDING_BUSINESS_DAYS == 14
    assert not outcome.already_pending
    assert outcome.final_at == FINAL_AT
    assert (job.status, job.pending_since_at, job.final_at, job.calendar_version) == (
        JobStatus.CANCEL_PENDING,
        MONDAY,
        FINAL_AT,
        1,
    )
    [event] = outcome.events
    assert event.kind is EventKind.WORKFLOW_CANCEL_PENDING
    assert event.data["final_at"] == FINAL_AT.isoformat()
    assert event.data["reason"] == "HO asked"


def test_a_late_evening_local_cancel_counts_from_that_local_day(
    calendar: OperationsCalendar,
) -> None:
    # 23:30 Monday in New York is already Tuesday in UTC.
    job = job_factory()
    outcome = cancel(job, now=datetime(2026, 11, 24, 4, 30, tzinfo=UTC), calendar=calendar)
    assert outcome.final_at == FINAL_AT


def test_cancelling_a_pending_job_changes_nothing_and_reports_the_date(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    snapshot = (job.status, job.pending_since_at, job.final_at, job.calendar_version)

    again = cancel(job, now=MONDAY + timedelta(days=3), calendar=calendar)

    assert again.already_pending
    assert again.final_at == FINAL_AT
    assert [e.kind for e in again.events] == [EventKind.WORKFLOW_ALREADY_PENDING]
    assert (job.status, job.pending_since_at, job.final_at, job.calendar_version) == snapshot


def test_cancelling_a_cancelled_job_is_refused(calendar: OperationsCalendar) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    finalize(job, now=FINAL_AT)
    with pytest.raises(InvalidTransition):
        cancel(job, now=FINAL_AT + timedelta(days=1), calendar=calendar)


def test_the_review_steps_run_before_the_cancel_when_asked(calendar: OperationsCalendar) -> None:
    job = job_factory(
        review=MilestoneReview(
            status=ReviewStatus.PENDING_REVIEW,
            items=[
                ReviewItem("A", "one"),
                ReviewItem("B", "two", ReviewItemStatus.REJECTED),
                ReviewItem("C", "three", ReviewItemStatus.APPROVED),
            ],
        )
    )
    outcome = cancel(
        job,
        now=MONDAY,
        calendar=calendar,
        steps_before_cancel=("reject_all_review_items", "submit_review"),
    )
    assert [e.kind for e in outcome.events] == [
        EventKind.REVIEW_ITEMS_REJECTED,
        EventKind.REVIEW_SUBMITTED,
        EventKind.WORKFLOW_CANCEL_PENDING,
    ]
    assert outcome.events[0].data["items"] == ["A", "C"]
    assert outcome.events[1].data == {"from": "pending_review", "to": "rejected"}
    assert job.review.status is ReviewStatus.REJECTED
    assert {i.status for i in job.review.items} == {ReviewItemStatus.REJECTED}


def test_without_review_steps_the_review_is_untouched(calendar: OperationsCalendar) -> None:
    job = job_factory(review=MilestoneReview(status=ReviewStatus.PENDING_REVIEW))
    cancel(job, now=MONDAY, calendar=calendar)
    assert job.review.status is ReviewStatus.PENDING_REVIEW


def test_restore_inside_the_window_clears_it(calendar: OperationsCalendar) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    event = restore(
        job, now=FINAL_AT - timedelta(microseconds=1), why="homeowner changed their mind"
    )
    assert event.kind is EventKind.WORKFLOW_RESTORED
    assert event.data["window_was_final_at"] == FINAL_AT.isoformat()
    assert (job.status, job.pending_since_at, job.final_at, job.calendar_version) == (
        JobStatus.ACTIVE,
        None,
        None,
        None,
    )


def test_restore_at_the_final_moment_is_refused_even_if_not_yet_swept(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    with pytest.raises(InvalidTransition, match=r"can no\s+longer be restored"):
        restore(job, now=FINAL_AT, why="homeowner changed their mind")
    assert job.status is JobStatus.CANCEL_PENDING


def test_restore_of_an_active_or_cancelled_job_is_refused(calendar: OperationsCalendar) -> None:
    job = job_factory()
    with pytest.raises(InvalidTransition, match="active"):
        restore(job, now=MONDAY, why="homeowner changed their mind")
    cancel(job, now=MONDAY, calendar=calendar)
    finalize(job, now=FINAL_AT)
    with pytest.raises(InvalidTransition):
        restore(job, now=FINAL_AT, why="homeowner changed their mind")


def test_effective_status_reads_an_ended_window_as_cancelled(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    assert effective_status(job, MONDAY) is JobStatus.ACTIVE
    cancel(job, now=MONDAY, calendar=calendar)
    assert effective_status(job, FINAL_AT - timedelta(microseconds=1)) is JobStatus.CANCEL_PENDING
    assert effective_status(job, FINAL_AT) is JobStatus.CANCELLED
    assert job.status is JobStatus.CANCEL_PENDING


def test_finalize_makes_the_job_cancelled_at_its_final_moment(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    event = finalize(job, now=FINAL_AT + timedelta(hours=3))
    assert job.status is JobStatus.CANCELLED
    assert job.cancelled_at == FINAL_AT
    assert event.kind is EventKind.WORKFLOW_CANCELLED
    assert event.data["finalized_at"] == (FINAL_AT + timedelta(hours=3)).isoformat()


def test_finalize_refuses_early_or_a_job_that_is_not_pending(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    with pytest.raises(InvalidTransition):
        finalize(job, now=MONDAY)
    cancel(job, now=MONDAY, calendar=calendar)
    with pytest.raises(InvalidTransition, match="cannot be finalized early"):
        finalize(job, now=FINAL_AT - timedelta(microseconds=1))
    finalize(job, now=FINAL_AT)
    with pytest.raises(InvalidTransition):
        finalize(job, now=FINAL_AT)


def test_recompute_moves_an_open_window_and_says_from_what_to_what(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    changed = operations_calendar("America/New_York", {date(2026, 12, 1): "Company day"}, version=2)

    event = recompute_window(job, now=MONDAY + timedelta(days=1), calendar=changed, why="test")

    assert event is not None
    assert job.final_at == FINAL_AT + timedelta(days=1)
    assert job.calendar_version == 2
    assert event.data["from"] == FINAL_AT.isoformat()
    assert event.data["to"] == (FINAL_AT + timedelta(days=1)).isoformat()
    assert event.data["why"] == "test"


def test_recompute_that_changes_nothing_still_records_the_calendar_version(
    calendar: OperationsCalendar,
) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    changed = operations_calendar("America/New_York", {date(2027, 5, 3): "Later"}, version=5)
    assert recompute_window(job, now=MONDAY, calendar=changed, why="x") is None
    assert job.final_at == FINAL_AT
    assert job.calendar_version == 5


def test_recompute_never_moves_a_window_that_ended(calendar: OperationsCalendar) -> None:
    job = job_factory()
    cancel(job, now=MONDAY, calendar=calendar)
    changed = operations_calendar("America/New_York", {date(2026, 12, 1): "Late"}, version=2)
    assert recompute_window(job, now=FINAL_AT, calendar=changed, why="x") is None
    assert (job.final_at, job.calendar_version) == (FINAL_AT, 1)
    active = job_factory()
    assert recompute_window(active, now=MONDAY, calendar=changed, why="x") is None
