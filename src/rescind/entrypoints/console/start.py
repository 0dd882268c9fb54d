"""Step 1 of the guided cancellation: eligible? Then open the request, or escalate it.

An ineligible job shows its rule and what to tell the customer, and no way on; rule 5 (Direct
Pay M1B with the invoice uploaded) offers the Deal Processing escalation instead; a job already
pending shows the date and Restore. The rest of the steps are ``wizard``'s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.access import Permission
from rescind.domain.eligibility import Action
from rescind.domain.errors import DuplicateRequest, InvalidInput, RescindError
from rescind.domain.job import JobStatus
from rescind.domain.request import CancellationRequest, Channel, RequestDraft, RequesterRole
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.console_queries import start_overview
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.requests import file_request

router = APIRouter()

# How a support agent hears from a homeowner (the installer portal files its own requests).
AGENT_CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.EMAIL, Channel.MAIL, Channel.TELEGRAM)


def start_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    job_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    actor = session.actor
    shown = start_overview(ctx, job_id, actor=actor)
    view, decision = shown.view, shown.decision
    return page(
        request,
        "cancel_start.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        view=view,
        job=view.job,
        decision=decision,
        open_requests=shown.open_requests,
        escalate=decision.action is Action.ESCALATE_TO_DEAL_PROCESSING,
        channels=AGENT_CHANNELS,
        requester_roles=list(RequesterRole),
        may_cancel=actor.may(Permission.CANCEL),
        may_escalate=actor.may(Permission.ESCALATE),
        may_restore=shown.steps.restore is None,
        may_close=actor.may(Permission.CLOSE_REQUEST),
        pending=view.effective is JobStatus.CANCEL_PENDING,
        cancelled=view.effective is JobStatus.CANCELLED,
    )


@router.get("/jobs/{job_id}/cancel")
def start(request: Request, ctx: Ctx, session: CurrentSession, job_id: str) -> Response:
    return start_page(request, ctx, session, job_id)


def agent_channel(value: str) -> Channel:
    for channel in AGENT_CHANNELS:
        if channel.value == value:
            return channel
    raise InvalidInput("pick how the homeowner contacted us", field="channel")


@router.post("/jobs/{job_id}/requests")
def open_request(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    channel: Annotated[str, Form(max_length=50)] = "",
    requester_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        filed = _file(ctx, session, job_id, channel, RequesterRole.HOMEOWNER, requester_name)
    except DuplicateRequest as duplicate:
        return _existing(request, duplicate)
    except RescindError as error:
        values = {"channel": channel, "requester_name": requester_name}
        return _again(request, ctx, session, job_id, error, values)
    return redirect(request, f"/console/requests/{filed.id}", f"Request {filed.id} filed.")


@router.post("/jobs/{job_id}/escalate")
def file_and_escalate(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    channel: Annotated[str, Form(max_length=50)] = "",
    requester_role: Annotated[str, Form(max_length=50)] = "",
    requester_name: Annotated[str, Form(max_length=200)] = "",
    detail: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Rule 5: support does not cancel; the request becomes a Deal Processing case."""
    values = {
        "channel": channel,
        "requester_role": requester_role,
        "requester_name": requester_name,
        "detail": detail,
    }
    try:
        try:
            role = RequesterRole(requester_role)
        except ValueError:
            raise InvalidInput("say who is asking", field="requester_role") from None
        filed = _file(ctx, session, job_id, channel, role, requester_name)
        case = escalate_to_deal_processing(ctx, filed.id, actor=session.actor, detail=detail)
    except DuplicateRequest as duplicate:
        return _existing(request, duplicate)
    except RescindError as error:
        return _again(request, ctx, session, job_id, error, values)
    return redirect(
        request,
        f"/console/jobs/{job_id}#cases",
        f"Escalated to Deal Processing: case {case.id} is in the Back Office queue.",
    )


def _file(
    ctx: Ctx,
    session: Session,
    job_id: str,
    channel: str,
    role: RequesterRole,
    requester_name: str,
) -> CancellationRequest:
    """File the request as support heard it (``channel`` as the form gave it)."""
    draft = RequestDraft(
        job_id=job_id,
        channel=agent_channel(channel),
        requester_role=role,
        requester_name=requester_name,
    )
    return file_request(ctx, draft, actor=session.actor)


def _again(
    request: Request,
    ctx: Ctx,
    session: Session,
    job_id: str,
    error: RescindError,
    values: dict[str, str],
) -> Response:
    """The start page again, with the refusal and what was typed."""
    return start_page(
        request,
        ctx,
        session,
        job_id,
        status=status_of(error),
        problems=problems_of(error),
        values=values,
    )


def _existing(request: Request, duplicate: DuplicateRequest) -> Response:
    """Asked twice is one request: go on with the open one rather than file another."""
    return redirect(
        request,
        f"/console/requests/{duplicate.existing_request_id}",
        f"Nothing new was filed: request {duplicate.existing_request_id} is already open for "
        "this requester. Continue it here.",
    )
