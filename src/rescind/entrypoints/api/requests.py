"""Cancellation requests: file one from any channel, verify it, cancel or escalate it.

A request's ETag is its own version: attaching the statement, verifying, escalating and
closing take it back as ``If-Match`` (required); cancelling through a request changes the
*job*, so its ``If-Match`` is the job's ETag. Sending a code changes no version and takes none.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from rescind.domain.audit import AuditChannel
from rescind.domain.errors import InvalidInput
from rescind.domain.request import (
    CancelReason,
    Channel,
    CloseReason,
    Outcome,
    RequestDraft,
    RequesterRole,
    StatementKind,
    VerificationMethod,
    WrittenStatement,
)
from rescind.entrypoints.api.deps import (
    API_PREFIX,
    NO_NUL,
    NOT_BLANK,
    CurrentActor,
    CurrentUser,
    EmailAddress,
    Idempotent,
    IsoDate,
    JobIfMatch,
    OptionalEmailAddress,
    RequestIfMatch,
    State,
    etag,
)
from rescind.entrypoints.api.models import CancelOut, CaseOut, Out, Page, now_of
from rescind.entrypoints.api.paging import DEFAULT_LIMIT, PageCursor, PageLimit, page_out
from rescind.entrypoints.web.ratelimit import CONFIRM_PER_CLIENT, CONFIRM_PER_REQUEST
from rescind.services.cancellation import cancel_workflow
from rescind.services.closing import close_with_reason
from rescind.services.context import Context
from rescind.services.escalation import escalate_to_deal_processing
from rescind.services.queries import get_request, open_requests
from rescind.services.requests import attach_statement, file_request
from rescind.services.verification import (
    confirm_verification_code,
    send_verification_code,
    verify_by_address_on_file,
)

router = APIRouter(prefix="/requests", tags=["requests"])

RequestId = Annotated[
    str, Path(min_length=1, max_length=100, pattern=NO_NUL, examples=["REQ-9303bce6a895"])
]
# Postmark dates outside this range are typing mistakes, not notices.
EARLIEST_NOTICE = date(2000, 1, 1)
LATEST_NOTICE = date(2100, 12, 31)
# The same range as a pattern of ISO dates: JSON Schema has no bounds on a `format: date`, so
# the schema says it this way (and the server checks it, before ``ge``/``le`` do again).
_DAY_OF_MONTH = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
NOTICE_DATE_PATTERN = (
    rf"^(?:(?:20[0-9]{{2}}|2100)-{_DAY_OF_MONTH}|20(?:[02468][048]|[13579][26])-02-29)$"
)
_NOTICE_DATE = re.compile(NOTICE_DATE_PATTERN)


def _notice_date_as_text(value: object) -> object:
    if isinstance(value, str) and not _NOTICE_DATE.fullmatch(value):
        raise ValueError(
            f"give the postmark date as YYYY-MM-DD between {EARLIEST_NOTICE} and {LATEST_NOTICE}"
        )
    return value


NoticeDate = Annotated[
    IsoDate,
    BeforeValidator(_notice_date_as_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": NOTICE_DATE_PATTERN}),
]


# What the statement's own check requires of its fields together, as the schema says it: its
# text or a reference to the kept original (not blank), and a postmark date on a mailed or
# telegram notice.
_NOTICES: list[JsonValue] = [StatementKind.MAIL_NOTICE.value, StatementKind.TELEGRAM_NOTICE.value]
_TEXT_GIVEN: dict[str, JsonValue] = {"type": "string", "pattern": NOT_BLANK}
_STATEMENT_RULES: dict[str, JsonValue] = {
    "allOf": [
        {
            "anyOf": [
                {"required": ["content"], "properties": {"content": _TEXT_GIVEN}},
                {"required": ["source_ref"], "properties": {"source_ref": _TEXT_GIVEN}},
            ]
        },
        {
            "anyOf": [
                {"properties": {"kind": {"not": {"enum": _NOTICES}}}},
                {
                    "required": ["sent_date"],
                    "properties": {"kind": {"enum": _NOTICES}, "sent_date": {"type": "string"}},
                },
            ]
        },
    ]
}


class StatementIn(BaseModel):
    """The homeowner's own words: an email, a chat transcript, or a mailed/telegram notice."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            **_STATEMENT_RULES,
            "examples": [
                {"kind": "chat_transcript", "content": "Please cancel my solar contract."},
                {
                    "kind": "mail_notice",
                    "content": "Notice of Cancellation …",
                    "sent_date": "2026-11-20",
                    "source_ref": "scan-0042.pdf",
                },
            ],
        },
    )

    kind: StatementKind
    content: str = Field(default="", max_length=50_000, pattern=NO_NUL)
    sent_date: NoticeDate | None = Field(
        default=None,
        ge=EARLIEST_NOTICE,
        le=LATEST_NOTICE,
        description="Postmark date; required for mail and telegram notices.",
    )
    source_ref: str = Field(
        default="", max_length=500, pattern=NO_NUL, description="Where the original is kept."
    )
    from_address: OptionalEmailAddress = ""

    def written(self) -> WrittenStatement:
        """As handed in: the service stamps when it was received, and checks it then."""
        return WrittenStatement(**self.model_dump())


class FileRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "job_id": "JOB-000002",
                    "channel": "phone",
                    "requester_role": "homeowner",
                    "requester_name": "Ben Reyes",
                    "statement": {"kind": "chat_transcript", "content": "Cancel please."},
                },
                {
                    "job_id": "JOB-000002",
                    "channel": "installer_portal",
                    "requester_role": "installer",
                    "requester_name": "Ines Installer",
                    "reason": "homeowner_request_cancellation",
                    "homeowner_emailed": True,
                },
            ]
        },
    )

    job_id: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    channel: Channel
    requester_role: RequesterRole
    requester_name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    statement: StatementIn | None = None
    reason: CancelReason | None = None
    reason_text: str = Field(default="", max_length=2000, pattern=NO_NUL)
    homeowner_emailed: bool = Field(
        default=False,
        description="The installer says the homeowner already emailed: it is told to expect "
        "a resolution within 24–48 hours.",
    )

    def draft(self) -> RequestDraft:
        """The request as filed: every field but the statement carried over by name."""
        statement = self.statement.written() if self.statement else None
        return RequestDraft(**self.model_dump(exclude={"statement"}), statement=statement)


class StatementOut(Out):
    kind: StatementKind = Field(examples=["email"])
    content: str
    received_at: datetime
    sent_date: date | None = Field(default=None, description="Postmark date of a mailed notice.")
    source_ref: str
    from_address: str


class RequestOut(Out):
    id: str = Field(examples=["REQ-9303bce6a895"])
    version: int
    job_id: str
    channel: Channel = Field(examples=["phone"])
    requester_role: RequesterRole = Field(examples=["homeowner"])
    requester_name: str
    filed_by: str
    filed_at: datetime
    due_at: datetime = Field(description="48 business hours after filing (the 24–48 h promise).")
    # Read as the request's openness, then made "open and past due as of now" below.
    overdue: bool = Field(validation_alias="is_open")
    within_cooling_off: bool = Field(
        description="Filed (or sent, for a notice) inside the FTC 3-day cooling-off window."
    )
    statement: StatementOut | None
    verified: bool
    verification_method: VerificationMethod | None = Field(default=None, examples=["code"])
    verified_at: datetime | None
    verification_note: str = Field(
        default="",
        description="For a request filed from an email: why the email did or did not verify it "
        "(which trusted server's DMARC/DKIM/SPF result, or what was missing or ignored).",
        examples=["DMARC pass for home.example by mx.example.com"],
    )
    reason: CancelReason | None
    reason_text: str
    outcome: Outcome = Field(examples=["open"])
    outcome_detail: str
    approved_by_case_id: str | None = Field(
        default=None, description="The Deal Processing case that approved this request."
    )
    approval_note: str | None = Field(
        default=None,
        description="What Deal Processing's approval still waits for (null: no approval).",
        examples=["approved by Deal Processing — verify the homeowner to cancel"],
    )

    @field_validator("overdue")
    @classmethod
    def _overdue_as_of_now(cls, is_open: bool, info: ValidationInfo) -> bool:
        due_at: datetime = info.data["due_at"]
        return is_open and now_of(info) > due_at


def request_headers(request: RequestOut) -> dict[str, str]:
    return {"ETag": etag(request.version)}


@router.post(
    "",
    summary="File a cancellation request from any channel",
    description="A requester (the job's homeowner, installer or sales rep) who already has an "
    "open request for the job gets **409** `/problems/duplicate_request` with "
    "`existing_request_id`: nothing new is filed; work (or close) that one instead.",
    status_code=201,
    response_model=RequestOut,
    responses={201: {"headers": {"Location": {"schema": {"type": "string"}}}}},
)
def file_new_request(
    body: FileRequestIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    def action(ctx: Context) -> RequestOut:
        request = file_request(ctx, body.draft(), actor=actor)
        return RequestOut.model_validate(request, context={"now": ctx.now()})

    return idem.run(
        action,
        status_code=201,
        headers=lambda r: request_headers(r) | {"Location": f"{API_PREFIX}/requests/{r.id}"},
    )


@router.get("", summary="Open requests, the earliest due first (support's work list)")
def list_open(
    state: State,
    actor: CurrentActor,
    open: Annotated[
        bool,
        Query(
            description="Only open requests are listed; read closed ones per job.",
            json_schema_extra={"enum": [True]},
        ),
    ] = True,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Page[RequestOut]:
    if not open:
        raise InvalidInput(
            "only open requests are listed here; read a job's requests at "
            "/api/v1/jobs/{job_id}/requests",
            field="query.open",
        )
    now = state.ctx.now()
    page = open_requests(state.ctx, actor=actor, limit=limit, after=cursor)
    return page_out(
        page, lambda r: RequestOut.model_validate(r, context={"now": now}), lambda r: r.id
    )


@router.get("/{request_id}", summary="One request, with its version as the ETag")
def read_request(
    request_id: RequestId, state: State, actor: CurrentActor, response: Response
) -> RequestOut:
    request = RequestOut.model_validate(
        get_request(state.ctx, request_id, actor=actor), context={"now": state.ctx.now()}
    )
    response.headers["ETag"] = etag(request.version)
    return request


@router.post(
    "/{request_id}/statement",
    summary="Attach (or replace) the homeowner's written statement",
    response_model=RequestOut,
)
def attach_written_statement(
    request_id: RequestId,
    body: StatementIn,
    state: State,
    actor: CurrentActor,
    version: RequestIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> RequestOut:
        request = attach_statement(
            ctx, request_id, body.written(), actor=actor, expected_version=version
        )
        return RequestOut.model_validate(request, context={"now": ctx.now()})

    return idem.run(action, headers=request_headers)


class CodeSentOut(Out):
    request_id: str
    challenge_id: str
    expires_at: datetime
    sent_to: str = Field(description="The homeowner's address on file.")


@router.post(
    "/{request_id}/verification/code",
    summary="Email a 4-digit code to the homeowner's address on file (HO Outbound)",
    description="Any older code stops working. The code is never returned: the homeowner "
    "reads it back from the email. At most 3 codes an hour and 5 a day per request, and none "
    "once its 10 attempts are spent (429 `verification_limit_reached`).",
    response_model=CodeSentOut,
)
def send_code(
    request_id: RequestId, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    def action(ctx: Context) -> CodeSentOut:
        sent = send_verification_code(ctx, request_id, actor=actor)
        return CodeSentOut.model_validate(sent)

    return idem.run(action)


class ConfirmCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "4821"}]})

    code: str = Field(pattern=r"^[0-9]{4}$", description="The 4 digits the homeowner read back.")


@router.post(
    "/{request_id}/verification/code/confirm",
    summary="Confirm the code the homeowner read back",
    description="A wrong code answers 409 with `attempts_left`; a code locks after 5 attempts "
    "and a request after 10 across its codes (429 `verification_limit_reached`); guesses are "
    "also rate limited per request and per user (429).",
    response_model=RequestOut,
)
def confirm_code(
    request_id: RequestId,
    body: ConfirmCodeIn,
    state: State,
    user: CurrentUser,
    version: RequestIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> RequestOut:
        # Inside the action: a replayed answer is not a new guess, and a refusal is retried.
        state.throttle.hit(CONFIRM_PER_REQUEST, "confirm-request", request_id, what="code")
        state.throttle.hit(CONFIRM_PER_CLIENT, "confirm-client", user.id, what="code")
        request = confirm_verification_code(
            ctx, request_id, body.code, actor=user.actor, expected_version=version
        )
        return RequestOut.model_validate(request, context={"now": ctx.now()})

    return idem.run(action, headers=request_headers)


class AddressOnFileIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"sender": "ben.reyes.2@homeowner.example", "authenticated": True}]
        },
    )

    sender: EmailAddress = Field(description="From address.")
    authenticated: bool | None = Field(
        default=None,
        description="What the receiving server's Authentication-Results said: false when "
        "SPF/DKIM/DMARC failed, null when unknown.",
    )


@router.post(
    "/{request_id}/verification/address-on-file",
    summary="Verify an email request: it came from the homeowner's address on file, unforged",
    response_model=RequestOut,
)
def address_on_file(
    request_id: RequestId,
    body: AddressOnFileIn,
    state: State,
    actor: CurrentActor,
    version: RequestIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> RequestOut:
        request = verify_by_address_on_file(
            ctx,
            request_id,
            sender=body.sender,
            authenticated=body.authenticated,
            actor=actor,
            expected_version=version,
        )
        return RequestOut.model_validate(request, context={"now": ctx.now()})

    return idem.run(action, headers=request_headers)


class CancelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "homeowner changed their mind"}]},
    )

    reason: str = Field(
        default="",
        max_length=2000,
        pattern=NO_NUL,
        description="For the feed and the notice; defaults to the request's reason.",
    )


@router.post(
    "/{request_id}/cancel",
    summary="Run the procedure: eligible, verified, not already pending → Cancel Pending",
    description="`If-Match` is the **job's** ETag. An ineligible job answers 409 "
    "`/problems/not_eligible` with `rule_number` and `policy_version` (a request Deal "
    "Processing approved passes rule 5, and only it: `authority` is then "
    "`deal_processing_approval`); a job already pending answers 200 with "
    "`already_pending: true` and the date it is pending until.",
    response_model=CancelOut,
)
def cancel_by_request(
    request_id: RequestId,
    body: CancelIn,
    state: State,
    actor: CurrentActor,
    job_version: JobIfMatch,
    idem: Idempotent,
) -> Response:
    return idem.run(
        lambda ctx: CancelOut.model_validate(
            cancel_workflow(
                ctx,
                request_id,
                actor=actor,
                reason=body.reason,
                expected_version=job_version,
            )
        )
    )


class EscalateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"detail": "Homeowner called; invoice already uploaded."}]},
    )

    detail: str = Field(default="", max_length=5000, pattern=NO_NUL)


@router.post(
    "/{request_id}/escalation",
    summary="Escalate a Direct Pay M1B request (invoice uploaded) to Deal Processing",
    description="Creates a case with a Deal Processing assignment in the Back Office queue.",
    status_code=201,
    response_model=CaseOut,
    responses={201: {"headers": {"Location": {"schema": {"type": "string"}}}}},
)
def escalate(
    request_id: RequestId,
    body: EscalateIn,
    state: State,
    actor: CurrentActor,
    version: RequestIfMatch,
    idem: Idempotent,
) -> Response:
    return idem.run(
        lambda ctx: CaseOut.model_validate(
            escalate_to_deal_processing(
                ctx, request_id, actor=actor, detail=body.detail, expected_version=version
            )
        ),
        status_code=201,
        headers=lambda c: {"ETag": etag(c.version), "Location": f"{API_PREFIX}/cases/{c.id}"},
    )


class CloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "withdrawn", "note": "the homeowner called back: keep the system"},
                {"reason": "duplicate", "duplicate_of": "REQ-9303bce6a895"},
                {"reason": "not_eligible", "note": "Beam customer, told on the phone"},
            ]
        },
    )

    reason: CloseReason = Field(
        description="`not_eligible` (the rule is the table's decision now, recorded with it; "
        "only a rule that says stop), `not_verified` (only an unverified request), "
        "`withdrawn` (by the homeowner), `duplicate` (with `duplicate_of`)."
    )
    note: str = Field(default="", max_length=2000, pattern=NO_NUL)
    duplicate_of: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="For `duplicate`: the request on the same job this one repeats.",
    )


@router.post(
    "/{request_id}/close",
    summary="Refuse or close an open request with a reason; the requester is emailed why",
    description="`If-Match` is the **request's** ETag. The request leaves the open list, its "
    "`outcome` is the reason, and the audit trail records who closed it and why. A closed "
    "request answers 409 `not_allowed`; `not_eligible` on a job the table lets support cancel "
    "(or sends to Deal Processing) answers 409 `not_allowed` too.",
    response_model=RequestOut,
)
def close(
    request_id: RequestId,
    body: CloseIn,
    state: State,
    actor: CurrentActor,
    version: RequestIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> RequestOut:
        request = close_with_reason(
            ctx,
            request_id,
            body.reason,
            actor=actor,
            note=body.note,
            duplicate_of=body.duplicate_of,
            channel=AuditChannel.API,
            expected_version=version,
        )
        return RequestOut.model_validate(request, context={"now": ctx.now()})

    return idem.run(action, headers=request_headers)
