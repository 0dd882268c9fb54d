"""Step 2: verify that the request is the homeowner's — by 4-digit code or by address on file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditContext
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import NotAllowed, NotVerified, VerificationFailed
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.job import Job
from rescind.domain.recipients import homeowner_only
from rescind.domain.request import CancellationRequest, RequesterRole, VerificationMethod
from rescind.domain.verification import (
    ChallengeStatus,
    ConfirmResult,
    issue_challenge,
    sent_from_address_on_file,
)
from rescind.services.access import request_for
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import new_id, queue_email, record


@dataclass(frozen=True)
class CodeSent:
    request_id: str
    challenge_id: str
    expires_at: datetime
    message_id: str
    sent_to: str


def _homeowner_request(
    uow: UnitOfWork, request_id: str, actor: Actor, permission: Permission
) -> tuple[CancellationRequest, Job]:
    request, job = request_for(uow, request_id, actor, permission)
    request.require_open()
    if request.requester_role is not RequesterRole.HOMEOWNER:
        raise NotAllowed(
            f"only the homeowner can be verified; this request came from the "
            f"{request.requester_role.value.replace('_', ' ')}. The homeowner must email support "
            "from the address on file, or call and confirm a code"
        )
    return request, job


def send_verification_code(ctx: Context, request_id: str, *, actor: Actor) -> CodeSent:
    """Email a fresh code from HO Outbound to the address on file; older codes stop working."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = _homeowner_request(uow, request_id, actor, Permission.SEND_CODE)
        for old in uow.challenges.for_request(request.id):
            if old.status is ChallengeStatus.OPEN:
                old.status = ChallengeStatus.SUPERSEDED
                uow.challenges.save(old)
        challenge, code = issue_challenge(new_id("VC"), request.id, now)
        uow.challenges.add(challenge)
        actx = AuditContext(actor=actor.id, at=now, channel=request.channel.value)
        message_id = queue_email(
            uow,
            OutgoingEmail(
                kind=EmailKind.VERIFICATION_CODE,
                recipients=homeowner_only(job),
                job_id=job.id,
                context={
                    "code": code,
                    "homeowner_name": job.homeowner.name,
                    "expires_at": iso(challenge.expires_at),
                },
                secret_keys=("code",),
            ),
            actx,
        )
        record(
            uow,
            job.id,
            actx,
            [
                Event(
                    EventKind.VERIFICATION_CODE_SENT,
                    {
                        "request_id": request.id,
                        "challenge_id": challenge.id,
                        "expires_at": iso(challenge.expires_at),
                    },
                )
            ],
        )
        uow.commit()
    return CodeSent(request.id, challenge.id, challenge.expires_at, message_id, job.homeowner.email)


_FAILURE_TEXT = {
    ConfirmResult.WRONG: "that code does not match; ask the homeowner to read it again",
    ConfirmResult.LOCKED: "too many wrong codes: this code is locked. Send a new code, or the "
    "homeowner must email support from the address on file",
    ConfirmResult.EXPIRED: "the code has expired (codes last 10 minutes); send a new code",
    ConfirmResult.NOT_OPEN: "there is no active code for this request; send a code first",
}


def confirm_verification_code(
    ctx: Context, request_id: str, code: str, *, actor: Actor
) -> CancellationRequest:
    """Check the code read back; a failed attempt is committed before the error is raised."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, _ = _homeowner_request(uow, request_id, actor, Permission.CONFIRM_CODE)
        challenges = uow.challenges.for_request(request.id)
        challenge = challenges[-1] if challenges else None
        result = challenge.confirm(code, now) if challenge else ConfirmResult.NOT_OPEN
        actx = AuditContext(actor=actor.id, at=now, channel=request.channel.value)
        if challenge is not None:
            uow.challenges.save(challenge)
        if result is ConfirmResult.VERIFIED:
            assert challenge is not None
            mark_verified(request, VerificationMethod.CODE, now)
            uow.requests.save(request)
            record(uow, request.job_id, actx, [verified_event(request, challenge.id)])
            uow.commit()
            return request
        attempts_left = challenge.attempts_left if challenge else 0
        record(
            uow,
            request.job_id,
            actx,
            [
                Event(
                    EventKind.VERIFICATION_CODE_REJECTED,
                    {
                        "request_id": request.id,
                        "reason": result.value,
                        "attempts_left": attempts_left,
                    },
                )
            ],
        )
        uow.commit()
    raise VerificationFailed(
        _FAILURE_TEXT[result], reason=result.value, attempts_left=attempts_left
    )


def verify_by_address_on_file(
    ctx: Context, request_id: str, *, sender: str, authenticated: bool | None, actor: Actor
) -> CancellationRequest:
    """An email request is the homeowner's when it came from the address on file, unforged;
    ``authenticated`` None (not known) is not authenticated."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = _homeowner_request(uow, request_id, actor, Permission.VERIFY_ADDRESS)
        if not sent_from_address_on_file(
            sender, job.homeowner.email, authenticated=authenticated is True
        ):
            why = {
                False: "the receiving server says the sender failed SPF/DKIM/DMARC",
                None: "the receiving server's Authentication-Results do not show DMARC or an "
                "SPF/DKIM pass aligned with the From domain (a From header alone is no proof)",
            }.get(authenticated, f"{sender!r} is not the homeowner's address on file")
            raise NotVerified(
                f"not verified: {why}; ask the homeowner to write from the address on file "
                "or verify by phone with a code"
            )
        mark_verified(request, VerificationMethod.ADDRESS_ON_FILE, now)
        uow.requests.save(request)
        actx = AuditContext(actor=actor.id, at=now, channel=request.channel.value)
        record(uow, job.id, actx, [verified_event(request, sender.strip().lower())])
        uow.commit()
    return request


def mark_verified(request: CancellationRequest, method: VerificationMethod, now: datetime) -> None:
    request.verified = True
    request.verification_method = method
    request.verified_at = now


def verified_event(request: CancellationRequest, evidence: str) -> Event:
    method = request.verification_method.value if request.verification_method else None
    return Event(
        EventKind.REQUEST_VERIFIED,
        {"request_id": request.id, "method": method, "evidence": evidence},
    )
