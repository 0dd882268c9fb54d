"""Ending a request without a cancel, from the console: close it with a reason, or record the
refusal of a job the table stops. Both call ``services.closing``; the page never decides
which reasons apply (a wrong one comes back as the service's message next to the field)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.audit import AuditChannel
from rescind.domain.errors import InvalidInput, RescindError
from rescind.domain.request import CloseReason, RequesterRole
from rescind.entrypoints.console import start, wizard
from rescind.entrypoints.console.render import problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, PostSession
from rescind.services.closing import close_with_reason, refuse_not_eligible

router = APIRouter()

CLOSE_REASONS = tuple((r.value, r.label) for r in CloseReason)


def _reason(value: str) -> CloseReason:
    try:
        return CloseReason(value)
    except ValueError:
        raise InvalidInput("pick why the request ends", field="close_reason") from None


@router.post("/requests/{request_id}/close")
def close(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    request_id: str,
    close_reason: Annotated[str, Form(max_length=50)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    duplicate_of: Annotated[str, Form(max_length=100)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    values = {"close_reason": close_reason, "note": note, "duplicate_of": duplicate_of}
    try:
        closed = close_with_reason(
            ctx,
            request_id,
            _reason(close_reason),
            actor=session.actor,
            note=note,
            duplicate_of=duplicate_of.strip() or None,
            channel=AuditChannel.CONSOLE,
            expected_version=version,
        )
    except RescindError as error:
        return wizard.wizard_page(
            request,
            ctx,
            session,
            request_id,
            status=status_of(error),
            problems=problems_of(error, "close_reason"),
            values=values,
        )
    return redirect(
        request,
        f"/console/jobs/{closed.job_id}",
        f"Request {closed.id} is closed: {closed.outcome_detail}. "
        f"{closed.requester_name} is emailed why.",
    )


@router.post("/jobs/{job_id}/refuse")
def refuse(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    channel: Annotated[str, Form(max_length=50)] = "",
    requester_name: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Rule 1 and every rule that says stop: "we are unable to cancel", on record."""
    try:
        refused = refuse_not_eligible(
            ctx,
            job_id,
            channel=start.agent_channel(channel),
            requester_role=RequesterRole.HOMEOWNER,
            requester_name=requester_name,
            actor=session.actor,
            note=note,
        )
    except RescindError as error:
        return start.start_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(error),
            problems=problems_of(error, "note"),
            values={"channel": channel, "requester_name": requester_name, "note": note},
        )
    return redirect(
        request,
        f"/console/jobs/{job_id}",
        f"The refusal is on record as request {refused.id} ({refused.outcome_detail}); "
        f"{refused.requester_name} is emailed why.",
    )
