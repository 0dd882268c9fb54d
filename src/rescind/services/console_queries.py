"""Reads the agent console needs beyond the API's: previews and work lists for people.

Like ``queries`` and ``queues``, each read checks the reader's permission first; nothing here
writes. The previews say what a cancel *would* do now (final date, feed comment, who gets the
notice) using the same domain functions the cancel itself uses, so the screen and the deed
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rescind.domain.access import Actor, Permission, require
from rescind.domain.calendar import due_countdown
from rescind.domain.email import EmailKind, QueuedEmail
from rescind.domain.feed import cancellation_comment
from rescind.domain.inbound import InboundRecord
from rescind.domain.job import JobStatus
from rescind.domain.recipients import Recipients, cancellation_notice_recipients
from rescind.domain.request import CancellationRequest
from rescind.domain.workflow import CANCEL_PENDING_BUSINESS_DAYS
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.paging import MAX_PAGE, page_size
from rescind.services.ports import Backlog, DatabaseProbe
from rescind.services.queries import JobView, view_of


@dataclass(frozen=True)
class CancelPreview:
    """What cancelling now would do: the window's last day, the feed comment, the notice."""

    final_at: datetime
    final_date: date
    recipients: Recipients

    def comment(self, reason: str) -> str:
        return cancellation_comment(reason, self.final_date.isoformat())


def cancel_preview(ctx: Context, job_id: str, *, actor: Actor) -> CancelPreview:
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        calendar = ctx.operations_calendar(uow)
    final_at = calendar.window_end(now, CANCEL_PENDING_BUSINESS_DAYS)
    return CancelPreview(
        final_at=final_at,
        final_date=calendar.day_ended_by(final_at),
        recipients=cancellation_notice_recipients(job),
    )


def codes_sent(ctx: Context, request_id: str, *, actor: Actor) -> list[QueuedEmail]:
    """The verification-code emails sent for a request (by time: its job's, since it was
    filed), oldest first; their code is never part of what a screen shows."""
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.READ_OUTBOX)
        emails = uow.outbox.for_job(job.id)
    return [
        e
        for e in emails
        if e.kind is EmailKind.VERIFICATION_CODE and e.queued_at >= request.filed_at
    ]


def pending_jobs(ctx: Context, *, actor: Actor, limit: int = MAX_PAGE) -> list[JobView]:
    """Jobs in their Cancel Pending window, the soonest final first (of all of them, by the
    partial index on final_at; not a sort of the first page by id)."""
    require(actor, Permission.READ_QUEUES)
    now = ctx.now()
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        jobs = uow.jobs.pending(limit=page_size(limit))
        views = [view_of(job, now, calendar) for job in jobs]
    pending = [v for v in views if v.status is JobStatus.CANCEL_PENDING and v.job.final_at]
    return sorted(pending, key=lambda v: (v.job.final_at or now, v.job.id))


def triage_queue(ctx: Context, *, actor: Actor, limit: int = MAX_PAGE) -> list[InboundRecord]:
    """Inbound email that became no request (unknown sender, several open jobs, malformed…),
    oldest first."""
    require(actor, Permission.READ_QUEUES)
    with ctx.uow() as uow:
        return uow.inbound.triage(page_size(limit))


EMAILS_PER_JOB = 20


def emails_for_job(
    ctx: Context, job_id: str, *, actor: Actor, limit: int = EMAILS_PER_JOB
) -> list[InboundRecord]:
    """Email received for support about a job: filed on it, or sent from the homeowner's
    address on file (for a scoped reader, only those filed on a job of its own); newest
    first, at most ``limit`` (20)."""
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return uow.inbound.for_job(
            job.id, job.homeowner.email, actor.scope, page_size(limit, most=EMAILS_PER_JOB)
        )


@dataclass(frozen=True)
class DueRequest:
    request: CancellationRequest
    overdue: bool
    countdown: str  # "due in 6 business hours", "overdue by 1 business day"


def request_queue(ctx: Context, *, actor: Actor, limit: int = MAX_PAGE) -> list[DueRequest]:
    """Every open request, overdue ones first then the soonest due, each with its due time
    counted down in business time on the operations calendar."""
    require(actor, Permission.READ_QUEUES)
    now = ctx.now()
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        requests = uow.requests.open_requests(page_size(limit))
    due = [DueRequest(r, r.due_at <= now, due_countdown(calendar, now, r.due_at)) for r in requests]
    return sorted(due, key=lambda d: (not d.overdue, d.request.due_at))


def queue_counts(probe: DatabaseProbe | None, *, actor: Actor) -> Backlog | None:
    """How much waits in each queue (one indexed count each); None without a probe."""
    require(actor, Permission.READ_QUEUES)
    return probe.backlog() if probe is not None else None
