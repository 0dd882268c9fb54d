"""The email triage queue acts: a person attaches a waiting message to a job, or dismisses it.

Attaching files the homeowner's request exactly as the mail receiver would have, had it found
the job (``rescind.services.inbound.file_email``): the message is the written statement and
it verifies the request only as the trust rules allow. Either way the message leaves the
queue and the trail says who did what.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.errors import DuplicateRequest, NotFound
from rescind.domain.events import iso
from rescind.domain.inbound import InboundEmail, InboundRecord
from rescind.domain.request import RequesterRole
from rescind.services.access import job_for
from rescind.services.context import Context
from rescind.services.inbound import file_email
from rescind.services.ports import UnitOfWork
from rescind.services.records import record
from rescind.services.requests import open_request_of


@dataclass(frozen=True)
class Attached:
    inbound_id: str
    job_id: str
    request_id: str
    verified: bool
    verification_note: str


def get_inbound(ctx: Context, inbound_id: str, *, actor: Actor) -> InboundRecord:
    require(actor, Permission.READ_QUEUES)
    with ctx.uow() as uow:
        return _inbound(uow, inbound_id)


def _inbound(uow: UnitOfWork, inbound_id: str) -> InboundRecord:
    found = uow.inbound.get(inbound_id)
    if found is None:
        raise NotFound(f"no email {inbound_id!r}")
    return found


def attach_email(
    ctx: Context, inbound_id: str, job_id: str, email: InboundEmail, *, actor: Actor
) -> Attached:
    """``email``: the stored message read again (the caller parses it); its sender check is
    the one judged on arrival, kept with the message."""
    require(actor, Permission.TRIAGE_EMAIL)
    with ctx.uow() as uow:
        message = _inbound(uow, inbound_id)
        job = job_for(uow, job_id.strip(), actor, Permission.FILE_REQUEST)
        existing = open_request_of(uow, job.id, RequesterRole.HOMEOWNER)
        if existing is not None:
            raise DuplicateRequest(
                f"the homeowner already has open request {existing.id} for job {job.id} "
                f"(filed {iso(existing.filed_at)}); work that one instead of filing another",
                existing_request_id=existing.id,
            )
        if message.authentication is not None:
            email = replace(email, authentication=message.authentication)
        actx = AuditContext(actor=actor.id, at=ctx.now(), channel=AuditChannel.EMAIL)
        request, verified = file_email(uow, ctx, email, job, actx)
        attached, event = message.attach(job.id, request.id)
        uow.inbound.save(attached)
        record(uow, job.id, actx, [event])
        uow.commit()
    return Attached(inbound_id, job.id, request.id, verified, request.verification_note)


def dismiss_email(ctx: Context, inbound_id: str, reason: str, *, actor: Actor) -> InboundRecord:
    require(actor, Permission.TRIAGE_EMAIL)
    with ctx.uow() as uow:
        dismissed, event = _inbound(uow, inbound_id).dismiss(reason)
        uow.inbound.save(dismissed)
        record(
            uow,
            None,
            AuditContext(actor=actor.id, at=ctx.now(), channel=AuditChannel.CONSOLE),
            [event],
        )
        uow.commit()
    return dismissed
