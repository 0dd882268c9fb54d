"""The job's status machine: active → cancel_pending → cancelled, and back to active by restore.

A pending window ends at ``final_at``; from that instant the job *is* cancelled, whether or not
the sweep has written it yet. So restore is refused after ``final_at`` even on a row still
marked pending, and the rules use ``effective_status``.

What is *shown* is the stored status, as the audit trail records it: a row past its final moment
that the sweep has not yet finalized reads ``cancel_pending`` with ``finalization`` "being
processed", never ``cancelled`` before the trail says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from rescind.domain.errors import InvalidInput, InvalidTransition
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.job import Job, JobStatus, ReviewItemStatus, ReviewStatus

CANCEL_PENDING_BUSINESS_DAYS = 14


class WindowCalendar(Protocol):
    """The part of the operations calendar the state machine needs."""

    @property
    def version(self) -> int: ...

    def window_end(self, start: datetime, business_days: int = ...) -> datetime: ...


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancel did: ``already_pending`` means nothing changed (SPEC step 3)."""

    already_pending: bool
    final_at: datetime
    events: tuple[Event, ...]


def effective_status(job: Job, now: datetime) -> JobStatus:
    """The status as the procedure sees it: a window that has ended is final."""
    if job.status is JobStatus.CANCEL_PENDING and job.final_at is not None and now >= job.final_at:
        return JobStatus.CANCELLED
    return job.status


class Finalization(StrEnum):
    """Where a cancellation stands between its final moment and the sweep recording it."""

    BEING_PROCESSED = "being_processed"


def finalization(job: Job, now: datetime) -> Finalization | None:
    """``BEING_PROCESSED`` while the window has ended but the stored row is still pending:
    final (restore is refused), not yet recorded as cancelled."""
    if job.status is JobStatus.CANCEL_PENDING and effective_status(job, now) is JobStatus.CANCELLED:
        return Finalization.BEING_PROCESSED
    return None


def cancel(
    job: Job,
    *,
    now: datetime,
    calendar: WindowCalendar,
    steps_before_cancel: tuple[str, ...] = (),
    reason: str = "",
) -> CancelOutcome:
    """Put the job in Cancel Pending, after the review steps the decision asked for."""
    match effective_status(job, now):
        case JobStatus.CANCEL_PENDING:
            # Step 3: already pending: change nothing, answer with the date.
            assert job.final_at is not None
            event = Event(EventKind.WORKFLOW_ALREADY_PENDING, {"final_at": iso(job.final_at)})
            return CancelOutcome(already_pending=True, final_at=job.final_at, events=(event,))
        case JobStatus.CANCELLED:
            raise final_refusal(job, now) or AssertionError("a cancelled job is final")
        case JobStatus.ACTIVE:
            events = list(_review_steps(job, steps_before_cancel))
            final_at = calendar.window_end(now, CANCEL_PENDING_BUSINESS_DAYS)
            job.status = JobStatus.CANCEL_PENDING
            job.pending_since_at = now
            job.final_at = final_at
            job.calendar_version = calendar.version
            events.append(
                Event(
                    EventKind.WORKFLOW_CANCEL_PENDING,
                    {
                        "from": JobStatus.ACTIVE.value,
                        "to": JobStatus.CANCEL_PENDING.value,
                        "final_at": iso(final_at),
                        "business_days": CANCEL_PENDING_BUSINESS_DAYS,
                        "calendar_version": calendar.version,
                        "reason": reason,
                    },
                )
            )
            return CancelOutcome(already_pending=False, final_at=final_at, events=tuple(events))


def _review_steps(job: Job, steps: tuple[str, ...]) -> list[Event]:
    """Rule 2: a pending M1 review is rejected item by item and submitted before the cancel."""
    events: list[Event] = []
    if "reject_all_review_items" in steps:
        rejected = [
            item.id for item in job.review.items if item.status is not ReviewItemStatus.REJECTED
        ]
        for item in job.review.items:
            item.status = ReviewItemStatus.REJECTED
        events.append(Event(EventKind.REVIEW_ITEMS_REJECTED, {"items": list(rejected)}))
    if "submit_review" in steps:
        previous = job.review.status
        job.review.status = ReviewStatus.REJECTED
        events.append(
            Event(
                EventKind.REVIEW_SUBMITTED,
                {"from": previous.value, "to": ReviewStatus.REJECTED.value},
            )
        )
    return events


def restore(job: Job, *, now: datetime, why: str) -> Event:
    """Back to active, only while the window is still open, and never without a reason: the
    signers are told why their cancellation was withdrawn."""
    why = why.strip()
    if not why:
        raise InvalidInput("say why the job is restored (the signers are told)", field="why")
    refusal = restore_refusal(job, now)
    if refusal is not None:
        raise refusal
    final_at = job.final_at
    job.status = JobStatus.ACTIVE
    job.pending_since_at = None
    job.final_at = None
    job.calendar_version = None
    return Event(
        EventKind.WORKFLOW_RESTORED,
        {
            "from": JobStatus.CANCEL_PENDING.value,
            "to": JobStatus.ACTIVE.value,
            "window_was_final_at": iso(final_at),
            "why": why,
        },
    )


def final_refusal(job: Job, now: datetime) -> InvalidTransition | None:
    """Final is final: a cancelled job has nothing left to cancel (None: not final yet)."""
    if effective_status(job, now) is not JobStatus.CANCELLED:
        return None
    return InvalidTransition(
        f"job {job.id} is already cancelled (final since {iso(job.final_at)}); nothing to do"
    )


def restore_refusal(job: Job, now: datetime) -> InvalidTransition | None:
    """Why the job cannot be restored now, or None: only inside its Cancel Pending window."""
    match effective_status(job, now):
        case JobStatus.CANCEL_PENDING:
            # Inside the window: anyone allowed may restore.
            return None
        case JobStatus.CANCELLED:
            # Past the end, even before the sweep wrote it: never restorable.
            return InvalidTransition(
                f"job {job.id} was finally cancelled at {iso(job.final_at)} and can no "
                "longer be restored; a new job is needed"
            )
        case JobStatus.ACTIVE:
            return InvalidTransition(
                f"job {job.id} is active; only a cancel-pending job can be restored"
            )


def finalize(job: Job, *, now: datetime) -> Event:
    """The window has ended: the job becomes cancelled for good."""
    if job.status is not JobStatus.CANCEL_PENDING or job.final_at is None:
        raise InvalidTransition(
            f"job {job.id} is {job.status}, not cancel_pending; nothing to finalize"
        )
    if now < job.final_at:
        raise InvalidTransition(
            f"job {job.id} stays cancel pending until {iso(job.final_at)}; "
            "it cannot be finalized early"
        )
    job.status = JobStatus.CANCELLED
    job.cancelled_at = job.final_at
    return Event(
        EventKind.WORKFLOW_CANCELLED,
        {
            "from": JobStatus.CANCEL_PENDING.value,
            "to": JobStatus.CANCELLED.value,
            "final_at": iso(job.final_at),
            "finalized_at": iso(now),
        },
    )


def recompute_window(
    job: Job, *, now: datetime, calendar: WindowCalendar, why: str
) -> Event | None:
    """A calendar change moves a still-open window; a window already ended never changes."""
    if effective_status(job, now) is not JobStatus.CANCEL_PENDING:
        return None
    old_final_at, old_version = job.final_at, job.calendar_version
    job.calendar_version = calendar.version
    new_final_at = moved_final_at(job, now=now, calendar=calendar)
    if new_final_at is None or old_final_at is None:
        return None
    job.final_at = new_final_at
    return Event(
        EventKind.WINDOW_RECOMPUTED,
        {
            "from": iso(old_final_at),
            "to": iso(new_final_at),
            "calendar_version_from": old_version,
            "calendar_version_to": calendar.version,
            "why": why,
        },
    )


def moved_final_at(job: Job, *, now: datetime, calendar: WindowCalendar) -> datetime | None:
    """Where a still-open window would end under ``calendar``, when that is not where it ends
    now; None for a window that would not move (or has ended). A holiday preview asks this
    without changing the job; ``recompute_window`` asks it before it does."""
    if effective_status(job, now) is not JobStatus.CANCEL_PENDING:
        return None
    assert job.pending_since_at is not None
    assert job.final_at is not None
    new_final_at = calendar.window_end(job.pending_since_at, CANCEL_PENDING_BUSINESS_DAYS)
    return None if new_final_at == job.final_at else new_final_at
