"""A Back Office case page: its details and history, moved to another queue, commented.

Each act is one service call (``reassign_case``, ``assign_case``, ``comment_on_case``); the case's
own rules (``rescind.domain.case``) decide what may happen to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.access import Permission
from rescind.domain.case import Queue
from rescind.domain.errors import InvalidInput, RescindError
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.escalation import assign_case, reassign_case
from rescind.services.feed import comment_on_case
from rescind.services.queues import case_view

router = APIRouter()


def case_page(
    request: Request,
    ctx: Ctx,
    session: Session,
    case_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    actor = session.actor
    view = case_view(ctx, case_id, actor=actor)
    case = view.case
    return page(
        request,
        "case.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        case=case,
        history=view.history,
        names=view.names,
        queues=[q for q in Queue if q is not case.queue],
        may_reassign=actor.may(Permission.REASSIGN_CASE),
        users=view.team,
        may_comment=actor.may(Permission.COMMENT),
        me=actor.id,
    )


@router.get("/cases/{case_id}")
def read_case(request: Request, ctx: Ctx, session: CurrentSession, case_id: str) -> Response:
    return case_page(request, ctx, session, case_id)


@router.post("/cases/{case_id}/reassign")
def reassign(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    case_id: str,
    queue: Annotated[str, Form(max_length=100)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        if queue not in {q.value for q in Queue}:
            raise InvalidInput("pick the queue to move the case to", field="queue")
        case = reassign_case(
            ctx, case_id, Queue(queue), actor=session.actor, expected_version=version
        )
    except RescindError as error:
        return case_page(
            request, ctx, session, case_id, status=status_of(error), problems=problems_of(error)
        )
    return redirect(
        request,
        f"/console/cases/{case.id}",
        f"Case {case.id} moved to {case.queue.value.replace('_', ' ')}.",
    )


@router.post("/cases/{case_id}/comment")
def comment(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    case_id: str,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        comment_on_case(ctx, case_id, body, actor=session.actor)
    except RescindError as error:
        return case_page(
            request,
            ctx,
            session,
            case_id,
            status=status_of(error),
            problems=problems_of(error, "body"),
            values={"body": body},
        )
    return redirect(request, f"/console/cases/{case_id}", "Comment added to the job's feed.")


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    case_id: str,
    user_id: Annotated[str, Form(max_length=200)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        case = assign_case(ctx, case_id, user_id, actor=session.actor, expected_version=version)
    except RescindError as error:
        return case_page(
            request, ctx, session, case_id, status=status_of(error), problems=problems_of(error)
        )
    return redirect(
        request, f"/console/cases/{case.id}", f"Case {case.id} assigned to {case.assignee}."
    )
