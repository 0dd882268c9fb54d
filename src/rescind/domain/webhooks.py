"""Events for the company's other systems: which audit events become webhooks, and their retries.

The audit trail says everything that happened; integrations want a few business facts. One
mapping (``webhook_type``) picks them out of the recorded audit events, so a new door to an
old change (a console button, a CLI command) emits the same webhook without knowing about it.

Delivery follows the Standard Webhooks specification: the event's public id is the
``webhook-id`` of every attempt (a receiver de-duplicates on it), attempts back off from 30 s,
doubling, to at most 6 h, and the eighth failed attempt is the last.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from rescind.domain.errors import AddressRefused, InvalidInput, NotAllowed
from rescind.domain.events import Event, EventKind, JSONValue, iso


class WebhookType(StrEnum):
    REQUEST_FILED = "request.filed"
    REQUEST_VERIFIED = "request.verified"
    REQUEST_REFUSED = "request.refused"
    WORKFLOW_CANCEL_PENDING = "workflow.cancel_pending"
    WORKFLOW_RESTORED = "workflow.restored"
    WORKFLOW_CANCELLED = "workflow.cancelled"
    CASE_OPENED = "case.opened"
    CASE_APPROVED = "case.approved"
    CASE_DENIED = "case.denied"
    EMAIL_FAILED = "email.failed"


_BY_KIND: Mapping[EventKind, WebhookType] = {
    EventKind.REQUEST_FILED: WebhookType.REQUEST_FILED,
    EventKind.REQUEST_VERIFIED: WebhookType.REQUEST_VERIFIED,
    EventKind.WORKFLOW_CANCEL_PENDING: WebhookType.WORKFLOW_CANCEL_PENDING,
    EventKind.WORKFLOW_RESTORED: WebhookType.WORKFLOW_RESTORED,
    EventKind.WORKFLOW_CANCELLED: WebhookType.WORKFLOW_CANCELLED,
    EventKind.CASE_OPENED: WebhookType.CASE_OPENED,
    EventKind.CASE_APPROVED: WebhookType.CASE_APPROVED,
    EventKind.CASE_DENIED: WebhookType.CASE_DENIED,
    EventKind.EMAIL_FAILED: WebhookType.EMAIL_FAILED,
}

# A request closed with one of these was refused; the others closed as the cancel it asked
# for, or without a refusal (withdrawn by the homeowner, a duplicate of another request).
REFUSED_OUTCOMES = frozenset({"not_eligible", "not_verified", "denied", "written_request_required"})


def webhook_type(event: Event) -> WebhookType | None:
    """The webhook an audit event is, or None when integrations are not told of it."""
    if event.kind is EventKind.REQUEST_CLOSED:
        refused = event.data.get("outcome") in REFUSED_OUTCOMES
        return WebhookType.REQUEST_REFUSED if refused else None
    return _BY_KIND.get(event.kind)


@dataclass(frozen=True)
class WebhookEvent:
    """One event as integrations see it; ``id`` (``evt_…``) is its ``webhook-id``."""

    id: str
    type: WebhookType
    occurred_at: datetime
    job_id: str | None
    data: Mapping[str, JSONValue]

    def payload(self) -> dict[str, JSONValue]:
        """The body Standard Webhooks suggests: type, timestamp, data (and our id)."""
        return {
            "id": self.id,
            "type": self.type.value,
            "timestamp": iso(self.occurred_at),
            "data": {"job_id": self.job_id, **self.data},
        }


def derive(
    new_id: str, job_id: str | None, occurred_at: datetime, event: Event
) -> WebhookEvent | None:
    kind = webhook_type(event)
    if kind is None:
        return None
    return WebhookEvent(new_id, kind, occurred_at, job_id, dict(event.data))


# --- delivery ---------------------------------------------------------------------------------

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 8
# A receiver's answer is read for so long; a slow one is retried later like a failed one.
TIMEOUT_SECONDS = 10.0
# While a rotated-out secret still signs (both signatures go in `webhook-signature`).
ROTATION_OVERLAP = timedelta(hours=24)


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most 6 h."""
    delay: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(delay, LONGEST_RETRY)


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (or leased to a worker until then)
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up; an admin may retry it


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    event_id: str
    event_type: WebhookType
    endpoint_id: str
    url: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DueDelivery:
    """A leased delivery with what its attempt needs: the event and the signing secrets."""

    delivery_id: int
    attempts: int  # counting the attempt now being made
    event: WebhookEvent
    url: str
    secrets: tuple[str, ...]


# --- endpoints --------------------------------------------------------------------------------


# The one rule for an endpoint's URL; the API's schema declares this same pattern.
URL_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#@:\s\[\]\x00]+(?::[0-9]{1,5})?(?:[/?#][^\x00]*)?$"


def check_url(url: str) -> str:
    if re.search(URL_PATTERN, url) is None:  # as a JSON Schema validator reads a pattern
        raise InvalidInput("give an http:// or https:// URL with a host", field="url")
    if len(url) > 2000:
        raise InvalidInput("the URL is longer than 2000 characters", field="url")
    return url.strip()


def check_types(types: Collection[str]) -> tuple[WebhookType, ...]:
    known = {t.value for t in WebhookType}
    unknown = sorted(set(types) - known)
    if unknown or not types:
        raise InvalidInput(
            f"unknown event type {', '.join(unknown)}: pick from {', '.join(sorted(known))}"
            if unknown
            else f"pick at least one event type: {', '.join(sorted(known))}",
            field="event_types",
        )
    return tuple(t for t in WebhookType if t.value in set(types))


def url_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def internal_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not the internet.

    An IPv4 address inside IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 one it is.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def refuse_internal(url: str, addresses: Collection[str]) -> None:
    """``AddressRefused`` when the URL's host resolves to any internal address: a webhook
    must not let an admin's URL (or a DNS answer changed later) reach the company's network."""
    internal = sorted(a for a in addresses if internal_address(a))
    if internal:
        raise AddressRefused(
            f"{url_host(url)} resolves to {', '.join(internal)}, an internal address "
            "(loopback, private, link-local, multicast or reserved); give a public URL "
            "(RESCIND_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true allows them, for local tests only)",
            field="url",
        )


@dataclass
class WebhookEndpoint:
    id: str
    url: str
    event_types: tuple[WebhookType, ...]
    secret: str
    created_at: datetime
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    active: bool = True
    description: str = ""
    version: int = field(default=1, compare=False)

    def added(self) -> Event:
        return Event(
            EventKind.WEBHOOK_ENDPOINT_ADDED,
            {"endpoint_id": self.id, "url": self.url, "event_types": self._type_names()},
        )

    def rotate(self, new_secret: str, now: datetime) -> Event:
        """The old secret keeps signing alongside the new one for ``ROTATION_OVERLAP``."""
        self._require_active()
        self.previous_secret, self.secret = self.secret, new_secret
        self.previous_secret_until = now + ROTATION_OVERLAP
        return Event(
            EventKind.WEBHOOK_SECRET_ROTATED,
            {"endpoint_id": self.id, "previous_valid_until": iso(self.previous_secret_until)},
        )

    def remove(self) -> Event:
        """No new deliveries; those queued are dropped by the worker, the history stays."""
        self._require_active()
        self.active = False
        return Event(EventKind.WEBHOOK_ENDPOINT_REMOVED, {"endpoint_id": self.id})

    def secrets_at(self, now: datetime) -> tuple[str, ...]:
        """What signs a delivery made at ``now``: the secret, and the previous one in overlap."""
        until = self.previous_secret_until
        if self.previous_secret and until is not None and now < until:
            return (self.secret, self.previous_secret)
        return (self.secret,)

    def wants(self, kind: WebhookType) -> bool:
        return self.active and kind in self.event_types

    def _type_names(self) -> list[JSONValue]:
        return [t.value for t in self.event_types]

    def _require_active(self) -> None:
        if not self.active:
            raise NotAllowed(f"webhook endpoint {self.id} was removed; add a new one")
