"""Read models: everything a person needs to see about one job, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.case import Case
from rescind.domain.eligibility import Decision
from rescind.domain.feed import FeedComment
from rescind.domain.job import Job, JobStatus
from rescind.domain.request import CancellationRequest
from rescind.domain.workflow import effective_status
from rescind.services.access import job_for
from rescind.services.context import Context
from rescind.services.eligibility import policy_in_force


@dataclass(frozen=True)
class JobOverview:
    job: Job
    status: JobStatus  # effective: a window that ended reads as cancelled
    final_date: date | None
    decision: Decision
    requests: list[CancellationRequest]
    cases: list[Case]
    feed: list[FeedComment]
    trail: list[AuditRecord]


def job_overview(ctx: Context, job_id: str, *, actor: Actor) -> JobOverview:
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        calendar = ctx.operations_calendar(uow)
        return JobOverview(
            job=job,
            status=effective_status(job, now),
            final_date=calendar.day_ended_by(job.final_at) if job.final_at else None,
            decision=policy_in_force(uow, now).decide(job),
            requests=uow.requests.for_job(job.id),
            cases=uow.cases.for_job(job.id),
            feed=uow.feed.for_homeowner(job.homeowner.id),
            trail=uow.audit.records(job_stream(job.id)),
        )
