"""Read models: what a person may see about jobs and requests, already scoped to them.

Every query checks the reader's permission, and a scoped reader (an installer, a sales rep, a
homeowner) only ever finds their own jobs: another's reads as not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from rescind.domain.access import EVERY_JOB, Actor, Permission, require
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.calendar import OperationsCalendar
from rescind.domain.case import Case
from rescind.domain.eligibility import Decision
from rescind.domain.email import QueuedEmail
from rescind.domain.feed import FeedComment
from rescind.domain.job import InstallerCompany, Job, JobStatus
from rescind.domain.next_steps import JobSteps, job_steps
from rescind.domain.request import CancellationRequest
from rescind.domain.workflow import Finalization, effective_status, finalization
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.eligibility import policy_in_force
from rescind.services.paging import MAX_PAGE, Paged, read_page
from rescind.services.ports import JobQuery
from rescind.services.restores import Restore, restores_in


@dataclass(frozen=True)
class JobView:
    job: Job
    status: JobStatus  # as stored and as the audit trail says (the sweep writes "cancelled")
    final_date: date | None  # the last business day of a pending window
    # Past the final moment, before the sweep records it: final, but still cancel_pending.
    finalization: Finalization | None
    effective: JobStatus  # what the rules act on: a window that ended is final


def view_of(job: Job, now: datetime, calendar: OperationsCalendar) -> JobView:
    return JobView(
        job=job,
        status=job.status,
        final_date=calendar.day_ended_by(job.final_at) if job.final_at else None,
        finalization=finalization(job, now),
        effective=effective_status(job, now),
    )


def get_job(ctx: Context, job_id: str, *, actor: Actor) -> JobView:
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return view_of(job, now, ctx.operations_calendar(uow))


def search_jobs(ctx: Context, *, actor: Actor, query: JobQuery) -> Paged[JobView]:
    """A page of jobs matching ``query`` (at most ``query.limit``, in id order), narrowed to
    the actor's own for scoped roles; ``more`` says whether another page follows."""
    require(actor, Permission.READ_JOBS)
    now = ctx.now()
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        jobs = read_page(
            lambda n: uow.jobs.search(replace(query, scope=actor.scope, limit=n)), query.limit
        )
        return Paged([view_of(job, now, calendar) for job in jobs.items], more=jobs.more)


@dataclass(frozen=True)
class JobList:
    """The job list page: one page of jobs, and the installers it can be narrowed to."""

    page: Paged[JobView]
    installers: list[InstallerCompany]  # empty for a scoped reader: not theirs to list


def job_list(ctx: Context, *, actor: Actor, query: JobQuery) -> JobList:
    """A page of ``search_jobs`` and the installer filter's choices, in one transaction."""
    require(actor, Permission.READ_JOBS)
    now = ctx.now()
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        jobs = read_page(
            lambda n: uow.jobs.search(replace(query, scope=actor.scope, limit=n)), query.limit
        )
        installers = uow.jobs.installers() if actor.scope == EVERY_JOB else []
        return JobList(
            page=Paged([view_of(job, now, calendar) for job in jobs.items], more=jobs.more),
            installers=installers,
        )


def current_decision(ctx: Context, job_id: str, *, actor: Actor) -> Decision:
    """What the table in force says now, without recording it (a look, not a step)."""
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return policy_in_force(uow, now).decide(job)


def job_requests(ctx: Context, job_id: str, *, actor: Actor) -> list[CancellationRequest]:
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return uow.requests.for_job(job.id)


def job_cases(ctx: Context, job_id: str, *, actor: Actor) -> list[Case]:
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return uow.cases.for_job(job.id)


def job_emails(ctx: Context, job_id: str, *, actor: Actor) -> list[QueuedEmail]:
    """The job's outbox, oldest first; the support side only."""
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_OUTBOX)
        return uow.outbox.for_job(job.id)


def get_request(ctx: Context, request_id: str, *, actor: Actor) -> CancellationRequest:
    with ctx.uow() as uow:
        request, _ = request_for(uow, request_id, actor, Permission.READ_JOBS)
        return request


def open_requests(
    ctx: Context, *, actor: Actor, limit: int = MAX_PAGE, after: str | None = None
) -> Paged[CancellationRequest]:
    """Support's work list: a page of open requests, the earliest due first, continuing
    after request ``after``."""
    require(actor, Permission.READ_QUEUES)
    with ctx.uow() as uow:
        return read_page(lambda n: uow.requests.open_requests(n, after=after), limit)


def request_list(
    ctx: Context,
    *,
    actor: Actor,
    open_only: bool | None = None,
    limit: int = MAX_PAGE,
    after: str | None = None,
) -> Paged[CancellationRequest]:
    """Every request, open or closed (or only one of the two), the earliest filed first,
    continuing after request ``after``: the console's requests list."""
    require(actor, Permission.READ_QUEUES)
    with ctx.uow() as uow:
        return read_page(
            lambda n: uow.requests.listed(open_only=open_only, limit=n, after=after), limit
        )


@dataclass(frozen=True)
class JobOverview:
    job: Job
    status: JobStatus
    final_date: date | None
    finalization: Finalization | None
    effective: JobStatus
    decision: Decision
    requests: list[CancellationRequest]
    cases: list[Case]
    feed: list[FeedComment]
    trail: list[AuditRecord]
    # People's names by actor id ("agent:alex" → "Alex Agent"), for the feed and the trail.
    names: dict[str, str]
    restores: list[Restore] = field(default_factory=list)
    emails: list[QueuedEmail] | None = None  # the job's outbox; None without READ_OUTBOX
    steps: JobSteps | None = None  # what the reader may do on the job (``job_steps``)


def job_overview(ctx: Context, job_id: str, *, actor: Actor) -> JobOverview:
    """Everything the job page shows, read in one transaction (the job loaded once)."""
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        view = view_of(job, now, ctx.operations_calendar(uow))
        records = uow.audit.records(job_stream(job.id))
        return JobOverview(
            job=job,
            status=view.status,
            final_date=view.final_date,
            finalization=view.finalization,
            effective=view.effective,
            decision=policy_in_force(uow, now).decide(job),
            requests=uow.requests.for_job(job.id),
            cases=uow.cases.for_job(job.id),
            feed=uow.feed.for_homeowner(job.homeowner.id, actor.scope),
            # The trail only for a reader who may read it (as ``job_trail`` requires).
            trail=records if actor.may(Permission.READ_AUDIT) else [],
            names={user.actor.id: user.display_name for user in uow.users.list()},
            restores=restores_in(records),
            emails=uow.outbox.for_job(job.id) if actor.may(Permission.READ_OUTBOX) else None,
            steps=job_steps(actor, job, now),
        )
