"""Cases and queues: the Direct Pay M1B escalations Deal Processing decides and Back Office works.

A case's ETag is its version; every decision or move takes it back as ``If-Match``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from rescind.domain.audit import AuditChannel
from rescind.domain.case import Queue
from rescind.entrypoints.api.deps import (
    NO_NUL,
    NOT_BLANK_SCHEMA,
    CaseIfMatch,
    CurrentActor,
    Idempotent,
    State,
    etag,
)
from rescind.entrypoints.api.models import CancelOut, CaseOut, FeedCommentOut, Out, Page
from rescind.entrypoints.api.paging import DEFAULT_LIMIT, PageCursor, PageLimit, page_out
from rescind.entrypoints.api.requests import RequestOut
from rescind.services.context import Context
from rescind.services.escalation import (
    approve_escalation,
    assign_case,
    deny_escalation,
    reassign_case,
)
from rescind.services.feed import comment_on_case
from rescind.services.queues import get_case, queue_items

router = APIRouter()

CaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="A case id, as listed in a queue.",
        examples=["CASE-279aa758935d"],
    ),
]


class ApproveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "Invoice to be written off by finance"}]},
    )
    note: str = Field(
        default="", max_length=2000, pattern=NO_NUL, description="Goes on the feed and the trail."
    )


class DenyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Equipment is installed; the invoice stands"}]},
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        pattern=NO_NUL,
        description="Required: the requester is told this reason.",
    )


class ReassignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"queue": "back_office"}]}
    )
    queue: Queue


class AssignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"user_id": "back_office:bo"}]}
    )
    user_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="The actor id of an active support user (yours to take it yourself).",
    )


class CaseCommentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Called finance about the invoice."}]},
    )
    body: str = Field(
        max_length=5000,
        pattern=NO_NUL,
        json_schema_extra=NOT_BLANK_SCHEMA,
        description="Goes on the job's feed, naming the case.",
    )


class ApprovalOut(Out):
    case: CaseOut
    request: RequestOut | None = Field(description="The approved request, as it is now.")
    cancellation: CancelOut | None = Field(
        validation_alias="cancelled",
        description="The job's cancellation, when the request was already the verified "
        "homeowner's with the written statement; null: it waits for them (see "
        "`request.approval_note`).",
    )
    message: str


def _case_etag(model: BaseModel) -> dict[str, str]:
    case = model.case if isinstance(model, ApprovalOut) else model
    assert isinstance(case, CaseOut)
    return {"ETag": etag(case.version)}


@router.get(
    "/cases/{case_id}",
    tags=["cases"],
    summary="One case, with its assignments and decision",
    response_description="The case; its ETag is the version to send back as If-Match.",
)
def read_case(case_id: CaseId, state: State, actor: CurrentActor, response: Response) -> CaseOut:
    case = CaseOut.model_validate(get_case(state.ctx, case_id, actor=actor))
    response.headers["ETag"] = etag(case.version)
    return case


@router.post(
    "/cases/{case_id}/approve",
    tags=["cases"],
    summary="Deal Processing approves: the job goes to Cancel Pending once the request is "
    "verified and carries the homeowner's written statement",
    response_model=ApprovalOut,
)
def approve_case(
    case_id: CaseId,
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
    expected: CaseIfMatch,
    body: Annotated[ApproveIn | None, Body()] = None,
) -> Response:
    note = body.note if body else ""

    def approve(ctx: Context) -> ApprovalOut:
        approval = approve_escalation(
            ctx, case_id, actor=actor, note=note, expected_version=expected
        )
        return ApprovalOut.model_validate(approval, context={"now": ctx.now()})

    return idem.run(approve, headers=_case_etag)


@router.post(
    "/cases/{case_id}/deny",
    tags=["cases"],
    summary="Deal Processing denies, with the reason the requester is told",
    response_model=CaseOut,
)
def deny_case(
    case_id: CaseId,
    body: DenyIn,
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
    expected: CaseIfMatch,
) -> Response:
    return idem.run(
        lambda ctx: CaseOut.model_validate(
            deny_escalation(
                ctx, case_id, actor=actor, reason=body.reason, expected_version=expected
            )
        ),
        headers=_case_etag,
    )


@router.post(
    "/cases/{case_id}/reassign",
    tags=["cases"],
    summary="Move an open case to another queue",
    response_model=CaseOut,
)
def reassign(
    case_id: CaseId,
    body: ReassignIn,
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
    expected: CaseIfMatch,
) -> Response:
    return idem.run(
        lambda ctx: CaseOut.model_validate(
            reassign_case(ctx, case_id, body.queue, actor=actor, expected_version=expected)
        ),
        headers=_case_etag,
    )


@router.post(
    "/cases/{case_id}/assign",
    tags=["cases"],
    summary="Give an open case to one support user",
    response_model=CaseOut,
)
def assign(
    case_id: CaseId,
    body: AssignIn,
    state: State,
    actor: CurrentActor,
    idem: Idempotent,
    expected: CaseIfMatch,
) -> Response:
    return idem.run(
        lambda ctx: CaseOut.model_validate(
            assign_case(ctx, case_id, body.user_id, actor=actor, expected_version=expected)
        ),
        headers=_case_etag,
    )


@router.post(
    "/cases/{case_id}/comment",
    tags=["cases"],
    summary="Comment on a case: the comment goes on its job's feed and the case's history",
    response_model=FeedCommentOut,
    status_code=201,
)
def comment(
    case_id: CaseId, body: CaseCommentIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    return idem.run(
        lambda ctx: FeedCommentOut.model_validate(
            comment_on_case(ctx, case_id, body.body, actor=actor, channel=AuditChannel.API)
        ),
        status_code=201,
    )


@router.get(
    "/queues/{queue}",
    tags=["queues"],
    summary="A queue's open cases, oldest first, paged",
    description="`back_office`: the cases sitting in the Back Office queue. `deal_processing`: "
    "every open case with an open Deal Processing assignment, wherever the case sits.",
)
def read_queue(
    queue: Queue,
    state: State,
    actor: CurrentActor,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Page[CaseOut]:
    page = queue_items(state.ctx, queue, actor=actor, limit=limit, after=cursor)
    return page_out(page, CaseOut.model_validate, lambda c: c.id)
