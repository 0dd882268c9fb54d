"""Cancellation requests: who asked, through which channel, with what evidence, and how it ended.

A request is the unit of work for support: it carries its due time (24–48 h promise), the
homeowner's written statement, whether it was verified as the homeowner's, and the FTC
cooling-off flag the agent must see.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from rescind.domain.eligibility import Action, Decision
from rescind.domain.errors import (
    Forbidden,
    InvalidInput,
    NotAllowed,
    NotVerified,
    PostmarkAfterReceipt,
    StatementMissing,
)
from rescind.domain.events import Event, EventKind
from rescind.domain.wording import a

DUE_BUSINESS_HOURS = 48
APPROVED_WAITING = "approved by Deal Processing — verify the homeowner to cancel"
APPROVED_READY = "approved by Deal Processing — ready to cancel"
APPROVED = "approved by Deal Processing"


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    INSTALLER_PORTAL = "installer_portal"
    MAIL = "mail"
    TELEGRAM = "telegram"
    # The homeowner's own page (/cancel): filed only there, never by staff for them.
    SELF_SERVICE = "self_service"


class RequesterRole(StrEnum):
    HOMEOWNER = "homeowner"
    INSTALLER = "installer"
    SALES_REP = "sales_rep"


class StatementKind(StrEnum):
    EMAIL = "email"
    CHAT_TRANSCRIPT = "chat_transcript"
    MAIL_NOTICE = "mail_notice"
    TELEGRAM_NOTICE = "telegram_notice"
    ONLINE_FORM = "online_form"  # typed or uploaded by the homeowner on the self-service page


class VerificationMethod(StrEnum):
    CODE = "code"
    ADDRESS_ON_FILE = "address_on_file"
    EMAIL_LINK = "email_link"  # opened the one-time link sent to the address on file


# What only the homeowner's own page may produce: staff cannot file or attach them for anyone.
SELF_SERVICE_CHANNELS = frozenset({Channel.SELF_SERVICE})
SELF_SERVICE_STATEMENTS = frozenset({StatementKind.ONLINE_FORM})


def require_staff_door(
    channel: Channel | None = None, statement_kind: StatementKind | None = None
) -> None:
    """Refuse a self-service channel or statement from any door but the self-service page."""
    if channel in SELF_SERVICE_CHANNELS:
        raise Forbidden(
            "requests through the self_service channel are filed only by the homeowner on the "
            "self-service page (/cancel); pick the channel the homeowner used to reach you"
        )
    if statement_kind in SELF_SERVICE_STATEMENTS:
        raise Forbidden(
            "an online_form statement is written only by the homeowner on the self-service "
            "page; attach the email, chat transcript or notice you received"
        )


class CancelReason(StrEnum):
    """The installer's dropdown in Engine's Cancel Workflow."""

    HOMEOWNER_REQUEST = "homeowner_request_cancellation"
    MILESTONE_AGED = "milestone_aged"
    FAILED_QUALIFICATION = "failed_qualification"
    PRODUCT_CHANGE_REQUESTED = "product_change_requested"
    OTHER = "other"


class Outcome(StrEnum):
    OPEN = "open"
    CANCEL_PENDING = "cancel_pending"
    ALREADY_PENDING = "already_pending"
    NOT_ELIGIBLE = "not_eligible"
    ESCALATED = "escalated"
    # Before approvals waited for verification, an approval closed the request itself; rows
    # closed so keep the outcome. Today an approved request closes as the cancel it allows.
    APPROVED = "approved"
    DENIED = "denied"
    WRITTEN_REQUEST_REQUIRED = "written_request_required"
    # Closed by a person with a reason (``CloseReason``); not_eligible above is one too.
    NOT_VERIFIED = "not_verified"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"


class CloseReason(StrEnum):
    """Why support ends a request without cancelling (SPEC: "A request that stops")."""

    NOT_ELIGIBLE = "not_eligible"
    NOT_VERIFIED = "not_verified"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.value)

    @property
    def label(self) -> str:
        return CLOSE_REASON_LABELS[self]


CLOSE_REASON_LABELS: dict[CloseReason, str] = {
    CloseReason.NOT_ELIGIBLE: "Not eligible",
    CloseReason.NOT_VERIFIED: "Not verified as the homeowner",
    CloseReason.WITHDRAWN: "Withdrawn by the homeowner",
    CloseReason.DUPLICATE: "Duplicate of another request",
}


CLOSED_OUTCOMES = frozenset(Outcome) - {Outcome.OPEN, Outcome.ESCALATED}


@dataclass
class WrittenStatement:
    """The homeowner's own words, kept as evidence: an email, a chat transcript or a notice.

    Mail and telegram notices keep both dates: the FTC rule counts the sent (postmark) date.
    A statement handed in has no ``received_at`` yet: the service stamps it (``received``) with
    its clock, and only then is it checked, so a caller's permissions are checked first.
    """

    kind: StatementKind
    content: str = ""
    received_at: datetime | None = None
    sent_date: date | None = None
    source_ref: str = ""
    from_address: str = ""

    def __post_init__(self) -> None:
        if self.received_at is not None:
            self._check(self.received_at)

    def received(self, now: datetime) -> WrittenStatement:
        """The statement as kept: received now, unless it says when (an email from triage)."""
        return replace(self, received_at=self.received_at or now)

    def _check(self, received_at: datetime) -> None:
        if not self.content.strip() and not self.source_ref.strip():
            raise InvalidInput(
                "a written statement needs its text or a reference to the kept file/message",
                field="statement",
            )
        if self.kind in (StatementKind.MAIL_NOTICE, StatementKind.TELEGRAM_NOTICE):
            if self.sent_date is None:
                raise InvalidInput(
                    f"{a(self.kind.value.replace('_', ' '))} needs its sent (postmark) date",
                    field="sent_date",
                )
            # received_at is UTC; a local postmark may be one calendar day ahead of it.
            if self.sent_date > received_at.date() + timedelta(days=1):
                raise PostmarkAfterReceipt(
                    "the sent (postmark) date cannot be after the date it was received "
                    f"({received_at.date().isoformat()}); check the postmark",
                    field="sent_date",
                )


@dataclass(frozen=True)
class RequestDraft:
    """A request as its requester files it; the service adds who filed it, when, and when it
    is due. A field added here reaches the stored request by the same name."""

    job_id: str
    channel: Channel
    requester_role: RequesterRole
    requester_name: str
    statement: WrittenStatement | None = None
    reason: CancelReason | None = None
    reason_text: str = ""
    homeowner_emailed: bool = False

    def filed(
        self,
        *,
        request_id: str,
        filed_by: str,
        filed_at: datetime,
        due_at: datetime,
        verification_note: str = "",
    ) -> CancellationRequest:
        """The request this draft files: its fields carried over by name, the statement
        received as filed."""
        kept = {f.name for f in fields(CancellationRequest)}
        carried = {f.name: getattr(self, f.name) for f in fields(self) if f.name in kept}
        return CancellationRequest(
            **carried
            | {
                "id": request_id,
                "requester_name": self.requester_name.strip(),
                "reason_text": self.reason_text.strip(),
                "statement": self.statement.received(filed_at) if self.statement else None,
                "filed_by": filed_by,
                "filed_at": filed_at,
                "due_at": due_at,
                "verification_note": verification_note,
            }
        )


@dataclass
class CancellationRequest:
    id: str
    job_id: str
    channel: Channel
    requester_role: RequesterRole
    requester_name: str
    filed_by: str
    filed_at: datetime
    due_at: datetime
    within_cooling_off: bool = False
    statement: WrittenStatement | None = None
    verified: bool = False
    verification_method: VerificationMethod | None = None
    verified_at: datetime | None = None
    verification_note: str = ""  # why an email request did or did not verify it
    reason: CancelReason | None = None
    reason_text: str = ""
    outcome: Outcome = Outcome.OPEN
    outcome_detail: str = ""
    # Deal Processing's approval of this request's escalation: it stands in for the
    # "escalate" rule when the request is cancelled, never for verification or the statement.
    approved_by_case_id: str | None = None
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.outcome not in CLOSED_OUTCOMES

    def open_refusal(self) -> NotAllowed | None:
        """Why nothing more can be done on this request (it is closed), or None."""
        if self.is_open:
            return None
        return NotAllowed(f"request {self.id} is closed ({self.outcome.value}); file a new request")

    def require_open(self) -> None:
        refusal = self.open_refusal()
        if refusal is not None:
            raise refusal

    @property
    def approval_note(self) -> str | None:
        """What Deal Processing's approval means for this request now, for a person to read."""
        if self.approved_by_case_id is None:
            return None
        if not self.is_open:
            return APPROVED
        return APPROVED_WAITING if self.homeowner_evidence_missing() else APPROVED_READY

    def homeowner_evidence_missing(self) -> NotVerified | StatementMissing | None:
        """Step 2: why this request is not yet the verified homeowner's written request."""
        if self.requester_role is not RequesterRole.HOMEOWNER or not self.verified:
            return NotVerified(
                f"request {self.id} is not verified as the homeowner's: confirm a 4-digit code "
                "by phone/chat, or take an email from the address on file"
            )
        if self.statement is None:
            return StatementMissing(
                f"request {self.id} has no written statement from the homeowner: attach their "
                "email, chat transcript or mailed/telegram notice before cancelling"
            )
        return None

    def close(self, outcome: Outcome, detail: str) -> Event:
        self.outcome = outcome
        self.outcome_detail = detail
        return Event(
            EventKind.REQUEST_CLOSED,
            {"request_id": self.id, "outcome": outcome.value, "detail": detail},
        )

    def close_with_reason(
        self,
        reason: CloseReason,
        note: str = "",
        *,
        decision: Decision | None = None,
        duplicate_of: str | None = None,
    ) -> Event:
        """A person ends the request without a cancel; the reason must be true of it now.

        ``decision`` is the table's answer at this moment (required for not eligible, whose
        rule it names); ``duplicate_of`` the request this one repeats.
        """
        self.require_open()
        note = note.strip()
        data: dict[str, str | int | None] = {"reason": reason.value, "note": note}
        match reason:
            case CloseReason.NOT_ELIGIBLE:
                # Only a rule that says stop refuses; rule 5 goes to Deal Processing instead.
                if decision is None or decision.action is not Action.STOP:
                    raise NotAllowed(_not_refusable(decision))
                detail = (
                    f"not eligible (rule {decision.rule_number}: {decision.rule_text}, "
                    f"policy v{decision.policy_version}): {decision.guidance}"
                )
                data |= {
                    "rule_number": decision.rule_number,
                    "policy_version": decision.policy_version,
                }
            case CloseReason.NOT_VERIFIED:
                if self.verified:
                    raise NotAllowed(
                        f"request {self.id} is verified ({self.verification_method}); "
                        "it cannot be closed as not verified"
                    )
                detail = "not verified as the homeowner's request"
            case CloseReason.WITHDRAWN:
                detail = "withdrawn by the homeowner"
            case CloseReason.DUPLICATE:
                if not duplicate_of or duplicate_of == self.id:
                    raise InvalidInput(
                        "say which other request this one duplicates", field="duplicate_of"
                    )
                detail = f"duplicate of {duplicate_of}"
                data["duplicate_of"] = duplicate_of
        event = self.close(reason.outcome, detail + (f" — {note}" if note else ""))
        return Event(event.kind, dict(event.data) | data)

    def escalate(self, case_id: str) -> Event:
        """Rule 5: the request waits on Deal Processing's case (still open for support)."""
        self.require_open()
        self.outcome = Outcome.ESCALATED
        self.outcome_detail = f"escalated to Deal Processing as case {case_id}"
        return Event(EventKind.REQUEST_ESCALATED, {"request_id": self.id, "case_id": case_id})

    def approve(self, case_id: str) -> Event:
        """Deal Processing approved; the request stays open until it is cancelled."""
        self.require_open()
        self.approved_by_case_id = case_id
        return Event(EventKind.REQUEST_APPROVED, {"request_id": self.id, "case_id": case_id})


def _not_refusable(decision: Decision | None) -> str:
    if decision is None:
        return "a not-eligible refusal needs the table's decision for the job"
    if decision.action is Action.ESCALATE_TO_DEAL_PROCESSING:
        return (
            f"rule {decision.rule_number} sends this job to Deal Processing: escalate the "
            "request instead of refusing it"
        )
    return (
        f"the job is eligible now (rule {decision.rule_number}, policy "
        f"v{decision.policy_version}); it cannot be refused as not eligible"
    )


def homeowner_only_refusal(request: CancellationRequest) -> NotAllowed | None:
    """Only the homeowner's own request can be verified (by a code or the address on file)."""
    if request.requester_role is RequesterRole.HOMEOWNER:
        return None
    return NotAllowed(
        f"only the homeowner can be verified; this request came from the "
        f"{request.requester_role.value.replace('_', ' ')}. The homeowner must email support "
        "from the address on file, or call and confirm a code"
    )


def reason_label(reason: CancelReason | None, text: str) -> str:
    """The words a person reads for a reason; 'Other' is only its text."""
    if reason is None:
        return text
    if reason is CancelReason.OTHER:
        return text
    return reason.value.replace("_", " ").capitalize() + (f": {text}" if text else "")


def validate_reason(reason: CancelReason | None, text: str) -> None:
    """Installers must pick a reason, and 'Other' must say what it is."""
    if reason is None:
        raise InvalidInput(
            "pick a cancellation reason: " + ", ".join(r.value for r in CancelReason),
            field="reason",
        )
    if reason is CancelReason.OTHER and not text.strip():
        raise InvalidInput("reason 'other' needs a text saying why", field="reason_text")
