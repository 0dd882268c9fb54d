"""The API's JSON shapes, built from domain objects with ``of``.

Kept apart from the domain on purpose: these are a published contract (OpenAPI), and the
domain may change shape without breaking clients.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from rescind.domain.audit import AuditRecord
from rescind.domain.case import Case
from rescind.domain.eligibility import Decision, DecisionTable
from rescind.domain.email import QueuedEmail
from rescind.domain.feed import FeedComment
from rescind.domain.job import Job, JobStatus
from rescind.domain.request import CancellationRequest
from rescind.domain.user import User
from rescind.domain.workflow import Finalization
from rescind.services.cancellation import CancelResult

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    status: str = Field(examples=["open"])


class JobOut(Out):
    id: str = Field(examples=["JOB-000002"])
    version: int = Field(description="Send it back as If-Match (the ETag) when you change the job.")
    status: JobStatus = Field(
        description="The stored status, as the audit trail records it: a window that has "
        "ended stays cancel_pending (with `finalization`) until the sweep records the final "
        "cancellation."
    )
    final_at: datetime | None = Field(
        default=None,
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
    homeowner: HomeownerOut
    installer: PersonOut
    sales_rep: PersonOut
    product_model: str = Field(examples=["regular"])
    milestone: str = Field(examples=["M1"])
    review_status: str = Field(examples=["pending_review"])
    review_items: list[ReviewItemOut]
    invoice_uploaded: bool
    system_photos_uploaded: bool
    partner_program: str = Field(examples=["none"])
    installer_signed: bool
    sales_rep_signed: bool
    contract_signed_date: date
    phase: str = Field(examples=["operations"])

    @classmethod
    def of(
        cls,
        job: Job,
        *,
        status: JobStatus,
        final_date: date | None,
        finalization: Finalization | None = None,
    ) -> JobOut:
        return cls(
            id=job.id,
            version=job.version,
            status=status,
            final_at=job.final_at,
            finalization=finalization,
            final_date=final_date,
            homeowner=HomeownerOut(
                id=job.homeowner.id,
                name=job.homeowner.name,
                email=job.homeowner.email,
                phone=job.homeowner.phone,
            ),
            installer=PersonOut(
                id=job.installer.id, name=job.installer.name, email=job.installer.email
            ),
            sales_rep=PersonOut(
                id=job.sales_rep.id, name=job.sales_rep.name, email=job.sales_rep.email
            ),
            product_model=job.product_model.value,
            milestone=job.milestone.value,
            review_status=job.review.status.value,
            review_items=[
                ReviewItemOut(id=i.id, description=i.description, status=i.status.value)
                for i in job.review.items
            ],
            invoice_uploaded=job.invoice_uploaded,
            system_photos_uploaded=job.system_photos_uploaded,
            partner_program=job.partner_program.value,
            installer_signed=job.installer_signed,
            sales_rep_signed=job.sales_rep_signed,
            contract_signed_date=job.contract_signed_date,
            phase=job.phase.value,
        )


class DecisionOut(Out):
    eligible: bool
    rule_number: int = Field(examples=[5])
    rule_text: str = Field(examples=["Milestone M1B, invoice uploaded"])
    policy_version: int = Field(examples=[1])
    action: str = Field(examples=["escalate_to_deal_processing"])
    guidance: str = Field(description="What the agent should do or tell the customer.")
    steps_before_cancel: list[str] = Field(examples=[["reject_all_review_items", "submit_review"]])
    facts: dict[str, str | bool]

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        return cls(
            eligible=d.eligible,
            rule_number=d.rule_number,
            rule_text=d.rule_text,
            policy_version=d.policy_version,
            action=d.action.value,
            guidance=d.guidance,
            steps_before_cancel=list(d.steps_before_cancel),
            facts=dict(d.facts),
        )


class StatementOut(Out):
    kind: str = Field(examples=["email"])
    content: str
    received_at: datetime
    sent_date: date | None = Field(default=None, description="Postmark date of a mailed notice.")
    source_ref: str
    from_address: str


class RequestOut(Out):
    id: str = Field(examples=["REQ-9303bce6a895"])
    version: int
    job_id: str
    channel: str = Field(examples=["phone"])
    requester_role: str = Field(examples=["homeowner"])
    requester_name: str
    filed_by: str
    filed_at: datetime
    due_at: datetime = Field(description="48 business hours after filing (the 24–48 h promise).")
    overdue: bool
    within_cooling_off: bool = Field(
        description="Filed (or sent, for a notice) inside the FTC 3-day cooling-off window."
    )
    statement: StatementOut | None
    verified: bool
    verification_method: str | None = Field(default=None, examples=["code"])
    verified_at: datetime | None
    verification_note: str = Field(
        default="",
        description="For a request filed from an email: why the email did or did not verify it "
        "(which trusted server's DMARC/DKIM/SPF result, or what was missing or ignored).",
        examples=["DMARC pass for home.example by mx.example.com"],
    )
    reason: str | None
    reason_text: str
    outcome: str = Field(examples=["open"])
    outcome_detail: str
    approved_by_case_id: str | None = Field(
        default=None, description="The Deal Processing case that approved this request."
    )
    approval_note: str | None = Field(
        default=None,
        description="What Deal Processing's approval still waits for (null: no approval).",
        examples=["approved by Deal Processing — verify the homeowner to cancel"],
    )

    @classmethod
    def of(cls, r: CancellationRequest, *, now: datetime) -> RequestOut:
        s = r.statement
        return cls(
            id=r.id,
            version=r.version,
            job_id=r.job_id,
            channel=r.channel.value,
            requester_role=r.requester_role.value,
            requester_name=r.requester_name,
            filed_by=r.filed_by,
            filed_at=r.filed_at,
            due_at=r.due_at,
            overdue=r.is_open and now > r.due_at,
            within_cooling_off=r.within_cooling_off,
            statement=StatementOut(
                kind=s.kind.value,
                content=s.content,
                received_at=s.received_at,
                sent_date=s.sent_date,
                source_ref=s.source_ref,
                from_address=s.from_address,
            )
            if s
            else None,
            verified=r.verified,
            verification_method=r.verification_method.value if r.verification_method else None,
            verified_at=r.verified_at,
            verification_note=r.verification_note,
            reason=r.reason.value if r.reason else None,
            reason_text=r.reason_text,
            outcome=r.outcome.value,
            outcome_detail=r.outcome_detail,
            approved_by_case_id=r.approved_by_case_id,
            approval_note=r.approval_note,
        )


class CancelOut(Out):
    job_id: str
    request_id: str | None
    authority: str = Field(
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

    @classmethod
    def of(cls, r: CancelResult) -> CancelOut:
        return cls(
            job_id=r.job_id,
            request_id=r.request_id,
            authority=r.authority.value,
            already_pending=r.already_pending,
            final_at=r.final_at,
            final_date=r.final_date,
            message=r.message,
            decision=DecisionOut.of(r.decision),
            message_ids=list(r.message_ids),
        )


class AssignmentOut(Out):
    team: str = Field(examples=["deal_processing"])
    assigned_at: datetime
    status: str = Field(examples=["open"])


class CaseOut(Out):
    id: str = Field(examples=["CASE-279aa758935d"])
    version: int
    job_id: str
    request_id: str | None
    requested_by: str = Field(examples=["sales_rep"])
    subject: str
    description: str
    queue: str = Field(examples=["back_office"])
    status: str = Field(examples=["open"])
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

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(
            id=c.id,
            version=c.version,
            job_id=c.job_id,
            request_id=c.request_id,
            requested_by=c.requested_by.value,
            subject=c.subject,
            description=c.description,
            queue=c.queue.value,
            status=c.status.value,
            assignments=[
                AssignmentOut(team=a.team.value, assigned_at=a.assigned_at, status=a.status.value)
                for a in c.assignments
            ],
            created_at=c.created_at,
            created_by=c.created_by,
            decided_by=c.decided_by,
            decided_at=c.decided_at,
            decision_reason=c.decision_reason,
            assignee=c.assignee,
        )


class FeedCommentOut(Out):
    id: str
    homeowner_id: str
    job_id: str | None
    author: str
    body: str
    created_at: datetime
    automatic: bool

    @classmethod
    def of(cls, c: FeedComment) -> FeedCommentOut:
        return cls(
            id=c.id,
            homeowner_id=c.homeowner_id,
            job_id=c.job_id,
            author=c.author,
            body=c.body,
            created_at=c.created_at,
            automatic=c.automatic,
        )


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

    @classmethod
    def of(cls, r: AuditRecord) -> AuditRecordOut:
        return cls(
            stream=r.stream,
            seq=r.seq,
            occurred_at=r.occurred_at,
            actor=r.actor,
            channel=r.channel,
            policy_version=r.policy_version,
            kind=r.kind,
            data=dict(r.data),
            prev_hash=r.prev_hash,
            hash=r.hash,
        )


class EmailOut(Out):
    message_id: str = Field(examples=["<3f2a…@rescind.invalid>"])
    kind: str = Field(examples=["cancellation_notice"])
    sender: str = Field(examples=["support"])
    to: list[str]
    cc: list[str]
    job_id: str | None
    status: str = Field(examples=["queued"])
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    last_error: str

    @classmethod
    def of(cls, e: QueuedEmail) -> EmailOut:
        # The context is not exposed: it may hold a verification code until sent.
        return cls(
            message_id=e.message_id,
            kind=e.kind.value,
            sender=e.sender.value,
            to=list(e.recipients.to),
            cc=list(e.recipients.cc),
            job_id=e.job_id,
            status=e.status.value,
            attempts=e.attempts,
            queued_at=e.queued_at,
            sent_at=e.sent_at,
            last_error=e.last_error,
        )


class PolicyOut(Out):
    version: int
    name: str
    effective_at: datetime
    document: dict[str, JsonValue] = Field(description="The decision table, as published.")

    @classmethod
    def of(cls, t: DecisionTable) -> PolicyOut:
        document: dict[str, JsonValue] = {k: _json(v) for k, v in t.to_document().items()}
        return cls(version=t.version, name=t.name, effective_at=t.effective_at, document=document)


def _json(value: object) -> JsonValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)


class HolidayOut(Out):
    day: date = Field(examples=["2026-12-24"])
    name: str = Field(examples=["Christmas Eve"])


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: str
    scope_id: str | None
    active: bool
    reset_required: bool = Field(
        description="An admin forced a reset: the user must choose a new password "
        "(POST /auth/password) before logging in again."
    )
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role.value,
            scope_id=u.scope_id,
            active=u.active,
            reset_required=u.must_change_password,
            created_at=u.created_at,
        )
