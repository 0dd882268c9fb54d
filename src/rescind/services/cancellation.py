"""Steps 1–6 of the procedure for one request, and restoring a pending job.

``cancel_workflow`` runs the whole procedure in one transaction: decide, check verification
and the written statement, stop if already pending, cancel (with the review steps of rule 2),
comment on the feed, and queue the notice to the contract signers. A refusal is recorded
too (decision and outcome) and then raised, so the agent sees why and the trail keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditContext
from rescind.domain.eligibility import Action, Decision
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import NotEligible, NotVerified, StatementMissing
from rescind.domain.events import Event, EventKind
from rescind.domain.feed import FeedComment, cancellation_comment
from rescind.domain.job import Job
from rescind.domain.recipients import cancellation_notice_recipients
from rescind.domain.request import CancellationRequest, Outcome, RequesterRole, reason_label
from rescind.domain.workflow import cancel, restore
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.eligibility import decide_and_record
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, new_id, queue_email, record


@dataclass(frozen=True)
class CancelResult:
    job_id: str
    request_id: str | None
    already_pending: bool
    final_at: datetime
    final_date: date
    decision: Decision | None
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
    """``expected_version`` is the job version the caller decided on (If-Match)."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.CANCEL)
        request.require_open()
        expect_version(f"job {job.id}", job.version, expected_version)
        decision, actx = decide_and_record(
            uow, job, actor=actor, channel=request.channel.value, at=now
        )
        # Step 1: eligible? The decision is recorded either way.
        if not decision.eligible:
            refusal = not_eligible_error(decision)
            if decision.action is Action.STOP:
                _close(uow, request, actx, Outcome.NOT_ELIGIBLE, refusal.message)
            uow.commit()
            raise refusal
        # Step 2: verified, with a written statement from the homeowner.
        _require_verified(request)
        # Steps 3–6.
        why = reason or reason_label(request.reason, request.reason_text) or "homeowner request"
        result = cancel_job(uow, ctx, job, actx, decision=decision, reason=why, request=request)
        uow.commit()
    return result


def cancel_job(
    uow: UnitOfWork,
    ctx: Context,
    job: Job,
    actx: AuditContext,
    *,
    decision: Decision | None,
    reason: str,
    request: CancellationRequest | None,
) -> CancelResult:
    """Steps 3–6 inside the caller's transaction; shared by support, installers and DP."""
    ops = ctx.operations_calendar(uow)
    steps = decision.steps_before_cancel if decision else ()
    outcome = cancel(job, now=actx.at, calendar=ops, steps_before_cancel=steps, reason=reason)
    final_date = ops.day_ended_by(outcome.final_at)
    request_id = request.id if request else None
    record(uow, job.id, actx, _with_request(outcome.events, request_id))
    message_ids: list[str] = []
    if outcome.already_pending:
        # Step 3: nothing new; the requester is told the date. The job must still be pending
        # at commit: a restore that commits first makes this answer a Conflict, not a lie.
        uow.jobs.hold(job)
        if request:
            _close(uow, request, actx, Outcome.ALREADY_PENDING, f"pending until {final_date}")
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
                OutgoingEmail(
                    kind=EmailKind.CANCELLATION_NOTICE,
                    recipients=cancellation_notice_recipients(job),
                    job_id=job.id,
                    context={
                        "job_id": job.id,
                        "homeowner_name": job.homeowner.name,
                        "final_date": final_date.isoformat(),
                        "reason": reason,
                    },
                ),
                actx,
            )
        )
        if request:
            _close(uow, request, actx, Outcome.CANCEL_PENDING, f"cancel pending until {final_date}")
    return CancelResult(
        job_id=job.id,
        request_id=request_id,
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
    channel: str = "console",
    why: str = "",
    expected_version: int | None = None,
) -> Job:
    """Back to active while the window is open; refused once it has ended, swept or not."""
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.RESTORE)
        expect_version(f"job {job.id}", job.version, expected_version)
        event = restore(job, now=now)
        uow.jobs.save(job)
        actx = AuditContext(actor=actor.id, at=now, channel=channel)
        comment = FeedComment(
            id=new_id("FC"),
            homeowner_id=job.homeowner.id,
            job_id=job.id,
            author=actor.id,
            body="Workflow restored to active."
            + (f" Reason: {why.strip()}" if why.strip() else ""),
            created_at=now,
            automatic=True,
        )
        uow.feed.add(comment)
        data = dict(event.data) | {"why": why}
        record(uow, job.id, actx, [Event(event.kind, data), _feed_event(comment)])
        uow.commit()
    return job


def _require_verified(request: CancellationRequest) -> None:
    if request.requester_role is not RequesterRole.HOMEOWNER or not request.verified:
        raise NotVerified(
            f"request {request.id} is not verified as the homeowner's: confirm a 4-digit code "
            "by phone/chat, or take an email from the address on file"
        )
    if request.statement is None:
        raise StatementMissing(
            f"request {request.id} has no written statement from the homeowner: attach their "
            "email, chat transcript or mailed/telegram notice before cancelling"
        )


def not_eligible_error(decision: Decision) -> NotEligible:
    return NotEligible(
        f"not eligible for cancellation by support (rule {decision.rule_number}: "
        f"{decision.rule_text}, policy v{decision.policy_version}): {decision.guidance}",
        rule_number=decision.rule_number,
        policy_version=decision.policy_version,
    )


def _close(
    uow: UnitOfWork,
    request: CancellationRequest,
    actx: AuditContext,
    outcome: Outcome,
    detail: str,
) -> None:
    request.close(outcome, detail)
    uow.requests.save(request)
    record(
        uow,
        request.job_id,
        actx,
        [
            Event(
                EventKind.REQUEST_CLOSED,
                {"request_id": request.id, "outcome": outcome.value, "detail": detail},
            )
        ],
    )


def _with_request(events: tuple[Event, ...], request_id: str | None) -> list[Event]:
    return [Event(e.kind, dict(e.data) | {"request_id": request_id}) for e in events]


def _feed_event(comment: FeedComment) -> Event:
    return Event(
        EventKind.FEED_COMMENTED,
        {"comment_id": comment.id, "automatic": comment.automatic, "body": comment.body},
    )
