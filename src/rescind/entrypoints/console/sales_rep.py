"""A sales rep files a cancellation request for the homeowner from the job page.

The same ``file_request`` as the agent's step 1 and the API's ``POST /requests``, filed as
the sales rep: one open request per requester holds here too (asked twice names the open one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.errors import DuplicateRequest, RescindError
from rescind.domain.request import RequestDraft, RequesterRole
from rescind.entrypoints.console import jobs
from rescind.entrypoints.console.render import problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, PostSession
from rescind.entrypoints.console.start import agent_channel
from rescind.services.requests import file_request

router = APIRouter()


@router.post("/jobs/{job_id}/sales-rep-request")
def file_for_homeowner(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    channel: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    try:
        filed = file_request(
            ctx,
            RequestDraft(
                job_id=job_id,
                channel=agent_channel(channel),
                requester_role=RequesterRole.SALES_REP,
                requester_name=session.user.display_name,
            ),
            actor=session.actor,
        )
    except DuplicateRequest as duplicate:
        return redirect(
            request,
            f"/console/jobs/{job_id}#req-h",
            f"Nothing new was filed: your request {duplicate.existing_request_id} is already "
            "open for this job; support is working on it.",
        )
    except RescindError as error:
        return jobs.job_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(error),
            problems=problems_of(error),
            values={"channel": channel},
        )
    due = filed.due_at.astimezone(ctx.tz).strftime("%a %Y-%m-%d %H:%M %Z")
    return redirect(
        request,
        f"/console/jobs/{job_id}#req-h",
        f"Request {filed.id} filed for the homeowner; support will resolve it by {due}.",
    )
