"""The webhook outbox in memory, for ``tests/fakes.py``'s unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from rescind.domain.access import JobScope
from rescind.domain.errors import Conflict, NotFound
from rescind.domain.webhooks import (
    DueDelivery,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_number: int
    endpoint_id: str
    created_at: datetime
    status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str = ""
    delivered_at: datetime | None = None


class FakeWebhookRepository:
    """Rows are replaced, never changed in place (the fake unit of work diffs by identity)."""

    def __init__(
        self,
        events: dict[int, WebhookEvent],
        endpoints: dict[str, WebhookEndpoint],
        deliveries: dict[int, DeliveryRow],
        jobs: dict[str, Any],
    ) -> None:
        self._events = events
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._jobs = jobs

    def add_events(self, events: Sequence[WebhookEvent]) -> None:
        for event in events:
            number = max(self._events, default=0) + 1
            self._events[number] = event
            for endpoint in self._endpoints.values():
                if endpoint.wants(event.type):
                    n = max(self._deliveries, default=0) + 1
                    self._deliveries[n] = DeliveryRow(
                        n, number, endpoint.id, event.occurred_at, next_attempt_at=event.occurred_at
                    )

    def events_after(
        self, after: int | None, limit: int, scope: JobScope
    ) -> list[tuple[int, WebhookEvent]]:
        def visible(event: WebhookEvent) -> bool:
            if scope.every_job:
                return True
            job = self._jobs.get(event.job_id or "")
            return job is not None and scope.covers(job)

        rows = sorted(
            (n, e) for n, e in self._events.items() if (after is None or n > after) and visible(e)
        )
        return rows[:limit]

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._endpoints[endpoint.id] = replace(endpoint)

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        found = self._endpoints.get(endpoint_id)
        if found is None:
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}; check the id")
        return replace(found)

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]:
        return [replace(e) for e in self._endpoints.values() if e.active or not active_only]

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        stored = self._endpoints[endpoint.id]
        if stored.version != endpoint.version:
            raise Conflict(f"webhook endpoint {endpoint.id} was changed by someone else")
        endpoint.version += 1
        self._endpoints[endpoint.id] = replace(endpoint)

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[DueDelivery]:
        due = sorted(
            (
                r
                for r in self._deliveries.values()
                if r.status is WebhookDeliveryStatus.PENDING
                and (r.next_attempt_at or r.created_at) <= now
                and self._endpoints[r.endpoint_id].active
            ),
            key=lambda r: (r.next_attempt_at or r.created_at, r.id),
        )[:limit]
        leased = []
        for row in due:
            new = replace(row, next_attempt_at=now + lease, attempts=row.attempts + 1)
            self._deliveries[row.id] = new
            endpoint = self._endpoints[row.endpoint_id]
            leased.append(
                DueDelivery(
                    row.id,
                    new.attempts,
                    self._events[row.event_number],
                    endpoint.url,
                    endpoint.secrets_at(now),
                )
            )
        return leased

    def mark_delivered(self, delivery_id: int, at: datetime, status_code: int) -> None:
        row = self._deliveries[delivery_id]
        if row.status is WebhookDeliveryStatus.DELIVERED:
            return
        self._deliveries[delivery_id] = replace(
            row,
            status=WebhookDeliveryStatus.DELIVERED,
            delivered_at=at,
            last_status_code=status_code,
            last_error="",
        )

    def mark_attempt_failed(
        self,
        delivery_id: int,
        at: datetime,
        error: str,
        status_code: int | None,
        *,
        retry_at: datetime | None,
    ) -> None:
        row = self._deliveries[delivery_id]
        if row.status is WebhookDeliveryStatus.DELIVERED:
            return
        self._deliveries[delivery_id] = replace(
            row,
            status=WebhookDeliveryStatus.FAILED
            if retry_at is None
            else WebhookDeliveryStatus.PENDING,
            next_attempt_at=at if retry_at is None else retry_at,
            last_error=error,
            last_status_code=status_code,
        )

    def delivery(self, delivery_id: int) -> WebhookDelivery:
        row = self._deliveries.get(delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery with id {delivery_id}; check the id")
        return self._delivery(row)

    def deliveries(
        self,
        *,
        endpoint_id: str | None = None,
        status: WebhookDeliveryStatus | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        rows = sorted(self._deliveries.values(), key=lambda r: -r.id)
        return [
            self._delivery(r)
            for r in rows
            if (endpoint_id is None or r.endpoint_id == endpoint_id)
            and (status is None or r.status is status)
        ][:limit]

    def requeue(self, delivery_id: int, now: datetime) -> None:
        row = self._deliveries[delivery_id]
        self._deliveries[delivery_id] = replace(
            row, status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=now
        )

    def _delivery(self, row: DeliveryRow) -> WebhookDelivery:
        event = self._events[row.event_number]
        return WebhookDelivery(
            id=row.id,
            event_id=event.id,
            event_type=event.type,
            endpoint_id=row.endpoint_id,
            url=self._endpoints[row.endpoint_id].url,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at or row.created_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )
