"""The installer portal: its company's jobs only (another's is "not found", as everywhere).

In the operations phase a job has Engine's Cancel Workflow button with its reason dropdown;
elsewhere the installer is told a written request from the homeowner is required. "The
homeowner emailed us" files an installer request and promises a resolution in 24–48 hours.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from rescind.domain.access import Role
from rescind.domain.errors import (
    DuplicateRequest,
    Forbidden,
    InvalidInput,
    NotEligible,
    RescindError,
)
from rescind.domain.request import CancelReason, Channel, RequestDraft, RequesterRole
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.installer import (
    WRITTEN_REQUEST_REQUIRED,
    installer_cancel_workflow,
    installer_job,
)
from rescind.services.ports import JobQuery
from rescind.services.queries import search_jobs
from rescind.services.requests import file_request

router = APIRouter()

REASONS = (
    (CancelReason.HOMEOWNER_REQUEST, "Homeowner Request Cancellation"),
    (CancelReason.MILESTONE_AGED, "Milestone Aged"),
    (CancelReason.FAILED_QUALIFICATION, "Failed Qualification"),
    (CancelReason.PRODUCT_CHANGE_REQUESTED, "Product Change Requested"),
    (CancelReason.OTHER, "Other"),
)
LIST_LIMIT = 100


def _installer_only(session: Session) -> None:
    if session.user.role is not Role.INSTALLER:
        raise Forbidden("the installer portal is for installer users; use the job search")


@router.get("/installer")
def jobs(
    request: Request,
    ctx: Ctx,
    session: CurrentSession,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    _installer_only(session)
    text = q.strip().replace("\x00", "")
    found = search_jobs(
        ctx, actor=session.actor, query=JobQuery(text=text or None, limit=LIST_LIMIT)
    )
    return page(request, "installer_jobs.html", session, q=text, views=found.items)


def job_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    job_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    shown = installer_job(ctx, job_id, actor=session.actor)
    return page(
        request,
        "installer_job.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        view=shown.view,
        job=shown.view.job,
        verdict=shown.verdict,
        requests=shown.requests,
        open_request=next((r for r in shown.requests if r.is_open), None),
        reasons=REASONS,
        written_request_required=WRITTEN_REQUEST_REQUIRED,
    )


@router.post("/installer/jobs/{job_id}/cancel")
def cancel_workflow(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    reason: Annotated[str, Form(max_length=50)] = "",
    reason_text: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    _installer_only(session)
    try:
        try:
            picked = CancelReason(reason) if reason else None
        except ValueError:
            raise InvalidInput("pick a reason from the list", field="reason") from None
        answer = installer_cancel_workflow(
            ctx,
            job_id,
            requester_name=session.user.display_name,
            reason=picked,
            reason_text=reason_text,
            actor=session.actor,
            expected_version=version,
        )
    except NotEligible as refused:
        # The page said it could be cancelled, but the job changed meanwhile: say so in an
        # installer's words (the error's own words are support's).
        return job_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(refused),
            problems=Problems(
                banner="This job can no longer be cancelled from the portal "
                f"(rule {refused.rule_number} of our cancellation policy). See below."
            ),
        )
    except RescindError as error:
        return job_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(error),
            problems=problems_of(error),
            values={"reason": reason, "reason_text": reason_text},
        )
    return redirect(request, f"/console/jobs/{job_id}", answer.message)


@router.post("/installer/jobs/{job_id}/homeowner-emailed")
def homeowner_emailed(request: Request, ctx: Ctx, session: PostSession, job_id: str) -> Response:
    _installer_only(session)
    try:
        filed = file_request(
            ctx,
            RequestDraft(
                job_id=job_id,
                channel=Channel.INSTALLER_PORTAL,
                requester_role=RequesterRole.INSTALLER,
                requester_name=session.user.display_name,
                homeowner_emailed=True,
            ),
            actor=session.actor,
        )
    except DuplicateRequest as duplicate:
        return redirect(
            request,
            f"/console/jobs/{job_id}",
            f"You already told us about this request ({duplicate.existing_request_id}); "
            "support is on it and will resolve it within 24–48 hours of when you first told "
            "us. Nothing more to do.",
        )
    except RescindError as error:
        return job_page(
            request, ctx, session, job_id, status=status_of(error), problems=problems_of(error)
        )
    due = filed.due_at.astimezone(ctx.tz).strftime("%a %Y-%m-%d %H:%M %Z")
    return redirect(
        request,
        f"/console/jobs/{job_id}",
        f"Thank you. Support will resolve the homeowner's request within 24–48 hours "
        f"(by {due}); we have emailed you the same. Reference: {filed.id}.",
    )
