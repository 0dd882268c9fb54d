"""Email triage acts: read a waiting message, attach it to a job or dismiss it with a reason.

The page only shows and forwards: what filing does (the statement, whether it is verified)
is ``rescind.services.triage``'s, and the trust rules are the domain's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.adapters.mail.inbound import attachment_names, parse_email
from rescind.domain.access import Permission
from rescind.domain.errors import DuplicateRequest, InvalidInput, NotFound, RescindError
from rescind.domain.inbound import InboundEmail
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.triage import attach_email, dismiss_email, get_inbound

router = APIRouter()


def message_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    inbound_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    message = get_inbound(ctx, inbound_id, actor=session.actor)
    parsed = parse_email(message.raw)
    return page(
        request,
        "inbound.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        message=message,
        parsed=parsed if isinstance(parsed, InboundEmail) else None,
        attachments=attachment_names(message.raw),
        may_triage=session.actor.may(Permission.TRIAGE_EMAIL),
    )


@router.get("/inbound/{inbound_id}")
def read_message(request: Request, ctx: Ctx, session: CurrentSession, inbound_id: str) -> Response:
    return message_page(request, ctx, session, inbound_id)


@router.post("/inbound/{inbound_id}/attach")
def attach(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    inbound_id: str,
    job_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        if not job_id.strip():
            raise InvalidInput("say which job the email is about (job id)", field="job_id")
        parsed = parse_email(get_inbound(ctx, inbound_id, actor=session.actor).raw)
        if not isinstance(parsed, InboundEmail):
            raise InvalidInput("this email has no readable text to use as the statement")
        done = attach_email(ctx, inbound_id, job_id, parsed, actor=session.actor)
    except DuplicateRequest as duplicate:
        return redirect(
            request,
            f"/console/requests/{duplicate.existing_request_id}",
            f"Nothing new was filed: request {duplicate.existing_request_id} is already open "
            "for this homeowner. Continue it here; the email still waits in triage.",
        )
    except RescindError as error:
        # A job that is not there (or not the reader's) belongs next to the job id box.
        problems = problems_of(error, "job_id" if isinstance(error, NotFound) else None)
        return message_page(
            request,
            ctx,
            session,
            inbound_id,
            status=status_of(error),
            problems=problems,
            values={"job_id": job_id},
        )
    verified = "verified" if done.verified else f"not verified ({done.verification_note})"
    return redirect(
        request,
        f"/console/requests/{done.request_id}",
        f"The email is filed on job {done.job_id} as request {done.request_id}, {verified}.",
    )


@router.post("/inbound/{inbound_id}/dismiss")
def dismiss(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    inbound_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        dismiss_email(ctx, inbound_id, reason, actor=session.actor)
    except RescindError as error:
        return message_page(
            request,
            ctx,
            session,
            inbound_id,
            status=status_of(error),
            problems=problems_of(error),
            values={"reason": reason},
        )
    return redirect(request, "/console/queues/triage", f"Email {inbound_id} dismissed.")
