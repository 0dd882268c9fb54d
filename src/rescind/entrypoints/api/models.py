"""The API's JSON shapes, read straight off domain and service objects.

Each model validates from the object it shows (``Model.model_validate(obj)``): a field is
read by its name, a renamed or nested one by its ``validation_alias``, so a field added to the
domain reaches the API by being declared here once, with no copying method in between.

Kept apart from the domain on purpose: these are a published contract (OpenAPI), and the
domain may change shape without breaking clients.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
)

from rescind.domain.access import Role
from rescind.domain.authority import Authority
from rescind.domain.case import AssignmentStatus, CaseStatus, Queue
from rescind.domain.eligibility import Action
from rescind.domain.email import DeliveryStatus, EmailKind, Mailbox
from rescind.domain.job import (
    JobStatus,
    Milestone,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewItemStatus,
    ReviewStatus,
)
from rescind.domain.request import (
    RequesterRole,
)
from rescind.domain.workflow import Finalization

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


def now_of(info: ValidationInfo) -> datetime:
    """The moment a derived value is as of: ``model_validate(obj, context={"now": now})``."""
    now = info.context.get("now") if isinstance(info.context, dict) else None
    if not isinstance(now, datetime):
        raise TypeError(
            f"{info.field_name} is derived from now: validate with context={{'now': …}}"
        )
    return now


class Page(Out, Generic[T]):
    """A page of items; pass ``next_cursor`` as ``cursor`` for the next one (null: no more)."""

    items: list[T]
    next_cursor: str | None = None


class PersonOut(Out):
    id: str = Field(examples=["HO-000002"])
    name: str = Field(examples=["Ben Reyes"])
    email: str = Field(examples=["ben.reyes.2@homeowner.example"])


class HomeownerOut(PersonOut):
    phone: str = Field(examples=["+12015550104"], description="E.164, as stored.")


class ReviewItemOut(Out):
    id: str
    description: str
    status: ReviewItemStatus = Field(examples=["open"])


def _job(name: str) -> AliasPath:
    return AliasPath("job", name)


class JobOut(Out):
    """Validated from a ``JobView``: the job's own fields under ``job``, the derived ones beside."""

    id: str = Field(validation_alias=_job("id"), examples=["JOB-000002"])
    version: int = Field(
        validation_alias=_job("version"),
        description="Send it back as If-Match (the ETag) when you change the job.",
    )
    status: JobStatus = Field(
        description="The stored status, as the audit trail records it: a window that has "
        "ended stays cancel_pending (with `finalization`) until the sweep records the final "
        "cancellation."
    )
    final_at: datetime | None = Field(
        default=None,
        validation_alias=_job("final_at"),
        description="While cancel_pending: the instant the cancellation becomes final.",
    )
    finalization: Finalization | None = Field(
        default=None,
        description="`being_processed` from `final_at` until the sweep records the "
        "cancellation: final (a restore is refused), not yet cancelled in the trail.",
    )
    final_date: date | None = Field(
        default=None, description="The last business day of the window (company time zone)."
    )
    homeowner: HomeownerOut = Field(validation_alias=_job("homeowner"))
    installer: PersonOut = Field(validation_alias=_job("installer"))
    sales_rep: PersonOut = Field(validation_alias=_job("sales_rep"))
    product_model: ProductModel = Field(
        validation_alias=_job("product_model"), examples=["regular"]
    )
    milestone: Milestone = Field(validation_alias=_job("milestone"), examples=["M1"])
    review_status: ReviewStatus = Field(
        validation_alias=AliasPath("job", "review", "status"), examples=["pending_review"]
    )
    review_items: list[ReviewItemOut] = Field(validation_alias=AliasPath("job", "review", "items"))
    invoice_uploaded: bool = Field(validation_alias=_job("invoice_uploaded"))
    system_photos_uploaded: bool = Field(validation_alias=_job("system_photos_uploaded"))
    partner_program: PartnerProgram = Field(
        validation_alias=_job("partner_program"), examples=["none"]
    )
    installer_signed: bool = Field(validation_alias=_job("installer_signed"))
    sales_rep_signed: bool = Field(validation_alias=_job("sales_rep_signed"))
    contract_signed_date: date = Field(validation_alias=_job("contract_signed_date"))
    phase: Phase = Field(validation_alias=_job("phase"), examples=["operations"])


class DecisionOut(Out):
    eligible: bool
    rule_number: int = Field(examples=[5])
    rule_text: str = Field(examples=["Milestone M1B, invoice uploaded"])
    policy_version: int = Field(examples=[1])
    action: Action = Field(examples=["escalate_to_deal_processing"])
    guidance: str = Field(description="What the agent should do or tell the customer.")
    steps_before_cancel: list[str] = Field(examples=[["reject_all_review_items", "submit_review"]])
    facts: dict[str, str | bool]


class CancelOut(Out):
    job_id: str
    request_id: str | None
    authority: Authority = Field(
        description="Under whose authority the job was cancelled.",
        examples=["homeowner_verified", "installer_button", "deal_processing_approval"],
    )
    already_pending: bool = Field(description="True: nothing changed, the job was already pending.")
    final_at: datetime
    final_date: date
    message: str = Field(
        examples=["job JOB-000002 is now cancel pending until the end of 2026-12-14"]
    )
    decision: DecisionOut | None
    message_ids: list[str] = Field(description="Message-IDs of the emails queued.")


class AssignmentOut(Out):
    team: Queue = Field(examples=["deal_processing"])
    assigned_at: datetime
    status: AssignmentStatus = Field(examples=["open"])


class CaseOut(Out):
    id: str = Field(examples=["CASE-279aa758935d"])
    version: int
    job_id: str
    request_id: str | None
    requested_by: RequesterRole = Field(examples=["sales_rep"])
    subject: str
    description: str
    queue: Queue = Field(examples=["back_office"])
    status: CaseStatus = Field(examples=["open"])
    assignments: list[AssignmentOut]
    created_at: datetime
    created_by: str
    decided_by: str
    decided_at: datetime | None
    decision_reason: str
    assignee: str = Field(
        description="The team user working the case (their actor id); empty: nobody yet.",
        examples=["back_office:bo"],
    )


class FeedCommentOut(Out):
    id: str
    homeowner_id: str
    job_id: str | None
    author: str
    body: str
    created_at: datetime
    automatic: bool


class AuditRecordOut(Out):
    stream: str = Field(examples=["job:JOB-000002"])
    seq: int
    occurred_at: datetime
    actor: str = Field(examples=["agent:alex"])
    channel: str = Field(examples=["phone"])
    policy_version: int | None
    kind: str = Field(examples=["workflow_cancel_pending"])
    data: dict[str, JsonValue]
    prev_hash: str
    hash: str


class EmailOut(Out):
    # The context is not exposed: it may hold a verification code until sent.
    message_id: str = Field(examples=["<3f2a…@rescind.invalid>"])
    kind: EmailKind = Field(examples=["cancellation_notice"])
    sender: Mailbox = Field(examples=["support"])
    to: list[str] = Field(validation_alias=AliasPath("recipients", "to"))
    cc: list[str] = Field(validation_alias=AliasPath("recipients", "cc"))
    job_id: str | None
    status: DeliveryStatus = Field(examples=["queued"])
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    last_error: str


def _json(value: object) -> JsonValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)


def _published(document: object) -> JsonValue:
    return _json(document() if callable(document) else document)


class PolicyOut(Out):
    version: int
    name: str
    effective_at: datetime
    # Read by calling the table's ``to_document``; dates and the like become their text.
    document: Annotated[dict[str, JsonValue], BeforeValidator(_published)] = Field(
        validation_alias="to_document", description="The decision table, as published."
    )


class HolidayOut(Out):
    day: date = Field(examples=["2026-12-24"])
    name: str = Field(examples=["Christmas Eve"])


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: Role
    scope_id: str | None
    active: bool
    reset_required: bool = Field(
        validation_alias="must_change_password",
        description="An admin forced a reset: the user must choose a new password "
        "(POST /auth/password) before logging in again.",
    )
    created_at: datetime
