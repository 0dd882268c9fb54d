"""Emails the procedure causes, as data for the outbox; rendering and sending are adapters' work.

Each message is queued in the same transaction as the change that caused it, with its
Message-ID fixed at that moment, so a resend after a crash is recognisably the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from rescind.domain.errors import InvalidInput, NotAllowed
from rescind.domain.events import Event, EventKind, JSONValue
from rescind.domain.job import Job, Language
from rescind.domain.recipients import Recipients


class Mailbox(StrEnum):
    """Which of the company's addresses a message leaves from."""

    HO_OUTBOUND = "ho_outbound"
    SUPPORT = "support"
    NOTIFICATIONS = "notifications"


class EmailKind(StrEnum):
    VERIFICATION_CODE = "verification_code"
    CANCELLATION_NOTICE = "cancellation_notice"
    FINAL_CANCELLATION = "final_cancellation"
    DP_DECISION = "dp_decision"
    WRITTEN_REQUEST_REQUIRED = "written_request_required"
    EXPECT_RESOLUTION = "expect_resolution"
    REQUEST_CLOSED = "request_closed"  # the requester: why the request ended without a cancel
    WORKFLOW_RESTORED = "workflow_restored"  # the signers: the cancellation was withdrawn
    AUDIT_CHECKPOINT = "audit_checkpoint"  # the signed tree head, to compliance
    SELF_SERVICE_LINK = "self_service_link"  # the homeowner: the one-time link to /cancel


SENDER: Mapping[EmailKind, Mailbox] = {
    EmailKind.VERIFICATION_CODE: Mailbox.HO_OUTBOUND,
    EmailKind.CANCELLATION_NOTICE: Mailbox.SUPPORT,
    EmailKind.FINAL_CANCELLATION: Mailbox.NOTIFICATIONS,
    EmailKind.DP_DECISION: Mailbox.SUPPORT,
    EmailKind.WRITTEN_REQUEST_REQUIRED: Mailbox.SUPPORT,
    EmailKind.EXPECT_RESOLUTION: Mailbox.SUPPORT,
    EmailKind.REQUEST_CLOSED: Mailbox.SUPPORT,
    EmailKind.WORKFLOW_RESTORED: Mailbox.SUPPORT,
    EmailKind.AUDIT_CHECKPOINT: Mailbox.NOTIFICATIONS,
    EmailKind.SELF_SERVICE_LINK: Mailbox.HO_OUTBOUND,
}


@dataclass(frozen=True)
class OutgoingEmail:
    kind: EmailKind
    recipients: Recipients
    job_id: str | None
    context: Mapping[str, JSONValue] = field(default_factory=dict)
    # Context keys to blank once the message is sent (the plaintext code must not linger).
    secret_keys: tuple[str, ...] = ()

    @property
    def sender(self) -> Mailbox:
        return SENDER[self.kind]


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class QueuedEmail:
    """An outbox row as people and senders see it."""

    message_id: str
    kind: EmailKind
    sender: Mailbox
    recipients: Recipients
    job_id: str | None
    context: Mapping[str, JSONValue]
    status: DeliveryStatus
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    last_error: str


def homeowner_language(job: Job) -> dict[str, JSONValue]:
    """The context entry that writes a message to the homeowner in their language; none for
    English (the default), so an English message's row is as it always was."""
    return {} if job.language is Language.EN else {"language": job.language.value}


FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s after the first failed attempt, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(delay, LONGEST_RETRY)


def resend_failed(email: QueuedEmail) -> tuple[Recipients, Event]:
    """A failed email, queued again as it is: its recipients and the event saying so."""
    _require_failed(email)
    return email.recipients, Event(
        EventKind.EMAIL_RESENT,
        {"message_id": email.message_id, "kind": email.kind.value, "to": list(email.recipients.to)},
    )


def readdress_failed(email: QueuedEmail, old: str, new: str) -> tuple[Recipients, Event]:
    """One address of this message replaced by a fixed one (``new`` comes in validated).

    Only the message changes: the address on file stays as it is, since it is what
    verification compares senders with, and only the job's data says whose address it is.
    """
    _require_failed(email)
    if old not in (*email.recipients.to, *email.recipients.cc):
        raise InvalidInput(
            f"{old!r} is not an address of this email; pick one of its recipients", field="old"
        )
    if new.casefold() == old.casefold():
        raise InvalidInput("the fixed address is the same as the one that failed", field="new")

    def swap(addresses: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if a == old else a for a in addresses)

    recipients = Recipients(to=swap(email.recipients.to), cc=swap(email.recipients.cc))
    return recipients, Event(
        EventKind.EMAIL_READDRESSED,
        {
            "message_id": email.message_id,
            "kind": email.kind.value,
            "from": old,
            "to": new,
        },
    )


def _require_failed(email: QueuedEmail) -> None:
    if email.status is not DeliveryStatus.FAILED:
        raise NotAllowed(
            f"email {email.message_id} is {email.status.value}; only a failed one is sent again"
        )
