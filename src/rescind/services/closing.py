"""Ending a request without a cancel: refused or closed with a reason, the requester told.

Every request ends (SPEC "Everything is recorded"): not eligible (with the rule that said
stop), not verified, withdrawn by the homeowner, or a duplicate of another. The domain checks
the reason is true of the request now (``CancellationRequest.close_with_reason``) and returns
the ``request_closed`` event; this records it with who, when and through which door, and
queues the email telling the requester why. ``refuse_not_eligible`` is the agent's "we are
unable to cancel" for a job the table stops (Beam/Concert, rule 1): it files the request (or
takes the requester's open one) and closes it, so the refusal is on record.
"""

from __future__ import annotations

from rescind.domain.access import Actor, Permission, require_files_as
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.eligibility import Decision
from rescind.domain.email import EmailKind, OutgoingEmail, homeowner_language
from rescind.domain.errors import InvalidInput
from rescind.domain.job import Job
from rescind.domain.recipients import requester_recipients
from rescind.domain.request import (
    CancellationRequest,
    Channel,
    CloseReason,
    Outcome,
    RequestDraft,
    RequesterRole,
    require_staff_door,
)
from rescind.services.access import job_for, request_for
from rescind.services.cancellation import close_cases_of
from rescind.services.context import Context
from rescind.services.eligibility import decide_and_record
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, queue_email, record
from rescind.services.requests import open_request, open_request_of


def close_with_reason(
    ctx: Context,
    request_id: str,
    reason: CloseReason,
    *,
    actor: Actor,
    note: str = "",
    duplicate_of: str | None = None,
    channel: AuditChannel = AuditChannel.CONSOLE,
    expected_version: int | None = None,
) -> CancellationRequest:
    """Close one open request with its reason; ``expected_version`` is the request's."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.CLOSE_REQUEST)
        request.require_open()
        expect_version(f"request {request.id}", request.version, expected_version)
        actx = AuditContext(actor=actor.id, at=now, channel=channel)
        decision = None
        if reason is CloseReason.NOT_ELIGIBLE:
            # The rule is the table's answer now, recorded with the refusal, never typed in.
            decision, actx = decide_and_record(uow, job, actor=actor, channel=channel, at=now)
        if reason is CloseReason.DUPLICATE:
            _require_same_job(uow, request, duplicate_of)
        _close(uow, request, job, actx, reason, note, decision=decision, duplicate_of=duplicate_of)
        uow.commit()
    return request


def refuse_not_eligible(
    ctx: Context,
    job_id: str,
    *,
    channel: Channel,
    requester_role: RequesterRole,
    requester_name: str,
    actor: Actor,
    note: str = "",
) -> CancellationRequest:
    """Tell the requester we are unable to cancel, on record: the decision, a request (the
    requester's open one, or a new one) and its closing with the rule, in one transaction."""
    require_files_as(actor, requester_role)
    require_staff_door(channel)
    now = ctx.now()
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.CLOSE_REQUEST)
        decision, actx = decide_and_record(
            uow, job, actor=actor, channel=AuditChannel(channel.value), at=now
        )
        request = open_request_of(uow, job.id, requester_role) or open_request(
            uow,
            ctx,
            job,
            actx,
            RequestDraft(
                job_id=job.id,
                channel=channel,
                requester_role=requester_role,
                requester_name=requester_name,
            ),
        )
        # An eligible job is refused here, before anything is committed.
        _close(uow, request, job, actx, CloseReason.NOT_ELIGIBLE, note, decision=decision)
        uow.commit()
    return request


def _require_same_job(uow: UnitOfWork, request: CancellationRequest, other_id: str | None) -> None:
    if not other_id:
        return  # the domain says what is missing
    other = uow.requests.get(other_id)
    if other.job_id != request.job_id:
        raise InvalidInput(
            f"request {other_id} is for job {other.job_id}, not {request.job_id}: a duplicate "
            "repeats a request for the same job",
            field="duplicate_of",
        )


def _close(
    uow: UnitOfWork,
    request: CancellationRequest,
    job: Job,
    actx: AuditContext,
    reason: CloseReason,
    note: str,
    *,
    decision: Decision | None = None,
    duplicate_of: str | None = None,
) -> None:
    escalated = request.outcome is Outcome.ESCALATED
    event = request.close_with_reason(reason, note, decision=decision, duplicate_of=duplicate_of)
    uow.requests.save(request)
    record(uow, job.id, actx, [event, *close_cases_of(uow, request, actx, escalated)])
    queue_email(
        uow,
        OutgoingEmail(
            kind=EmailKind.REQUEST_CLOSED,
            recipients=requester_recipients(job, request.requester_role),
            job_id=job.id,
            context={
                "job_id": job.id,
                "request_id": request.id,
                "requester_name": request.requester_name,
                "reason": reason.value,
                "reason_label": reason.label,
                "rule": f"rule {decision.rule_number}: {decision.rule_text}" if decision else "",
                "note": note.strip(),
                "duplicate_of": duplicate_of or "",
                **(
                    homeowner_language(job)
                    if request.requester_role is RequesterRole.HOMEOWNER
                    else {}
                ),
            },
        ),
        actx,
    )
