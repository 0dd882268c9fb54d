"""Jobs: list and read them, import Engine's exports, and act on one job.

Reads are scoped by the service layer (an installer finds its company's jobs only, another's
is a 404). Writes take ``Idempotency-Key``; those that change the job take ``If-Match`` with
the job's ETag (its version).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rescind.adapters.csv_jobs import COLUMNS, read_jobs_text
from rescind.domain.access import Permission, require
from rescind.domain.audit import AuditChannel
from rescind.domain.errors import InvalidInput, NotFound
from rescind.domain.job import JobStatus, Milestone, PartnerProgram, ProductModel
from rescind.domain.request import CancelReason
from rescind.entrypoints.api.deps import (
    NO_NUL,
    NOT_BLANK,
    NOT_BLANK_SCHEMA,
    CurrentActor,
    Idempotent,
    JobIfMatch,
    State,
    etag,
)
from rescind.entrypoints.api.models import (
    AuditRecordOut,
    CancelOut,
    CaseOut,
    DecisionOut,
    EmailOut,
    FeedCommentOut,
    JobOut,
    Out,
    Page,
)
from rescind.entrypoints.api.paging import (
    DEFAULT_LIMIT,
    PageCursor,
    PageLimit,
    number_cursor,
    page_out,
)
from rescind.entrypoints.api.requests import RequestOut
from rescind.services.audit import job_trail_page
from rescind.services.cancellation import restore_workflow
from rescind.services.checkpoints import prove_job
from rescind.services.context import Context
from rescind.services.eligibility import replay_eligibility
from rescind.services.feed import comment_on_feed, read_feed
from rescind.services.importing import import_jobs
from rescind.services.installer import installer_cancel_workflow
from rescind.services.ports import JobQuery
from rescind.services.queries import (
    JobView,
    current_decision,
    get_job,
    job_cases,
    job_emails,
    job_requests,
    search_jobs,
)

router = APIRouter(prefix="/jobs", tags=["jobs"])
CHANNEL = AuditChannel.API

JobId = Annotated[str, Path(min_length=1, max_length=100, pattern=NO_NUL, examples=["JOB-000002"])]


def job_out(view: JobView) -> JobOut:
    return JobOut.model_validate(view)


def job_headers(job: JobOut) -> dict[str, str]:
    return {"ETag": etag(job.version)}


# --- reading ---------------------------------------------------------------------------------


@router.get("", summary="List jobs, filtered and paged by id")
def list_jobs(
    state: State,
    actor: CurrentActor,
    status: JobStatus | None = None,
    milestone: Milestone | None = None,
    product_model: ProductModel | None = None,
    partner_program: PartnerProgram | None = None,
    installer_id: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="The installer company's id."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="A job id (any case, with or without `JOB-` and leading zeros), or the "
            "start of the homeowner's full name, surname, email or phone (any punctuation).",
            examples=["ben.reyes.2@homeowner.example"],
        ),
    ] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Page[JobOut]:
    query = JobQuery(
        status=status,
        milestone=milestone,
        product_model=product_model,
        partner_program=partner_program,
        installer_id=installer_id,
        text=q,
        after_id=cursor,
        limit=limit,
    )
    return page_out(search_jobs(state.ctx, actor=actor, query=query), job_out, lambda v: v.job.id)


@router.get("/{job_id}", summary="One job, with its version as the ETag")
def read_job(job_id: JobId, state: State, actor: CurrentActor, response: Response) -> JobOut:
    job = job_out(get_job(state.ctx, job_id, actor=actor))
    response.headers["ETag"] = etag(job.version)
    return job


class EligibilityOut(DecisionOut):
    replayed_at: datetime | None = Field(
        default=None, description="Set when this is a replay: the moment decided as of."
    )
    facts_recorded_at: datetime | None = Field(
        default=None,
        description="On a replay, when the facts used were recorded (null: the job's current "
        "facts stood in, no decision having been recorded by then).",
    )


@router.get(
    "/{job_id}/eligibility",
    summary="The eligibility decision now, or replayed as of a past moment",
    description="Read-only: nothing is recorded. With `at`, the policy version in force then "
    "decides on the facts last recorded by then.",
)
def eligibility(
    job_id: JobId,
    state: State,
    actor: CurrentActor,
    at: Annotated[AwareDatetime | None, Query(examples=["2026-11-23T15:00:00Z"])] = None,
) -> EligibilityOut:
    if at is None:
        return EligibilityOut.model_validate(current_decision(state.ctx, job_id, actor=actor))
    replay = replay_eligibility(state.ctx, job_id, at, actor=actor)
    return EligibilityOut(
        **DecisionOut.model_validate(replay.decision).model_dump(),
        replayed_at=replay.at,
        facts_recorded_at=replay.facts_recorded_at,
    )


@router.get("/{job_id}/requests", summary="The job's cancellation requests, oldest first")
def list_job_requests(job_id: JobId, state: State, actor: CurrentActor) -> list[RequestOut]:
    now = state.ctx.now()
    return [
        RequestOut.model_validate(r, context={"now": now})
        for r in job_requests(state.ctx, job_id, actor=actor)
    ]


@router.get("/{job_id}/cases", summary="The job's cases (Deal Processing escalations)")
def list_job_cases(job_id: JobId, state: State, actor: CurrentActor) -> list[CaseOut]:
    return [CaseOut.model_validate(c) for c in job_cases(state.ctx, job_id, actor=actor)]


@router.get("/{job_id}/feed", summary="The homeowner's profile feed, oldest first, paged")
def list_feed(
    job_id: JobId,
    state: State,
    actor: CurrentActor,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Page[FeedCommentOut]:
    page = read_feed(state.ctx, job_id, actor=actor, after=cursor, limit=limit)
    return page_out(page, FeedCommentOut.model_validate, lambda c: c.id)


@router.get("/{job_id}/audit", summary="The job's append-only audit trail, in order, paged")
def list_audit(
    job_id: JobId,
    state: State,
    actor: CurrentActor,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Page[AuditRecordOut]:
    after_seq = number_cursor(cursor)
    page = job_trail_page(state.ctx, job_id, actor=actor, after_seq=after_seq, limit=limit)
    return page_out(page, AuditRecordOut.model_validate, lambda r: str(r.seq))


@router.get(
    "/{job_id}/audit/proof",
    summary="The job's trail with its inclusion proof in the latest signed checkpoint",
    description="The same bundle as `rescind audit prove`: the job's records, the "
    "checkpoint's signed tree head, the leaf index and the RFC 6962 audit path. Anyone can "
    "check it with `scripts/verify_audit_proof.py` and the company's public checkpoint key.",
)
def prove_audit(job_id: JobId, state: State, actor: CurrentActor) -> dict[str, Any]:
    if state.proofs is None:
        raise NotFound(
            "this server issues no audit checkpoints (RESCIND_AUDIT_SIGNING_KEY is not set), "
            "so there is nothing to prove a trail against"
        )
    proof = prove_job(state.ctx, job_id, state.proofs.archive, state.proofs.trusted, actor=actor)
    return proof.bundle()


@router.get("/{job_id}/emails", summary="The job's emails: queued, sent or failed")
def list_emails(job_id: JobId, state: State, actor: CurrentActor) -> list[EmailOut]:
    return [EmailOut.model_validate(e) for e in job_emails(state.ctx, job_id, actor=actor)]


# --- acting on one job -------------------------------------------------------------------------


class RestoreIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"why": "homeowner changed their mind"}]}
    )

    why: str = Field(
        min_length=1,
        max_length=2000,
        pattern=NO_NUL,
        json_schema_extra=NOT_BLANK_SCHEMA,  # the domain refuses a blank reason
        description="Why the job is restored: on the feed, in the audit trail, and in the "
        "email telling the contract signers their cancellation was withdrawn.",
    )


@router.post(
    "/{job_id}/restore",
    summary="Restore a cancel-pending job to active (only inside its window), with a reason",
    response_model=JobOut,
)
def restore(
    job_id: JobId,
    body: RestoreIn,
    state: State,
    actor: CurrentActor,
    version: JobIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> JobOut:
        job = restore_workflow(
            ctx, job_id, actor=actor, channel=CHANNEL, why=body.why, expected_version=version
        )
        # A restored job is active, so it has no window and no final date.
        return job_out(
            JobView(job, job.status, final_date=None, finalization=None, effective=job.status)
        )

    return idem.run(action, headers=job_headers)


class InstallerCancelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "homeowner_request_cancellation",
                    "reason_text": "",
                    "requester_name": "Ines Installer",
                },
                {"reason": "other", "reason_text": "duplicate job", "requester_name": "Ines"},
            ],
            # The domain's rule (``validate_reason``): reason 'other' needs a text saying why.
            "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
            "then": {"required": ["reason_text"], "properties": {"reason_text": NOT_BLANK_SCHEMA}},
        },
    )

    reason: CancelReason
    reason_text: str = Field(default="", max_length=2000, pattern=NO_NUL)
    requester_name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class InstallerCancelOut(Out):
    request_id: str = Field(description="The request recorded for this click.")
    cancelled: CancelOut
    message: str = Field(examples=["job JOB-000002 is now cancel pending until the end of …"])


@router.post(
    "/{job_id}/cancel",
    summary="The installer's Cancel Workflow button (operations phase; a reason is required)",
    description="Outside the operations phase there is no button: the click is recorded as a "
    "request closed for want of the homeowner's written request, and the answer is a 409 "
    "problem `written_request_required` saying so (its `cancellation_request_id` names the "
    "request). The decision table still applies.",
    response_model=InstallerCancelOut,
)
def installer_cancel(
    job_id: JobId,
    body: InstallerCancelIn,
    state: State,
    actor: CurrentActor,
    version: JobIfMatch,
    idem: Idempotent,
) -> Response:
    def action(ctx: Context) -> InstallerCancelOut:
        answer = installer_cancel_workflow(
            ctx,
            job_id,
            requester_name=body.requester_name,
            reason=body.reason,
            reason_text=body.reason_text,
            actor=actor,
            expected_version=version,
        )
        return InstallerCancelOut.model_validate(answer)

    return idem.run(action)


class CommentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Called the homeowner; they will email us."}]},
    )

    body: str = Field(max_length=5000, pattern=NO_NUL, json_schema_extra=NOT_BLANK_SCHEMA)


@router.post(
    "/{job_id}/feed",
    summary="Comment on the homeowner's profile feed",
    status_code=201,
    response_model=FeedCommentOut,
)
def comment(
    job_id: JobId, body: CommentIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    if not re.fullmatch(NOT_BLANK, body.body):
        raise InvalidInput("a comment needs some text", field="body.body")
    return idem.run(
        lambda ctx: FeedCommentOut.model_validate(
            comment_on_feed(ctx, job_id, body.body, actor=actor, channel=CHANNEL)
        ),
        status_code=201,
    )


# --- importing ---------------------------------------------------------------------------------


class RowErrorOut(Out):
    line: int = Field(examples=[3])
    message: str = Field(examples=["milestone 'M9' is not one of: M1, M1A, M1B, M2, M3"])


class ImportOut(Out):
    imported: int
    errors: list[RowErrorOut]


async def csv_text(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8 text", field="body") from None


_EXAMPLE_CSV = (
    ",".join(COLUMNS)
    + "\nJOB-900001,HO-900001,Ada Homeowner,ada@homeowner.example,201-555-0100,INST-1,Sunny Roofs,"
    "ops@sunny.example,REP-1,Sam Rep,sam@sales.example,regular,M1,not_submitted,false,false,"
    "none,false,false,2026-10-01,operations\n"
)


# What the schema promises a file the importer reads: the header line, then rows of plain
# (unquoted) fields. Each row is then checked on its own (a bad one is reported, not a 422);
# quoted fields are read too, but a generator following the pattern never needs them.
CSV_PATTERN = rf"^{','.join(COLUMNS)}\r?\n[^\"\x00]*$"


@router.post(
    "/import",
    summary="Import jobs from an Engine export (CSV); good rows are kept, bad ones reported",
    description="Admins only. The body is the CSV itself (`Content-Type: text/csv`) with the "
    f"header `{','.join(COLUMNS)}`. A wrong header rejects the whole file (422). A `job_id` "
    "is `JOB-` then capital letters and digits (`JOB-000123`, `JOB-H14O`), the shape inbound "
    "mail reads as a job reference; a row with another id is reported and not imported.",
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "pattern": CSV_PATTERN},
                    "example": _EXAMPLE_CSV,
                },
            },
        }
    },
)
def import_csv(
    state: State,
    actor: CurrentActor,
    text: Annotated[str, Depends(csv_text)],
    idem: Idempotent,
) -> Response:
    # Refuse a non-admin before reading the file, so the answer does not depend on it.
    require(actor, Permission.IMPORT_JOBS)

    def action(ctx: Context) -> ImportOut:
        rows = read_jobs_text(text, source="the uploaded CSV")
        return ImportOut.model_validate(import_jobs(ctx, rows, actor=actor))

    return idem.run(action)
