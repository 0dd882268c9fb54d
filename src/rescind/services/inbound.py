"""A homeowner's email becomes a cancellation request on the right job — or waits in triage.

The job is found by a job reference in the subject or body, else by the sender being a
homeowner's address on file with exactly one open job. The message itself is kept as the
written statement; it verifies the request only when it came from the address on file and
its sender is authenticated (``InboundEmail.authentication``: a trusted DMARC or aligned
SPF/DKIM pass); why it did or did not is kept with the message and on the request. Anything
else (no sender, no job, several jobs, a duplicate) is stored with the reason: nothing
received is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from rescind.domain.access import Actor
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.inbound import (
    RESENT_WITHIN,
    InboundEmail,
    InboundRecord,
    InboundStatus,
    Malformed,
    content_digest,
)
from rescind.domain.job import Job, JobStatus
from rescind.domain.request import (
    CancellationRequest,
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    VerificationMethod,
    WrittenStatement,
)
from rescind.domain.verification import sent_from_address_on_file
from rescind.domain.workflow import effective_status
from rescind.services.context import Context
from rescind.services.ports import JobQuery, UnitOfWork
from rescind.services.records import new_id, record
from rescind.services.requests import open_request, open_request_of
from rescind.services.verification import mark_verified, verified_event

MAIL_ACTOR = Actor.system("mail")


@dataclass(frozen=True)
class Received:
    inbound_id: str
    status: InboundStatus
    reason: str = ""
    job_id: str | None = None
    request_id: str | None = None
    verified: bool = False
    verification_note: str = ""  # why the request it became is (or is not) verified


def receive_email(ctx: Context, parsed: InboundEmail | Malformed, raw: bytes) -> Received:
    now = ctx.now()
    inbound_id = new_id("IN")
    with ctx.uow() as uow:
        if isinstance(parsed, Malformed):
            result = Received(inbound_id, InboundStatus.TRIAGE, f"malformed: {parsed.reason}")
        elif uow.inbound.seen(parsed.message_id):
            result = Received(
                inbound_id, InboundStatus.DUPLICATE, f"already received {parsed.message_id}"
            )
        elif earlier := uow.inbound.seen_content(content_digest(parsed), now - RESENT_WITHIN):
            result = Received(
                inbound_id,
                InboundStatus.DUPLICATE,
                f"the same email from {parsed.from_address} arrived at "
                f"{earlier.received_at.isoformat()} as {earlier.message_id or earlier.id}",
                job_id=earlier.job_id,
                request_id=earlier.request_id,
            )
        else:
            result = _file(uow, ctx, inbound_id, parsed)
        uow.inbound.add(
            InboundRecord(
                id=inbound_id,
                received_at=now,
                message_id=parsed.message_id,
                from_address=parsed.from_address,
                subject=parsed.subject if isinstance(parsed, InboundEmail) else "",
                raw=raw,
                status=result.status,
                reason=result.reason,
                job_id=result.job_id,
                request_id=result.request_id,
                authentication=parsed.authentication if isinstance(parsed, InboundEmail) else None,
                content_digest=content_digest(parsed) if isinstance(parsed, InboundEmail) else "",
            )
        )
        uow.commit()
    return result


def _file(uow: UnitOfWork, ctx: Context, inbound_id: str, email: InboundEmail) -> Received:
    job, why = _find_job(uow, email, ctx)
    if job is None:
        return Received(inbound_id, InboundStatus.TRIAGE, why)
    existing = open_request_of(uow, job.id, RequesterRole.HOMEOWNER)
    if existing is not None:
        # One open request per requester: another email while one is worked is kept with it.
        return Received(
            inbound_id,
            InboundStatus.DUPLICATE,
            f"the homeowner already has open request {existing.id} for job {job.id}",
            job_id=job.id,
            request_id=existing.id,
        )
    actx = AuditContext(actor=MAIL_ACTOR.id, at=ctx.now(), channel=AuditChannel.EMAIL)
    request, verified = file_email(uow, ctx, email, job, actx)
    return Received(
        inbound_id,
        InboundStatus.FILED,
        "" if verified else f"filed unverified: {request.verification_note}",
        job_id=job.id,
        request_id=request.id,
        verified=verified,
        verification_note=request.verification_note,
    )


def _find_job(uow: UnitOfWork, email: InboundEmail, ctx: Context) -> tuple[Job | None, str]:
    for reference in email.job_references:
        job = uow.jobs.find(reference)
        if job is not None:
            return job, ""
    now = ctx.now()
    jobs = [
        j
        for j in uow.jobs.search(JobQuery(text=email.from_address, limit=20))
        if j.homeowner.email.lower() == email.from_address
        and effective_status(j, now) is not JobStatus.CANCELLED
    ]
    if len(jobs) == 1:
        return jobs[0], ""
    if not jobs:
        refs = ", ".join(email.job_references)
        return None, (
            f"no job found: {email.from_address} is not a homeowner's address on file"
            + (f" and {refs} matched no job" if refs else " and the message names no job")
        )
    ids = ", ".join(j.id for j in jobs)
    return None, f"{email.from_address} has several open jobs ({ids}); which one is meant?"


def _verification_note(email: InboundEmail, job: Job, verified: bool) -> str:
    """Why the email did or did not verify the request, for the agent who picks it up."""
    if verified or email.from_address == job.homeowner.email.lower():
        return email.authentication.reason
    return f"{email.from_address} is not the address on file for job {job.id}"


def file_email(
    uow: UnitOfWork, ctx: Context, email: InboundEmail, job: Job, actx: AuditContext
) -> tuple[CancellationRequest, bool]:
    """File the email on the job as the homeowner's request, the message its written
    statement; verified only when the trust rules say the sender is the homeowner on file.
    Shared by the mail receiver and by an agent attaching a message from triage."""
    verified = sent_from_address_on_file(
        email.from_address, job.homeowner.email, authenticated=email.authentication.verified
    )
    request = open_request(
        uow,
        ctx,
        job,
        actx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name=email.from_name or email.from_address,
            statement=WrittenStatement(
                kind=StatementKind.EMAIL,
                content=f"Subject: {email.subject}\n\n{email.text}",
                source_ref=email.message_id,
                from_address=email.from_address,
            ),
        ),
        verification_note=_verification_note(email, job, verified),
    )
    if verified:
        mark_verified(request, VerificationMethod.ADDRESS_ON_FILE, ctx.now())
        record(
            uow,
            job.id,
            actx,
            [verified_event(request, f"{email.from_address}: {email.authentication.reason}")],
        )
        uow.requests.save(request)
    return request, verified
