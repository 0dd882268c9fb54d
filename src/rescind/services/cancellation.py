"""Steps 1–6 of the procedure for one request, and restoring a pending job.

``cancel_request`` is the one cancel every door runs (support's ``cancel_workflow``, the
installer's button, Deal Processing's approval, the demo), inside the door's transaction and
under the door's ``Authority``: decide (recorded); refuse with the rule, closing the request
on record when the rule says stop; require the verified homeowner's written statement where
the authority demands it; answer "already pending"; else cancel (with the review steps of
rule 2), comment on the feed, queue the signers' notice; and close the request with its event.
An eligibility refusal is committed (with whatever the door recorded before it) and raised,
so the requester's door shows why and the trail keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.authority import Authority, cancel_refusal, support_authority
from rescind.domain.case import CaseStatus
from rescind.domain.eligibility import Action, Decision
from rescind.domain.email import EmailKind, OutgoingEmail, homeowner_language
from rescind.domain.errors import NotEligible
from rescind.domain.events import Event, EventKind, JSONValue
from rescind.domain.feed import FeedComment, cancellation_comment
from rescind.domain.job import Job
from rescind.domain.recipients import cancellation_notice_recipients
from rescind.domain.request import CancellationRequest, Outcome, reason_label
from rescind.domain.workflow import cancel, restore
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.eligibility import decide_and_record
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, new_id, queue_email, record


@dataclass(frozen=True)
class CancelResult:
    job_id: str
    request_id: str
    authority: Authority
    already_pending: bool
    final_at: datetime
    final_date: date
    decision: Decision
    message_ids: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        verb = "is already" if self.already_pending else "is now"
        return (
            f"job {self.job_id} {verb} cancel pending until the end of "
            f"{self.final_date.isoformat()}"
        )


def cancel_workflow(
    ctx: Context,
    request_id: str,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> CancelResult:
    """Support's cancel of one request; ``expected_version`` is the job version the caller
    decided on (If-Match). A request Deal Processing approved is cancelled on that approval."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.CANCEL)
        request.require_open()
        expect_version(f"job {job.id}", job.version, expected_version)
        why = reason or reason_label(request.reason, request.reason_text) or "homeowner request"
        result = cancel_request(
            uow,
            ctx,
            request,
            job,
            authority=support_authority(request),
            actor=actor,
            channel=AuditChannel(request.channel.value),
            reason=why,
            at=now,
        )
        uow.commit()
    return result


def cancel_request(
    uow: UnitOfWork,
    ctx: Context,
    request: CancellationRequest,
    job: Job,
    *,
    authority: Authority,
    actor: Actor,
    channel: AuditChannel,
    reason: str,
    at: datetime,
) -> CancelResult:
    """The one cancel, inside the caller's transaction; the caller commits what it returns."""
    # Step 1: eligible? The decision is recorded either way.
    decision, actx = decide_and_record(uow, job, actor=actor, channel=channel, at=at)
    refusal = cancel_refusal(decision, request, authority)
    if isinstance(refusal, NotEligible):
        if decision.action is Action.STOP:
            # The rule that said stop goes on the record, as a person's refusal puts it.
            rule = {"rule_number": decision.rule_number, "policy_version": decision.policy_version}
            close_request(uow, request, actx, Outcome.NOT_ELIGIBLE, refusal.message, extra=rule)
        uow.commit()
        raise refusal
    # Step 2: verified, with a written statement from the homeowner (nothing is kept).
    if refusal is not None:
        raise refusal
    # Steps 3–6.
    ops = ctx.operations_calendar(uow)
    outcome = cancel(
        job,
        now=actx.at,
        calendar=ops,
        steps_before_cancel=decision.steps_before_cancel,
        reason=reason,
    )
    final_date = ops.day_ended_by(outcome.final_at)
    record(uow, job.id, actx, _with_request(outcome.events, request.id, authority))
    message_ids: list[str] = []
    if outcome.already_pending:
        # Step 3: nothing new; the requester is told the date. The job must still be pending
        # at commit: a restore that commits first makes this answer a Conflict, not a lie.
        uow.jobs.hold(job)
        close_request(uow, request, actx, Outcome.ALREADY_PENDING, f"pending until {final_date}")
    else:
        uow.jobs.save(job)
        # Step 5: the reason on the homeowner's feed.
        comment = FeedComment(
            id=new_id("FC"),
            homeowner_id=job.homeowner.id,
            job_id=job.id,
            author=actx.actor,
            body=cancellation_comment(reason, final_date.isoformat()),
            created_at=actx.at,
            automatic=True,
        )
        uow.feed.add(comment)
        record(uow, job.id, actx, [_feed_event(comment)])
        # Step 6: notify all contract signers.
        message_ids.append(
            queue_email(
                uow,
                _signers_email(
                    EmailKind.CANCELLATION_NOTICE,
                    job,
                    final_date=final_date.isoformat(),
                    reason=reason,
                ),
                actx,
            )
        )
        close_request(
            uow, request, actx, Outcome.CANCEL_PENDING, f"cancel pending until {final_date}"
        )
    return CancelResult(
        job_id=job.id,
        request_id=request.id,
        authority=authority,
        already_pending=outcome.already_pending,
        final_at=outcome.final_at,
        final_date=final_date,
        decision=decision,
        message_ids=tuple(message_ids),
    )


def restore_workflow(
    ctx: Context,
    job_id: str,
    *,
    actor: Actor,
    why: str,
    channel: AuditChannel = AuditChannel.CONSOLE,
    expected_version: int | None = None,
) -> Job:
    """Back to active while the window is open; refused once it has ended, swept or not.

    The reason is required; it goes on the feed, and the contract signers are told the
    cancellation was withdrawn (To/CC exactly as for the cancellation notice).
    """
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.RESTORE)
        expect_version(f"job {job.id}", job.version, expected_version)
        restore_job(uow, ctx, job, AuditContext(actor=actor.id, at=now, channel=channel), why)
        uow.commit()
    return job


def restore_job(uow: UnitOfWork, ctx: Context, job: Job, actx: AuditContext, why: str) -> None:
    """The one restore, inside the caller's transaction (support's, the homeowner's page)."""
    was_final_at = job.final_at
    event = restore(job, now=actx.at, why=why)
    assert was_final_at is not None  # only a pending job restores
    uow.jobs.save(job)
    comment = FeedComment(
        id=new_id("FC"),
        homeowner_id=job.homeowner.id,
        job_id=job.id,
        author=actx.actor,
        body=f"Workflow restored to active. Reason: {why.strip()}",
        created_at=actx.at,
        automatic=True,
    )
    uow.feed.add(comment)
    record(uow, job.id, actx, [event, _feed_event(comment)])
    ops = ctx.operations_calendar(uow)
    queue_email(
        uow,
        _signers_email(
            EmailKind.WORKFLOW_RESTORED,
            job,
            why=why.strip(),
            window_was_final_date=ops.day_ended_by(was_final_at).isoformat(),
        ),
        actx,
    )


def _signers_email(kind: EmailKind, job: Job, **context: str) -> OutgoingEmail:
    """An email about ``job`` to every contract signer (the cancellation notice, the
    restore), in the homeowner's language."""
    return OutgoingEmail(
        kind=kind,
        recipients=cancellation_notice_recipients(job),
        job_id=job.id,
        context={
            "job_id": job.id,
            "homeowner_name": job.homeowner.name,
            **context,
            **homeowner_language(job),
        },
    )


def close_request(
    uow: UnitOfWork,
    request: CancellationRequest,
    actx: AuditContext,
    outcome: Outcome,
    detail: str,
    *,
    extra: Mapping[str, JSONValue] | None = None,
) -> None:
    """Close a request on record: saved with its ``request_closed`` event, for every door."""
    escalated = request.outcome is Outcome.ESCALATED
    event = request.close(outcome, detail)
    if extra:
        event = Event(event.kind, dict(event.data) | dict(extra))
    uow.requests.save(request)
    record(uow, request.job_id, actx, [event, *close_cases_of(uow, request, actx, escalated)])


def close_cases_of(
    uow: UnitOfWork, request: CancellationRequest, actx: AuditContext, escalated: bool
) -> list[Event]:
    """A request that ends takes its still-open case with it (same transaction); the
    events to record after the request's own. ``escalated``: the request was, before it
    closed; only an escalation opens a request's case (``open_escalation``), so a request
    never escalated has none to look for."""
    if not escalated:
        return []
    events = []
    for case in uow.cases.for_job(request.job_id):
        if case.request_id == request.id and case.status is CaseStatus.OPEN:
            why = f"request {request.id} was closed: {request.outcome.value.replace('_', ' ')}"
            events.append(case.close(actx.actor, actx.at, why))
            uow.cases.save(case)
    return events


def _with_request(events: tuple[Event, ...], request_id: str, authority: Authority) -> list[Event]:
    extra = {"request_id": request_id, "authority": authority.value}
    return [Event(e.kind, dict(e.data) | extra) for e in events]


def _feed_event(comment: FeedComment) -> Event:
    return Event(
        EventKind.FEED_COMMENTED,
        {"comment_id": comment.id, "automatic": comment.automatic, "body": comment.body},
    )
