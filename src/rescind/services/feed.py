"""Comments on the homeowner's profile feed, written by people (step 5 writes its own)."""

from __future__ import annotations

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.events import Event, EventKind, JSONValue
from rescind.domain.feed import FeedComment
from rescind.domain.job import Job
from rescind.services.access import case_for, job_for
from rescind.services.context import Context
from rescind.services.paging import MAX_PAGE, Paged, read_page
from rescind.services.ports import UnitOfWork
from rescind.services.records import new_id, record


def comment_on_feed(
    ctx: Context,
    job_id: str,
    body: str,
    *,
    actor: Actor,
    channel: AuditChannel = AuditChannel.CONSOLE,
) -> FeedComment:
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.COMMENT)
        comment = _comment(uow, ctx, job, body.strip(), actor, channel)
        uow.commit()
    return comment


def comment_on_case(
    ctx: Context,
    case_id: str,
    body: str,
    *,
    actor: Actor,
    channel: AuditChannel = AuditChannel.CONSOLE,
) -> FeedComment:
    """A comment on a case goes on its job's feed, saying which case; the case's history
    shows it."""
    with ctx.uow() as uow:
        case, job = case_for(uow, case_id, actor, Permission.COMMENT)
        text = f"Case {case.id}: {body.strip()}" if body.strip() else ""
        comment = _comment(uow, ctx, job, text, actor, channel, case_id=case.id)
        uow.commit()
    return comment


def _comment(
    uow: UnitOfWork,
    ctx: Context,
    job: Job,
    body: str,
    actor: Actor,
    channel: AuditChannel,
    *,
    case_id: str | None = None,
) -> FeedComment:
    now = ctx.now()
    comment = FeedComment(
        id=new_id("FC"),
        homeowner_id=job.homeowner.id,
        job_id=job.id,
        author=actor.id,
        body=body,
        created_at=now,
    )
    uow.feed.add(comment)
    data: dict[str, JSONValue] = {"comment_id": comment.id, "automatic": False, "body": body}
    if case_id is not None:
        data["case_id"] = case_id
    record(
        uow,
        job.id,
        AuditContext(actor=actor.id, at=now, channel=channel),
        [Event(EventKind.FEED_COMMENTED, data)],
    )
    return comment


def read_feed(
    ctx: Context, job_id: str, *, actor: Actor, after: str | None = None, limit: int = MAX_PAGE
) -> Paged[FeedComment]:
    """A page of the job's homeowner's profile feed, oldest first, as far as the reader may
    see it: the staff read every comment on the homeowner's jobs, an installer or sales rep
    only those on its own."""
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        return read_page(
            lambda n: uow.feed.for_homeowner(job.homeowner.id, actor.scope, after=after, limit=n),
            limit,
        )
