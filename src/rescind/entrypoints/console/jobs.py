"""Finding a job and reading everything about it: the agent's job page."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response

from rescind.domain.access import Permission, Role
from rescind.domain.audit import AuditChannel
from rescind.domain.errors import NotFound, RescindError
from rescind.domain.job import JobStatus, Milestone, PartnerProgram
from rescind.domain.request import RequesterRole
from rescind.domain.search import read_search
from rescind.entrypoints.console import installer
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session, State
from rescind.entrypoints.console.start import AGENT_CHANNELS
from rescind.services.cancellation import restore_workflow
from rescind.services.checkpoints import prove_job
from rescind.services.feed import comment_on_feed
from rescind.services.ports import JobQuery
from rescind.services.queries import job_list, job_overview

router = APIRouter()
SEARCH_LIMIT = 50


@router.get("/jobs")
def search(
    request: Request,
    ctx: Ctx,
    session: CurrentSession,
    q: Annotated[str, Query(max_length=200)] = "",
    # Plain text, as a form sends "" for "Any": an enum parameter would refuse it.
    status: Annotated[str, Query(max_length=40)] = "",
    milestone: Annotated[str, Query(max_length=40)] = "",
    installer: Annotated[str, Query(max_length=200)] = "",
    partner_program: Annotated[str, Query(max_length=40)] = "",
    after: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    if session.user.role is Role.INSTALLER:
        target = "/console/installer" + (f"?{urlencode({'q': q})}" if q else "")
        return redirect(request, target)
    text = q.strip().replace("\x00", "")
    chosen = {
        "q": text,
        "status": status if status in _values(JobStatus) else "",
        "milestone": milestone if milestone in _values(Milestone) else "",
        "installer": installer.replace("\x00", ""),
        "partner_program": partner_program if partner_program in _values(PartnerProgram) else "",
    }
    listed = job_list(
        ctx,
        actor=session.actor,
        query=JobQuery(
            text=text or None,
            status=JobStatus(chosen["status"]) if chosen["status"] else None,
            milestone=Milestone(chosen["milestone"]) if chosen["milestone"] else None,
            installer_id=chosen["installer"] or None,
            partner_program=PartnerProgram(chosen["partner_program"])
            if chosen["partner_program"]
            else None,
            after_id=after.replace("\x00", "") or None,
            limit=SEARCH_LIMIT,
        ),
    )
    views = listed.page.items
    terms = read_search(text)
    if len(views) == 1 and not after and terms is not None and terms.finds_by_id(views[0].job.id):
        return redirect(request, f"/console/jobs/{views[0].job.id}")
    # The same search and filters, one page on: a link that keeps everything but the cursor.
    kept = {k: v for k, v in chosen.items() if v}
    next_url = (
        "/console/jobs?" + urlencode(kept | {"after": views[-1].job.id})
        if listed.page.more
        else None
    )
    return page(
        request,
        "search.html",
        session,
        q=text,
        views=views,
        more=listed.page.more,
        next_url=next_url,
        first_url="/console/jobs?" + urlencode(kept) if after else None,
        paged=bool(after),
        chosen=chosen,
        installers=listed.installers,
        statuses=list(JobStatus),
        milestones=list(Milestone),
        programs=list(PartnerProgram),
    )


def _values(kind: type[StrEnum]) -> set[str]:
    """A filter's choices; anything else (a hand-edited address) reads as "Any"."""
    return {member.value for member in kind}


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
    if session.user.role is Role.INSTALLER:
        return installer.job_page(request, ctx, session, job_id, status=status, problems=problems)
    actor = session.actor
    overview = job_overview(ctx, job_id, actor=actor)
    open_requests = [r for r in overview.requests if r.is_open]
    # A sales rep files for the homeowner here (staff start from step 1 of the cancellation).
    as_rep = session.user.role is Role.SALES_REP and actor.may(Permission.FILE_REQUEST)
    return page(
        request,
        "job.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        o=overview,
        job=overview.job,
        emails=overview.emails,
        open_requests=open_requests,
        may_cancel=actor.may(Permission.CANCEL),
        steps=overview.steps,
        may_close=actor.may(Permission.CLOSE_REQUEST),
        may_comment=actor.may(Permission.COMMENT),
        may_audit=actor.may(Permission.READ_AUDIT),
        restores=overview.restores,
        homeowner_role=RequesterRole.HOMEOWNER,
        may_file_as_rep=as_rep,
        rep_request=next(
            (r for r in open_requests if r.requester_role is RequesterRole.SALES_REP), None
        ),
        rep_channels=[(c.value, c.value.replace("_", " ").capitalize()) for c in AGENT_CHANNELS],
        may_prove=actor.may(Permission.READ_AUDIT),
    )


@router.get("/jobs/{job_id}")
def read_job(request: Request, ctx: Ctx, session: CurrentSession, job_id: str) -> Response:
    return job_page(request, ctx, session, job_id)


@router.get("/jobs/{job_id}/audit/proof")
def download_proof(state: State, session: CurrentSession, job_id: str) -> Response:
    """The API's ``GET /jobs/{id}/audit/proof`` bundle, as a file to keep or hand over."""
    proofs = state.proofs()
    if proofs is None:
        raise NotFound(
            "this server issues no audit checkpoints (RESCIND_AUDIT_SIGNING_KEY is not set), "
            "so there is nothing to prove a trail against"
        )
    proof = prove_job(state.ctx, job_id, proofs.archive, proofs.trusted, actor=session.actor)
    return JSONResponse(
        proof.bundle(),
        headers={"Content-Disposition": f'attachment; filename="{job_id}-audit-proof.json"'},
    )


@router.post("/jobs/{job_id}/feed")
def comment(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        comment_on_feed(ctx, job_id, body, actor=session.actor, channel=AuditChannel.CONSOLE)
    except RescindError as error:
        return job_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(error),
            problems=problems_of(error, "body"),
            values={"body": body},
        )
    return redirect(request, f"/console/jobs/{job_id}#feed", "Comment added to the feed.")


@router.post("/jobs/{job_id}/restore")
def restore(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    job_id: str,
    why: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        restore_workflow(
            ctx,
            job_id,
            actor=session.actor,
            channel=AuditChannel.CONSOLE,
            why=why,
            expected_version=version,
        )
    except RescindError as error:
        return job_page(
            request,
            ctx,
            session,
            job_id,
            status=status_of(error),
            problems=problems_of(error),
            values={"why": why},
        )
    return redirect(request, f"/console/jobs/{job_id}", f"Job {job_id} is restored to active.")
