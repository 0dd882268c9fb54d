"""The event outbox and its deliveries, in the caller's transaction; delivered after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, literal, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_rows
from rescind.adapters.db.repositories.scope import of_jobs_within
from rescind.adapters.db.repositories.versioning import chunks
from rescind.adapters.db.tables import EventRow, WebhookDeliveryRow, WebhookEndpointRow
from rescind.domain.access import JobScope
from rescind.domain.errors import Conflict, NotFound
from rescind.domain.webhooks import (
    DueDelivery,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookType,
)


class SqlWebhookRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- events ---------------------------------------------------------------------------

    def add_events(self, events: Sequence[WebhookEvent]) -> None:
        if not events:
            return
        insert_rows(
            self._session,
            cast(Table, EventRow.__table__),
            [
                {
                    "public_id": e.id,
                    "type": e.type.value,
                    "occurred_at": e.occurred_at,
                    "job_id": e.job_id,
                    "data": dict(e.data),
                }
                for e in events
            ],
        )
        at = events[0].occurred_at
        public_ids = [e.id for e in events]
        types = {e.type for e in events}
        for endpoint in self.endpoints():
            wanted = [t.value for t in endpoint.event_types if t in types]
            if not wanted:
                continue
            # One INSERT … SELECT per endpoint: the sweep reports thousands of jobs at once.
            for chunk in chunks(public_ids):
                self._session.execute(
                    insert(WebhookDeliveryRow).from_select(
                        [
                            "event_id",
                            "endpoint_id",
                            "status",
                            "attempts",
                            "next_attempt_at",
                            "last_error",
                            "created_at",
                        ],
                        select(
                            EventRow.id,
                            literal(endpoint.id),
                            literal(WebhookDeliveryStatus.PENDING.value),
                            literal(0),
                            literal(at, EventRow.occurred_at.type),
                            literal(""),
                            literal(at, EventRow.occurred_at.type),
                        ).where(EventRow.public_id.in_(chunk), EventRow.type.in_(wanted)),
                    )
                )

    def events_after(
        self, after: int | None, limit: int, scope: JobScope
    ) -> list[tuple[int, WebhookEvent]]:
        statement = (
            select(EventRow)
            .where(of_jobs_within(EventRow.job_id, scope))
            .order_by(EventRow.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(EventRow.id > after)
        return [(row.id, _event(row)) for row in self._session.scalars(statement)]

    # --- endpoints ------------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._session.add(WebhookEndpointRow(**_endpoint_values(endpoint), version=1))
        self._session.flush()

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        row = self._session.get(WebhookEndpointRow, endpoint_id, populate_existing=True)
        if row is None:
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}; check the id")
        return _endpoint(row)

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]:
        statement = select(WebhookEndpointRow).order_by(WebhookEndpointRow.created_at)
        if active_only:
            statement = statement.where(WebhookEndpointRow.active.is_(True))
        return [_endpoint(row) for row in self._session.scalars(statement)]

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        table = cast(Table, WebhookEndpointRow.__table__)
        result = self._session.execute(
            update(table)
            .where(table.c.id == endpoint.id, table.c.version == endpoint.version)
            .values(**_endpoint_values(endpoint), version=table.c.version + 1)
        )
        if cast(Any, result).rowcount != 1:
            raise Conflict(
                f"webhook endpoint {endpoint.id} was changed by someone else just now; retry"
            )
        endpoint.version += 1

    # --- deliveries -----------------------------------------------------------------------

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[DueDelivery]:
        due = (
            select(WebhookDeliveryRow.id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(
                WebhookDeliveryRow.status == WebhookDeliveryStatus.PENDING.value,
                WebhookDeliveryRow.next_attempt_at <= now,
                WebhookEndpointRow.active.is_(True),
            )
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # Step over rows another worker holds; SQLite serialises writers already.
            due = due.with_for_update(of=WebhookDeliveryRow, skip_locked=True)
        ids = list(self._session.scalars(due))
        if not ids:
            return []
        # The conditional UPDATE is the claim: a row another worker leased since our read no
        # longer matches (its next attempt moved past now), so it is not taken twice.
        claimed = self._session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id.in_(ids),
                WebhookDeliveryRow.status == WebhookDeliveryStatus.PENDING.value,
                WebhookDeliveryRow.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease, attempts=WebhookDeliveryRow.attempts + 1)
            .returning(WebhookDeliveryRow.id)
            .execution_options(synchronize_session=False)
        )
        taken = [row[0] for row in claimed]
        rows = self._session.execute(
            select(WebhookDeliveryRow, EventRow, WebhookEndpointRow)
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(WebhookDeliveryRow.id.in_(taken))
            .order_by(WebhookDeliveryRow.id)
            .execution_options(populate_existing=True)
        ).all()
        return [
            DueDelivery(
                delivery_id=d.id,
                attempts=d.attempts,
                event=_event(e),
                url=p.url,
                secrets=_endpoint(p).secrets_at(now),
            )
            for d, e, p in rows
        ]

    def mark_delivered(self, delivery_id: int, at: datetime, status_code: int) -> None:
        row = self._delivery_row(delivery_id)
        if row.status == WebhookDeliveryStatus.DELIVERED.value:
            return  # a second attempt after a lost lease: the first record stands
        row.status = WebhookDeliveryStatus.DELIVERED.value
        row.delivered_at = at
        row.last_status_code = status_code
        row.last_error = ""

    def mark_attempt_failed(
        self,
        delivery_id: int,
        at: datetime,
        error: str,
        status_code: int | None,
        *,
        retry_at: datetime | None,
    ) -> None:
        row = self._delivery_row(delivery_id)
        if row.status == WebhookDeliveryStatus.DELIVERED.value:
            return
        row.last_error = error[:2000]
        row.last_status_code = status_code
        if retry_at is None:
            row.status = WebhookDeliveryStatus.FAILED.value
            row.next_attempt_at = at
        else:
            row.next_attempt_at = retry_at

    def delivery(self, delivery_id: int) -> WebhookDelivery:
        found = self._listing().where(WebhookDeliveryRow.id == delivery_id)
        rows = self._session.execute(found).all()
        if not rows:
            raise NotFound(f"no webhook delivery with id {delivery_id}; check the id")
        return _delivery(*rows[0])

    def deliveries(
        self,
        *,
        endpoint_id: str | None = None,
        status: WebhookDeliveryStatus | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        statement = self._listing().order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        if endpoint_id is not None:
            statement = statement.where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        if status is not None:
            statement = statement.where(WebhookDeliveryRow.status == status.value)
        return [_delivery(*row) for row in self._session.execute(statement).all()]

    def requeue(self, delivery_id: int, now: datetime) -> None:
        row = self._delivery_row(delivery_id)
        row.status = WebhookDeliveryStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = now

    def _listing(self) -> Any:
        return (
            select(WebhookDeliveryRow, EventRow.public_id, EventRow.type, WebhookEndpointRow.url)
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .execution_options(populate_existing=True)
        )

    def _delivery_row(self, delivery_id: int) -> WebhookDeliveryRow:
        row = self._session.get(WebhookDeliveryRow, delivery_id, populate_existing=True)
        if row is None:
            raise NotFound(f"no webhook delivery with id {delivery_id}; check the id")
        return row


def _event(row: EventRow) -> WebhookEvent:
    return WebhookEvent(
        id=row.public_id,
        type=WebhookType(row.type),
        occurred_at=row.occurred_at,
        job_id=row.job_id,
        data=dict(row.data),
    )


def _endpoint_values(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": [t.value for t in endpoint.event_types],
        "secret": endpoint.secret,
        "previous_secret": endpoint.previous_secret,
        "previous_secret_until": endpoint.previous_secret_until,
        "active": endpoint.active,
        "description": endpoint.description,
        "created_at": endpoint.created_at,
    }


def _endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        url=row.url,
        event_types=tuple(WebhookType(t) for t in row.event_types),
        secret=row.secret,
        created_at=row.created_at,
        previous_secret=row.previous_secret,
        previous_secret_until=row.previous_secret_until,
        active=row.active,
        description=row.description,
        version=row.version,
    )


def _delivery(row: WebhookDeliveryRow, public_id: str, type_: str, url: str) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        event_id=public_id,
        event_type=WebhookType(type_),
        endpoint_id=row.endpoint_id,
        url=url,
        status=WebhookDeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )
