"""Direct Pay M1B with the invoice uploaded: a case for Deal Processing, worked by Back Office.

DP's approval does not cancel by itself: it marks the request approved, and the job is
cancelled through the one cancel (``cancel_request``) once the request is the verified
homeowner's with the written statement: at once if it already is, otherwise when support
completes it and cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rescind.domain.access import Actor, Permission, Role
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.authority import Authority, evidence_refusal
from rescind.domain.case import (
    Case,
    Queue,
    already_escalated,
    not_for_deal_processing,
    open_deal_processing_escalation,
)
from rescind.domain.email import EmailKind, OutgoingEmail, homeowner_language
from rescind.domain.errors import InvalidInput
from rescind.domain.events import Event
from rescind.domain.job import Job
from rescind.domain.recipients import Recipients
from rescind.domain.request import CancellationRequest, Outcome, RequesterRole
from rescind.domain.user import User
from rescind.services.access import case_for, request_for
from rescind.services.cancellation import CancelResult, cancel_request, close_request
from rescind.services.context import Context
from rescind.services.eligibility import decide_and_record
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, new_id, queue_email, record


def escalate_to_deal_processing(
    ctx: Context,
    request_id: str,
    *,
    actor: Actor,
    detail: str = "",
    expected_version: int | None = None,
) -> Case:
    """Only a job whose decision says "escalate" (rule 5 in v1) becomes a DP case."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.ESCALATE)
        request.require_open()
        expect_version(f"request {request.id}", request.version, expected_version)
        decision, actx = decide_and_record(
            uow, job, actor=actor, channel=AuditChannel(request.channel.value), at=now
        )
        refusal = not_for_deal_processing(decision, job.id)
        if refusal is not None:
            raise refusal
        case = open_escalation(uow, request, job, actx, detail=detail)
        uow.commit()
    return case


def open_escalation(
    uow: UnitOfWork,
    request: CancellationRequest,
    job: Job,
    actx: AuditContext,
    *,
    detail: str = "",
) -> Case:
    """The case for a request whose decision (just recorded with ``actx``) says escalate,
    inside the caller's transaction: support's Escalate and the homeowner's own page."""
    refusal = already_escalated(request.id, uow.cases.for_job(job.id))
    if refusal is not None:
        raise refusal
    case, events = open_deal_processing_escalation(
        case_id=new_id("CASE"),
        job_id=job.id,
        request_id=request.id,
        requested_by=request.requester_role,
        created_by=actx.actor,
        now=actx.at,
        detail=detail,
    )
    uow.cases.add(case)
    escalated = request.escalate(case.id)
    uow.requests.save(request)
    record(uow, job.id, actx, [*events, escalated])
    return case


def reassign_case(
    ctx: Context,
    case_id: str,
    queue: Queue,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> Case:
    return _change_case(
        ctx, case_id, actor, expected_version, lambda _uow, case: case.reassign(queue)
    )


TEAM_ROLES = frozenset({Role.AGENT, Role.BACK_OFFICE, Role.DEAL_PROCESSING})


def team_of(users: list[User]) -> list[User]:
    """Of ``users``, the active support users a case can be assigned to."""
    return [u for u in users if u.active and u.role in TEAM_ROLES]


def assign_case(
    ctx: Context,
    case_id: str,
    user_id: str,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> Case:
    """Give the case to one team user (the actor themself for "assign to me")."""

    def assign(uow: UnitOfWork, case: Case) -> Event:
        user = next((u for u in uow.users.list() if u.actor.id == user_id), None)
        if user is None or not user.active or user.role not in TEAM_ROLES:
            raise InvalidInput("pick an active support user to assign the case to", field="user_id")
        return case.assign(user.actor.id)

    return _change_case(ctx, case_id, actor, expected_version, assign)


def _change_case(
    ctx: Context,
    case_id: str,
    actor: Actor,
    expected_version: int | None,
    change: Callable[[UnitOfWork, Case], Event],
) -> Case:
    """Load the case the actor may route, check its version, apply one domain change and
    record the event it returned: the one shape of reassigning and assigning."""
    now = ctx.now()
    with ctx.uow() as uow:
        case, _ = case_for(uow, case_id, actor, Permission.REASSIGN_CASE)
        expect_version(f"case {case.id}", case.version, expected_version)
        event = change(uow, case)
        uow.cases.save(case)
        record(
            uow,
            case.job_id,
            AuditContext(actor=actor.id, at=now, channel=AuditChannel.CONSOLE),
            [event],
        )
        uow.commit()
    return case


@dataclass(frozen=True)
class Approval:
    case: Case
    request: CancellationRequest | None
    cancelled: CancelResult | None  # None: the request still needs verification/statement

    @property
    def message(self) -> str:
        if self.cancelled is not None:
            return self.cancelled.message
        if self.request is not None and self.request.is_open:
            return f"request {self.request.id}: {self.request.approval_note}"
        return "no open request to cancel on; the job stays as it is"


def approve_escalation(
    ctx: Context,
    case_id: str,
    *,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> Approval:
    """DP's approval stands in for rule 5, never for verification or the statement."""
    now = ctx.now()
    with ctx.uow() as uow:
        case, job = case_for(uow, case_id, actor, Permission.DECIDE_CASE)
        expect_version(f"case {case.id}", case.version, expected_version)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel.DEAL_PROCESSING)
        events = [case.approve(actor.id, now, note)]
        uow.cases.save(case)
        request = uow.requests.get(case.request_id) if case.request_id else None
        # A request closed meanwhile (say, cancelled after the rule changed) keeps its end.
        if request is not None and request.is_open:
            events.append(request.approve(case.id))
            uow.requests.save(request)
        record(uow, job.id, actx, events)
        cancelled = None
        if (
            request is not None
            and request.is_open
            and evidence_refusal(request, Authority.DEAL_PROCESSING_APPROVAL) is None
        ):
            cancelled = cancel_request(
                uow,
                ctx,
                request,
                job,
                authority=Authority.DEAL_PROCESSING_APPROVAL,
                actor=actor,
                channel=AuditChannel.DEAL_PROCESSING,
                reason="Deal Processing approved the cancellation" + (f": {note}" if note else ""),
                at=now,
            )
        _tell_requester(uow, job, case, actx, approved=True, cancelled=cancelled is not None)
        uow.commit()
    return Approval(case=case, request=request, cancelled=cancelled)


def deny_escalation(
    ctx: Context,
    case_id: str,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """The requester is told why; the job stays as it is."""
    now = ctx.now()
    with ctx.uow() as uow:
        case, job = case_for(uow, case_id, actor, Permission.DECIDE_CASE)
        expect_version(f"case {case.id}", case.version, expected_version)
        event = case.deny(actor.id, now, reason)
        uow.cases.save(case)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel.DEAL_PROCESSING)
        record(uow, job.id, actx, [event])
        request = uow.requests.get(case.request_id) if case.request_id else None
        if request is not None and request.is_open:
            close_request(
                uow, request, actx, Outcome.DENIED, f"denied by Deal Processing: {reason}"
            )
        _tell_requester(uow, job, case, actx, approved=False, cancelled=False)
        uow.commit()
    return case


def _tell_requester(
    uow: UnitOfWork,
    job: Job,
    case: Case,
    actx: AuditContext,
    *,
    approved: bool,
    cancelled: bool,
) -> None:
    address = {
        RequesterRole.HOMEOWNER: job.homeowner.email,
        RequesterRole.SALES_REP: job.sales_rep.email,
        RequesterRole.INSTALLER: job.installer.email,
    }[case.requested_by]
    queue_email(
        uow,
        OutgoingEmail(
            kind=EmailKind.DP_DECISION,
            recipients=Recipients(to=(address,)),
            job_id=job.id,
            context={
                "case_id": case.id,
                "job_id": job.id,
                "approved": approved,
                "cancelled": cancelled,
                "reason": case.decision_reason,
                **(homeowner_language(job) if case.requested_by is RequesterRole.HOMEOWNER else {}),
            },
        ),
        actx,
    )
