"""What happened, as data: domain steps return events; services seal them into the audit trail.

An event is a kind plus JSON-ready data. Keeping them untyped at this boundary lets the audit
trail store and hash them without a class per row, while ``EventKind`` keeps the names stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None


class EventKind(StrEnum):
    ELIGIBILITY_DECIDED = "eligibility_decided"
    REQUEST_FILED = "request_filed"
    STATEMENT_ATTACHED = "statement_attached"
    VERIFICATION_CODE_SENT = "verification_code_sent"
    VERIFICATION_CODE_REJECTED = "verification_code_rejected"
    REQUEST_VERIFIED = "request_verified"
    REQUEST_ESCALATED = "request_escalated"
    REQUEST_APPROVED = "request_approved"
    REQUEST_CLOSED = "request_closed"
    REVIEW_ITEMS_REJECTED = "review_items_rejected"
    REVIEW_SUBMITTED = "review_submitted"
    WORKFLOW_CANCEL_PENDING = "workflow_cancel_pending"
    WORKFLOW_ALREADY_PENDING = "workflow_already_pending"
    WORKFLOW_RESTORED = "workflow_restored"
    WORKFLOW_CANCELLED = "workflow_cancelled"
    WINDOW_RECOMPUTED = "window_recomputed"
    FEED_COMMENTED = "feed_commented"
    EMAIL_QUEUED = "email_queued"
    EMAIL_FAILED = "email_failed"
    EMAIL_RESENT = "email_resent"  # a failed email queued again as it was
    EMAIL_READDRESSED = "email_readdressed"  # one address of a failed email fixed, queued again
    CASE_CLOSED = "case_closed"  # its request ended without a decision
    INBOUND_ATTACHED = "inbound_attached"
    INBOUND_DISMISSED = "inbound_dismissed"
    CASE_OPENED = "case_opened"
    CASE_REASSIGNED = "case_reassigned"
    CASE_ASSIGNED = "case_assigned"
    CASE_APPROVED = "case_approved"
    CASE_DENIED = "case_denied"
    JOB_IMPORTED = "job_imported"
    POLICY_PUBLISHED = "policy_published"
    HOLIDAY_ADDED = "holiday_added"
    HOLIDAY_REMOVED = "holiday_removed"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    TOKENS_REVOKED = "tokens_revoked"
    PASSWORD_SET = "password_set"  # noqa: S105 - an event name
    PASSWORD_RESET_FORCED = "password_reset_forced"  # noqa: S105 - an event name
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    WEBHOOK_ENDPOINT_ADDED = "webhook_endpoint_added"
    WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated"  # noqa: S105 - an event name
    WEBHOOK_ENDPOINT_REMOVED = "webhook_endpoint_removed"
    WEBHOOK_DELIVERY_RETRIED = "webhook_delivery_retried"
    SELF_SERVICE_LINK_SENT = "self_service_link_sent"
    SELF_SERVICE_LINK_OPENED = "self_service_link_opened"
    SELF_SERVICE_LINK_REFUSED = "self_service_link_refused"
    SELF_SERVICE_LANGUAGE_CHOSEN = "self_service_language_chosen"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    data: Mapping[str, JSONValue] = field(default_factory=dict)


def iso(value: datetime | date | None) -> str | None:
    """Events carry moments as ISO text so that their hash survives a database round trip."""
    return None if value is None else value.isoformat()
