"""Reads the agent console needs beyond the API's: previews and work lists for people.

Like ``queries`` and ``queues``, each read checks the reader's permission first; nothing here
writes. The previews say what a cancel *would* do now (final date, feed comment, who gets the
notice) using the same domain functions the cancel itself uses, so the screen and the deed
cannot disagree. A page's overview (``request_overview``) reads all it shows in one
transaction, loading the job once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import job_stream
from rescind.domain.calendar import OperationsCalendar, due_countdown
from rescind.domain.case import Case
from rescind.domain.eligibility import Decision
from rescind.domain.email import EmailKind, QueuedEmail
from rescind.domain.feed import cancellation_comment
from rescind.domain.inbound import InboundRecord
from rescind.domain.job import Job, JobStatus
from rescind.domain.next_steps import JobSteps, RequestSteps, job_steps, request_steps
from rescind.domain.recipients import Recipients, cancellation_notice_recipients
from rescind.domain.request import CancellationRequest
from rescind.domain.workflow import CANCEL_PENDING_BUSINESS_DAYS
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.eligibility import policy_in_force
from rescind.services.paging import MAX_PAGE, page_size
from rescind.services.ports import Backlog, DatabaseProbe
from rescind.services.queries import JobView, view_of
from rescind.services.restores import Restore, restores_in


@dataclass(frozen=True)
class CancelPreview:
    """What cancelling now would do: the window's last day, the feed comment, the notice."""

    final_at: datetime
    final_date: date
    recipients: Recipients

    def comment(self, reason: str) -> str:
        return cancellation_comment(reason, self.final_date.isoformat())


def preview_of(job: Job, now: datetime, calendar: OperationsCalendar) -> CancelPreview:
    final_at = calendar.window_end(now, CANCEL_PENDING_BUSINESS_DAYS)
    return CancelPreview(
        final_at=final_at,
        final_date=calendar.day_ended_by(final_at),
        recipients=cancellation_notice_recipients(job),
    )


def codes_in(request: CancellationRequest, emails: list[QueuedEmail]) -> list[QueuedEmail]:
    """The verification-code emails sent for a request (by time: its job's ``emails``, since
    it was filed), oldest first; their code is never part of what a screen shows."""
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


def emails_for_request(ctx: Context, request_id: str, *, actor: Actor) -> list[InboundRecord]:
    """Email received for support about a request's job: filed on it, or sent from the
    homeowner's address on file (for a scoped reader, only those filed on a job of its own);
    newest first, at most 20, read in the transaction that reads the request."""
    with ctx.uow() as uow:
        _, job = request_for(uow, request_id, actor, Permission.READ_JOBS)
        return uow.inbound.for_job(job.id, job.homeowner.email, actor.scope, EMAILS_PER_JOB)


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


@dataclass(frozen=True)
class RequestOverview:
    """Everything the request page shows, read in one transaction."""

    request: CancellationRequest
    view: JobView
    decision: Decision
    preview: CancelPreview
    codes: list[QueuedEmail]  # empty for a reader who may not read the outbox
    emails: list[InboundRecord]
    siblings: list[CancellationRequest]  # the job's other requests
    cases: list[Case]
    restores: list[Restore]
    steps: RequestSteps

    @property
    def job(self) -> Job:
        return self.view.job


def request_overview(ctx: Context, request_id: str, *, actor: Actor) -> RequestOverview:
    """The request, its job (loaded once), the table's answer, what a cancel would do, the
    codes sent and emails received, and what ``actor`` may do next (``request_steps``)."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.READ_JOBS)
        calendar = ctx.operations_calendar(uow)
        decision = policy_in_force(uow, now).decide(job)
        cases = uow.cases.for_job(job.id)
        codes = (
            codes_in(request, uow.outbox.for_job(job.id))
            if actor.may(Permission.READ_OUTBOX)
            else []
        )
        emails = uow.inbound.for_job(job.id, job.homeowner.email, actor.scope, EMAILS_PER_JOB)
        siblings = [r for r in uow.requests.for_job(job.id) if r.id != request.id]
        records = uow.audit.records(job_stream(job.id))
    return RequestOverview(
        request=request,
        view=view_of(job, now, calendar),
        decision=decision,
        preview=preview_of(job, now, calendar),
        codes=codes,
        emails=emails,
        siblings=siblings,
        cases=cases,
        restores=restores_in(records),
        steps=request_steps(actor, request, job, decision, cases, now),
    )


@dataclass(frozen=True)
class StartOverview:
    """Everything the start-a-cancel page shows, read in one transaction."""

    view: JobView
    decision: Decision
    open_requests: list[CancellationRequest]
    steps: JobSteps

    @property
    def job(self) -> Job:
        return self.view.job


def start_overview(ctx: Context, job_id: str, *, actor: Actor) -> StartOverview:
    """The job (loaded once), the table's answer for it now, its open requests and what
    ``actor`` may do on the job itself (``job_steps``)."""
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        calendar = ctx.operations_calendar(uow)
        decision = policy_in_force(uow, now).decide(job)
        requests = [r for r in uow.requests.for_job(job.id) if r.is_open]
    return StartOverview(
        view=view_of(job, now, calendar),
        decision=decision,
        open_requests=requests,
        steps=job_steps(actor, job, now),
    )
