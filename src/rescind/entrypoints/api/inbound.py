"""Email triage: a message that became no request is attached to a job or dismissed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.errors import InvalidInput
from rescind.domain.inbound import InboundEmail
from rescind.entrypoints.api.deps import NO_NUL, CurrentActor, Idempotent, State
from rescind.entrypoints.api.models import Out
from rescind.services.context import Context
from rescind.services.triage import attach_email, dismiss_email, get_inbound

router = APIRouter()

InboundId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="A received email's id, as the triage queue lists it.",
        examples=["IN-279aa758935d"],
    ),
]


class AttachIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"job_id": "JOB-000123"}]}
    )
    job_id: str = Field(min_length=1, max_length=100, pattern=NO_NUL)


class DismissIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Marketing, not a request"}]}
    )
    reason: str = Field(
        min_length=1, max_length=2000, pattern=NO_NUL, description="Required: goes on the trail."
    )


class AttachedOut(Out):
    inbound_id: str
    job_id: str
    request_id: str
    verified: bool
    verification_note: str


class DismissedOut(Out):
    inbound_id: str = Field(validation_alias="id")
    status: str
    reason: str


def readable(raw: bytes) -> InboundEmail:
    parsed = parse_email(raw)
    if not isinstance(parsed, InboundEmail):
        raise InvalidInput("this email has no readable text to use as the statement")
    return parsed


@router.post(
    "/inbound/{inbound_id}/attach",
    tags=["inbound"],
    summary="File a waiting email on a job: the homeowner's request, the message its "
    "statement, verified only as the trust rules allow",
    response_model=AttachedOut,
)
def attach(
    inbound_id: InboundId, body: AttachIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    def run(ctx: Context) -> AttachedOut:
        message = get_inbound(ctx, inbound_id, actor=actor)
        done = attach_email(ctx, inbound_id, body.job_id, readable(message.raw), actor=actor)
        return AttachedOut.model_validate(done)

    return idem.run(run)


@router.post(
    "/inbound/{inbound_id}/dismiss",
    tags=["inbound"],
    summary="Set a waiting email aside, with the reason",
    response_model=DismissedOut,
)
def dismiss(
    inbound_id: InboundId, body: DismissIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    def run(ctx: Context) -> DismissedOut:
        done = dismiss_email(ctx, inbound_id, body.reason, actor=actor)
        return DismissedOut.model_validate(done)

    return idem.run(run)
