"""Work lists: open requests, cancel pending, Back Office, Deal Processing (with its decisions),
email triage and failed emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.adapters.contact import email_address
from rescind.domain.access import Permission
from rescind.domain.case import Queue
from rescind.domain.email import DeliveryStatus
from rescind.domain.errors import NotFound, RescindError
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import (
    Ctx,
    CurrentSession,
    PostSession,
    Session,
    get_state,
)
from rescind.services.console_queries import (
    pending_jobs,
    queue_counts,
    request_queue,
    triage_queue,
)
from rescind.services.escalation import approve_escalation, deny_escalation
from rescind.services.failed_emails import fix_email_address, resend_email
from rescind.services.queues import list_outbox, queue_items

router = APIRouter()

# (path name, tab label)
TABS = (
    ("requests", "Open requests"),
    ("pending", "Cancel pending"),
    ("back-office", "Back Office"),
    ("deal-processing", "Deal Processing"),
    ("triage", "Email triage"),
    ("failed-emails", "Failed emails"),
)


@router.get("/queues")
def queues_home(request: Request, session: CurrentSession) -> Response:
    first = "deal-processing" if session.actor.may(Permission.DECIDE_CASE) else "requests"
    return redirect(request, f"/console/queues/{first}")


def queue_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    name: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    actor = session.actor
    context: dict[str, object] = {}
    match name:
        case "requests":
            context["requests"] = request_queue(ctx, actor=actor)
        case "pending":
            context["pending"] = pending_jobs(ctx, actor=actor)
        case "back-office":
            context["cases"] = queue_items(ctx, Queue.BACK_OFFICE, actor=actor).items
        case "deal-processing":
            context["cases"] = queue_items(ctx, Queue.DEAL_PROCESSING, actor=actor).items
        case "triage":
            context["triage"] = triage_queue(ctx, actor=actor)
        case "failed-emails":
            context["emails"] = list_outbox(
                ctx, actor=actor, status=DeliveryStatus.FAILED, limit=200
            ).items
        case _:
            raise NotFound(f"no queue {name!r}")
    backlog = queue_counts(get_state(request).probe, actor=actor)
    counts = (
        {
            "requests": backlog.open_requests,
            "pending": backlog.cancel_pending_jobs,
            "back-office": backlog.back_office_queue,
            "deal-processing": backlog.deal_processing_queue,
            "triage": backlog.email_triage,
            "failed-emails": backlog.outbox_failed,
        }
        if backlog
        else {}
    )
    return page(
        request,
        "queues.html",
        session,
        counts=counts,
        status=status,
        problems=problems,
        values=values or {},
        tabs=TABS,
        queue=name,
        title=dict(TABS)[name],
        may_decide=actor.may(Permission.DECIDE_CASE),
        may_resend=actor.may(Permission.RESEND_EMAIL),
        **context,
    )


@router.get("/queues/{name}")
def read_queue(request: Request, ctx: Ctx, session: CurrentSession, name: str) -> Response:
    return queue_page(request, ctx, session, name)


@router.post("/cases/{case_id}/approve")
def approve(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    case_id: str,
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        approval = approve_escalation(
            ctx, case_id, actor=session.actor, note=note.strip(), expected_version=version
        )
    except RescindError as error:
        return queue_page(
            request,
            ctx,
            session,
            "deal-processing",
            status=status_of(error),
            problems=problems_of(error),
        )
    return redirect(
        request,
        "/console/queues/deal-processing",
        f"Case {approval.case.id} approved: {approval.message}.",
    )


@router.post("/cases/{case_id}/deny")
def deny(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    case_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        case = deny_escalation(
            ctx, case_id, actor=session.actor, reason=reason, expected_version=version
        )
    except RescindError as error:
        problems = problems_of(error)
        # The reason box belongs to one case: say which.
        if "reason" in problems.fields:
            problems.fields[f"reason-{case_id}"] = problems.fields.pop("reason")
        return queue_page(
            request,
            ctx,
            session,
            "deal-processing",
            status=status_of(error),
            problems=problems,
            values={f"reason-{case_id}": reason},
        )
    return redirect(
        request,
        "/console/queues/deal-processing",
        f"Case {case.id} denied; the requester is told why.",
    )


@router.post("/outbox/resend")
def resend(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    message_id: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        email = resend_email(ctx, message_id, actor=session.actor)
    except RescindError as error:
        return queue_page(
            request,
            ctx,
            session,
            "failed-emails",
            status=status_of(error),
            problems=problems_of(error),
        )
    to = ", ".join((*email.recipients.to, *email.recipients.cc))
    return redirect(
        request,
        "/console/queues/failed-emails",
        f"The {email.kind.value.replace('_', ' ')} email is queued again to {to}.",
    )


@router.post("/outbox/address")
def fix_address(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    message_id: Annotated[str, Form(max_length=300)] = "",
    row: Annotated[int, Form(ge=0, le=10_000)] = 0,
    old: Annotated[str, Form(max_length=320)] = "",
    new: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    try:
        email = fix_email_address(
            ctx, message_id, old, email_address(new, field="new"), actor=session.actor
        )
    except RescindError as error:
        problems = problems_of(error)
        # Each failed email has its own form: the message goes next to that one's fields.
        for name in ("old", "new"):
            if name in problems.fields:
                problems.fields[f"{name}-{row}"] = problems.fields.pop(name)
        return queue_page(
            request,
            ctx,
            session,
            "failed-emails",
            status=status_of(error),
            problems=problems,
            values={f"new-{row}": new, f"old-{row}": old},
        )
    return redirect(
        request,
        "/console/queues/failed-emails",
        f"Address fixed: the {email.kind.value.replace('_', ' ')} email is queued again to "
        f"{', '.join((*email.recipients.to, *email.recipients.cc))}.",
    )
