"""Filing cancellation requests and attaching the homeowner's written statement."""

from __future__ import annotations

from datetime import datetime

from rescind.domain.access import Actor, Permission, require_files_as
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.calendar import CoolingOffCalendar, OperationsCalendar
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import DuplicateRequest, Forbidden, InvalidInput
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.job import Job
from rescind.domain.recipients import Recipients
from rescind.domain.request import (
    DUE_BUSINESS_HOURS,
    CancellationRequest,
    RequestDraft,
    RequesterRole,
    WrittenStatement,
    require_staff_door,
)
from rescind.domain.wording import a
from rescind.services.access import job_for, request_for
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import expect_version, new_id, queue_email, record


def statement_data(statement: WrittenStatement) -> dict[str, str | None]:
    return {
        "kind": statement.kind.value,
        "received_at": iso(statement.received_at),
        "sent_date": iso(statement.sent_date),
        "source_ref": statement.source_ref,
        "from_address": statement.from_address,
        "length": str(len(statement.content)),
    }


def within_cooling_off(
    job: Job,
    statement: WrittenStatement | None,
    filed_at: datetime,
    ops: OperationsCalendar,
    cooling: CoolingOffCalendar,
) -> bool:
    """A notice counts from when it was sent (postmark); anything else from when it was filed."""
    sent = statement.sent_date if statement and statement.sent_date else ops.local_date(filed_at)
    return cooling.within(job.contract_signed_date, sent)


def file_request(ctx: Context, draft: RequestDraft, *, actor: Actor) -> CancellationRequest:
    """Open a request; it is due 48 business hours after filing (the 24–48 h promise).

    A requester with an open request for the job already gets ``DuplicateRequest`` naming
    it: one party asking twice is one request to work, not two.
    """
    requester_role = draft.requester_role
    require_files_as(actor, requester_role)
    require_staff_door(draft.channel, draft.statement.kind if draft.statement else None)
    try:
        with ctx.uow() as uow:
            job = job_for(uow, draft.job_id, actor, Permission.FILE_REQUEST)
            existing = open_request_of(uow, job.id, requester_role)
            if existing is not None:
                raise duplicate_of(existing, requester_role)
            if draft.statement is not None:
                require_attach_statement(actor)
            actx = AuditContext(
                actor=actor.id, at=ctx.now(), channel=AuditChannel(draft.channel.value)
            )
            request = open_request(uow, ctx, job, actx, draft)
            uow.commit()
    except DuplicateRequest as raced:
        if raced.existing_request_id:
            raise
        # Another filing committed between our check and our commit (the database's unique
        # index refused ours): name the one that won, as the check would have.
        with ctx.uow() as uow:
            winner = open_request_of(uow, draft.job_id, requester_role)
        if winner is None:
            raise
        raise duplicate_of(winner, requester_role) from None
    return request


def duplicate_of(existing: CancellationRequest, requester_role: RequesterRole) -> DuplicateRequest:
    return DuplicateRequest(
        f"the {requester_role.value.replace('_', ' ')} already has open request "
        f"{existing.id} for job {existing.job_id} (filed {iso(existing.filed_at)}, due "
        f"{iso(existing.due_at)}); work that one instead of filing another",
        existing_request_id=existing.id,
    )


def open_request_of(
    uow: UnitOfWork, job_id: str, requester_role: RequesterRole
) -> CancellationRequest | None:
    """The requester's open request for the job, if any. A job has one homeowner, one
    installer company and one sales rep, so the role names the party."""
    return next(
        (
            r
            for r in uow.requests.for_job(job_id)
            if r.is_open and r.requester_role is requester_role
        ),
        None,
    )


def require_attach_statement(actor: Actor) -> None:
    """The homeowner's written statement is evidence support takes from the homeowner: an
    installer or a sales rep cannot supply it, whether attaching it later or when filing."""
    if not actor.may(Permission.ATTACH_STATEMENT):
        raise Forbidden(
            f"{a(actor.role.value.replace('_', ' '))} cannot attach the homeowner's written "
            "statement; file the request without one and support will take it from the homeowner"
        )


def open_request(
    uow: UnitOfWork,
    ctx: Context,
    job: Job,
    actx: AuditContext,
    draft: RequestDraft,
    *,
    verification_note: str = "",
) -> CancellationRequest:
    """File a request inside the caller's transaction; ``verification_note`` says why the way
    it came (an email) does or does not verify it."""
    if not draft.requester_name.strip():
        raise InvalidInput("say who is asking (requester_name)", field="requester_name")
    now = actx.at
    ops = ctx.operations_calendar(uow)
    request = draft.filed(
        request_id=new_id("REQ"),
        filed_by=actx.actor,
        filed_at=now,
        due_at=ops.add_business_hours(now, DUE_BUSINESS_HOURS),
        verification_note=verification_note,
    )
    written = request.statement
    request.within_cooling_off = within_cooling_off(
        job, written, now, ops, ctx.cooling_off_calendar()
    )
    uow.requests.add(request)
    events = [
        Event(
            EventKind.REQUEST_FILED,
            {
                "request_id": request.id,
                "channel": request.channel.value,
                "requester_role": request.requester_role.value,
                "requester_name": request.requester_name,
                "due_at": iso(request.due_at),
                "within_cooling_off": request.within_cooling_off,
                "homeowner_emailed": draft.homeowner_emailed,
                **({"verification_note": verification_note} if verification_note else {}),
            },
        )
    ]
    if written:
        events.append(Event(EventKind.STATEMENT_ATTACHED, statement_data(written)))
    record(uow, job.id, actx, events)
    if request.requester_role is RequesterRole.INSTALLER and draft.homeowner_emailed:
        # Telegram process: the installer is told to expect a resolution in 24–48 hours.
        queue_email(
            uow,
            OutgoingEmail(
                kind=EmailKind.EXPECT_RESOLUTION,
                recipients=Recipients(to=(job.installer.email,)),
                job_id=job.id,
                context={"request_id": request.id, "due_at": iso(request.due_at)},
            ),
            actx,
        )
    return request


def attach_statement(
    ctx: Context,
    request_id: str,
    statement: WrittenStatement,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> CancellationRequest:
    require_staff_door(statement_kind=statement.kind)
    now = ctx.now()
    with ctx.uow() as uow:
        request, job = request_for(uow, request_id, actor, Permission.ATTACH_STATEMENT)
        request.require_open()
        expect_version(f"request {request.id}", request.version, expected_version)
        written = statement.received(now)
        request.statement = written
        request.within_cooling_off = request.within_cooling_off or within_cooling_off(
            job, written, request.filed_at, ctx.operations_calendar(uow), ctx.cooling_off_calendar()
        )
        uow.requests.save(request)
        actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel(request.channel.value))
        data = statement_data(written) | {"request_id": request.id}
        record(uow, job.id, actx, [Event(EventKind.STATEMENT_ATTACHED, data)])
        uow.commit()
    return request
