"""Step 2: verify that the request is the homeowner's — by 4-digit code or by address on file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.email import EmailKind, OutgoingEmail, homeowner_language
from rescind.domain.errors import NotVerified, VerificationFailed
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.job import Job
from rescind.domain.recipients import homeowner_only
from rescind.domain.request import (
    CancellationRequest,
    VerificationMethod,
    homeowner_only_refusal,
)
from rescind.domain.verification import (
    EMAIL_SUPPORT_INSTEAD,
    MAX_ATTEMPTS,
    ChallengeStatus,
    ConfirmResult,
    VerificationChallenge,
    check_code_format,
    issue_challenge,
    sent_from_address_on_file,
)
from rescind.domain.wording import count
from rescind.services.access import request_for
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, new_id, queue_email, record


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
    refusal = homeowner_only_refusal(request)
    if refusal is not None:
        raise refusal
    return request, job


def send_verification_code(ctx: Context, request_id: str, *, actor: Actor) -> CodeSent:
    """Email a fresh code from HO Outbound to the address on file; older codes stop working."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = _homeowner_request(uow, request_id, actor, Permission.SEND_CODE)
        uow.challenges.hold_request(request.id)
        earlier = uow.challenges.for_request(request.id)
        ctx.code_limits.check_send(
            [c.issued_at for c in earlier], sum(c.attempts for c in earlier), now
        )
        for old in earlier:
            if old.status is ChallengeStatus.OPEN:
                old.status = ChallengeStatus.SUPERSEDED
                uow.challenges.save(old)
        challenge, code = issue_challenge(new_id("VC"), request.id, now)
        uow.challenges.add(challenge)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel(request.channel.value))
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
                    **homeowner_language(job),
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


# Refusals of an attempt; a wrong code's text, with what is left, is ``_failed``'s.
_FAILURE_TEXT = {
    ConfirmResult.LOCKED: "too many wrong codes: this code is locked. Send a new code, or "
    + EMAIL_SUPPORT_INSTEAD,
    ConfirmResult.EXPIRED: "the code has expired (codes last 10 minutes); send a new code",
    ConfirmResult.NOT_OPEN: "there is no active code for this request; send a code first",
}


@dataclass(frozen=True)
class _Claim:
    """One attempt counted in storage (the ``attempt``-th at its code), not yet evaluated."""

    challenge: VerificationChallenge
    attempt: int
    request_left: int  # attempts the request has left across its codes, after this one


def confirm_verification_code(
    ctx: Context,
    request_id: str,
    code: str,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> CancellationRequest:
    """Check the code read back: the attempt is counted and committed first, in a short
    transaction of its own, and only a counted attempt is compared; a wrong one is never
    rolled back by its refusal, and parallel guesses cannot share one count."""
    check_code_format(code)
    now = ctx.now()
    claim = _claim_attempt(ctx, request_id, actor, now, code, expected_version)
    if isinstance(claim, CancellationRequest):
        return claim  # the same code read back twice (a double click): verified once
    # Outside any transaction: scrypt takes a while, and the attempt is already counted.
    matched = claim.challenge.matches(code)
    with ctx.uow() as uow:
        request, _ = _homeowner_request(uow, request_id, actor, Permission.CONFIRM_CODE)
        uow.challenges.hold_request(request.id)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel(request.channel.value))
        result = claim.challenge.result_of(claim.attempt, matched=matched)
        if result is ConfirmResult.VERIFIED:
            if uow.challenges.settle(claim.challenge.id, ChallengeStatus.VERIFIED):
                mark_verified(request, VerificationMethod.CODE, now)
                uow.requests.save(request)
                record(uow, request.job_id, actx, [verified_event(request, claim.challenge.id)])
                uow.commit()
                return request
            again = uow.requests.get(request.id)  # read before the hold: read it again
            if again.verified:
                return again  # a parallel reading of the same code verified it first
            result = ConfirmResult.NOT_OPEN  # a newer code replaced this one meanwhile
        elif result is ConfirmResult.LOCKED:
            uow.challenges.settle(claim.challenge.id, ChallengeStatus.LOCKED)
        attempts_left = min(MAX_ATTEMPTS - claim.attempt, claim.request_left)
        record(uow, request.job_id, actx, [_rejected(request.id, result, attempts_left, claim)])
        uow.commit()
    raise _failed(ctx, result, attempts_left, claim.request_left)


def _claim_attempt(
    ctx: Context,
    request_id: str,
    actor: Actor,
    now: datetime,
    code: str,
    expected_version: int | None,
) -> _Claim | CancellationRequest:
    """Count one attempt at the request's current code, or refuse (on record) without one;
    the request itself when the code it was verified with is read back again."""
    with ctx.uow() as uow:
        request, _ = _homeowner_request(uow, request_id, actor, Permission.CONFIRM_CODE)
        uow.challenges.hold_request(request.id)
        challenges = uow.challenges.for_request(request.id)
        used = sum(c.attempts for c in challenges)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel(request.channel.value))
        if ctx.code_limits.guesses_left(used) == 0:
            record(uow, request.job_id, actx, [_rejected(request.id, "request_limit", 0)])
            uow.commit()
            raise ctx.code_limits.guesses_spent()
        challenge = _current(challenges)
        if (
            request.verified
            and challenge is not None
            and challenge.status is ChallengeStatus.VERIFIED
            and challenge.matches(code)
        ):
            return request  # a parallel reading of the same code settled first
        # Before an attempt is counted: a stale read spends none of the homeowner's guesses.
        expect_version(f"request {request.id}", request.version, expected_version)
        refused = ConfirmResult.NOT_OPEN if challenge is None else challenge.refusal(now)
        if challenge is not None and refused is None:
            attempt = uow.challenges.claim_attempt(challenge.id, now=now, max_attempts=MAX_ATTEMPTS)
            if attempt is not None:
                uow.commit()
                return _Claim(challenge, attempt, ctx.code_limits.guesses_left(used + 1))
            # A parallel guess took the last attempt between our read and our write.
            refused = ConfirmResult.LOCKED
        if challenge is not None and refused is ConfirmResult.EXPIRED:
            uow.challenges.settle(challenge.id, ChallengeStatus.EXPIRED)
        assert refused is not None
        record(uow, request.job_id, actx, [_rejected(request.id, refused, 0)])
        uow.commit()
    raise VerificationFailed(_FAILURE_TEXT[refused], reason=refused.value, attempts_left=0)


def _current(challenges: list[VerificationChallenge]) -> VerificationChallenge | None:
    """The open code (at most one is), else the newest: two sent at one clock reading tie."""
    open_ = [c for c in challenges if c.status is ChallengeStatus.OPEN]
    return open_[-1] if open_ else (challenges[-1] if challenges else None)


def _rejected(
    request_id: str, reason: ConfirmResult | str, attempts_left: int, claim: _Claim | None = None
) -> Event:
    """``attempt`` is the counted attempt's number at its code; None when none was counted."""
    return Event(
        EventKind.VERIFICATION_CODE_REJECTED,
        {
            "request_id": request_id,
            "reason": str(reason),
            "attempts_left": attempts_left,
            "challenge_id": claim.challenge.id if claim else None,
            "attempt": claim.attempt if claim else None,
        },
    )


def _failed(
    ctx: Context, result: ConfirmResult, attempts_left: int, request_left: int
) -> VerificationFailed:
    """The refusal of an evaluated attempt, saying what is left and what to do next."""
    if result not in (ConfirmResult.WRONG, ConfirmResult.LOCKED):
        text = _FAILURE_TEXT[result]
    elif request_left == 0:
        text = f"that code does not match, and {ctx.code_limits.guesses_spent().message}"
    elif result is ConfirmResult.LOCKED:
        text = (
            f"that code does not match, and it was the {MAX_ATTEMPTS}th wrong one: this code is "
            f"locked. Send a new code (this request has {count(request_left, 'attempt')} left "
            f"across its codes), or {EMAIL_SUPPORT_INSTEAD}"
        )
    else:
        text = (
            f"that code does not match: {count(attempts_left, 'attempt')} left; ask the "
            "homeowner to read it again"
        )
    return VerificationFailed(text, reason=result.value, attempts_left=attempts_left)


def verify_by_address_on_file(
    ctx: Context,
    request_id: str,
    *,
    sender: str,
    authenticated: bool | None,
    actor: Actor,
    expected_version: int | None = None,
) -> CancellationRequest:
    """An email request is the homeowner's when it came from the address on file, unforged;
    ``authenticated`` None (not known) is not authenticated."""
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = _homeowner_request(uow, request_id, actor, Permission.VERIFY_ADDRESS)
        expect_version(f"request {request.id}", request.version, expected_version)
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
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel(request.channel.value))
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
