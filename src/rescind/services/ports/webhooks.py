"""Webhook endpoints, their deliveries, and the guard against internal addresses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from rescind.domain.access import JobScope
from rescind.domain.webhooks import (
    DueDelivery,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)


class WebhookGuard(Protocol):
    def check(self, url: str) -> None:
        """``AddressRefused`` when ``url``'s host resolves to an internal address."""
        ...


class WebhookRepository(Protocol):
    """The event outbox, the endpoints subscribed to it, and one delivery per (event, endpoint)."""

    def add_events(self, events: Sequence[WebhookEvent]) -> None:
        """Store events, and a pending delivery of each to every active endpoint wanting it."""
        ...

    def events_after(
        self, after: int | None, limit: int, scope: JobScope
    ) -> list[tuple[int, WebhookEvent]]:
        """Events with their row number (the cursor), oldest first, narrowed to ``scope``."""
        ...

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        """The endpoint, or ``NotFound``."""
        ...

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]: ...

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Write back a changed endpoint if nobody else did first (else ``Conflict``)."""
        ...

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[DueDelivery]:
        """Lease pending deliveries due by ``now`` (to active endpoints): their next attempt
        moves to ``now + lease`` and their attempt count goes up, so other workers skip them
        (on PostgreSQL rows another transaction holds are skipped too). Oldest due first."""
        ...

    def mark_delivered(self, delivery_id: int, at: datetime, status_code: int) -> None: ...

    def mark_attempt_failed(
        self,
        delivery_id: int,
        at: datetime,
        error: str,
        status_code: int | None,
        *,
        retry_at: datetime | None,
    ) -> None:
        """Note the error; due again at ``retry_at``, or failed for good when None."""
        ...

    def delivery(self, delivery_id: int) -> WebhookDelivery:
        """A delivery, or ``NotFound``."""
        ...

    def deliveries(
        self,
        *,
        endpoint_id: str | None = None,
        status: WebhookDeliveryStatus | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        """Deliveries, newest first."""
        ...

    def requeue(self, delivery_id: int, now: datetime) -> None:
        """Pending again, due now, with a fresh count of attempts."""
        ...
