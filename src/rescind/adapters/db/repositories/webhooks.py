"""The event outbox and its deliveries, in the caller's transaction; delivered after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, insert, literal, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_rows
from rescind.adapters.db.mapping import DELIVERY, ENDPOINT, EVENT
from rescind.adapters.db.repositories.by_version import (
    Kept,
    cached,
    changed,
    endpoints_version,
)
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
            [EVENT.row(e) for e in events],
        )
        at = events[0].occurred_at
        public_ids = [e.id for e in events]
        types = {e.type for e in events}
        for endpoint_id, event_types in cached(self._session, Kept.ENDPOINTS, self._subscribed):
            wanted = [t.value for t in event_types if t in types]
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
                            literal(endpoint_id),
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
            select(*EVENT.selected)
            .where(of_jobs_within(EventRow.job_id, scope))
            .order_by(EventRow.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(EventRow.id > after)
        return [(row.id, EVENT.load(row)) for row in self._session.execute(statement)]

    def _subscribed(
        self,
    ) -> tuple[tuple[int, int], tuple[tuple[str, tuple[WebhookType, ...]], ...]]:
        """The active endpoints' ids and event types, and the version of all endpoints."""
        every = self.endpoints(active_only=False)
        version = endpoints_version(len(every), sum(e.version for e in every))
        return version, tuple((e.id, e.event_types) for e in every if e.active)

    # --- endpoints ------------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        changed(self._session)
        self._session.add(WebhookEndpointRow(**{**ENDPOINT.row(endpoint), "version": 1}))
        self._session.flush()

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        row = self._session.execute(
            select(*ENDPOINT.selected).where(WebhookEndpointRow.id == endpoint_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no webhook endpoint with id {endpoint_id!r}; check the id")
        return ENDPOINT.load(row)

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]:
        statement = select(*ENDPOINT.selected).order_by(WebhookEndpointRow.created_at)
        if active_only:
            statement = statement.where(WebhookEndpointRow.active.is_(True))
        return [ENDPOINT.load(row) for row in self._session.execute(statement)]

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        changed(self._session)
        table = cast(Table, WebhookEndpointRow.__table__)
        result = self._session.execute(
            update(table)
            .where(table.c.id == endpoint.id, table.c.version == endpoint.version)
            .values(**ENDPOINT.values(endpoint), version=table.c.version + 1)
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
            select(WebhookDeliveryRow.id, WebhookDeliveryRow.attempts, *EVENT.selected)
            .add_columns(*ENDPOINT.labelled("endpoint__"))
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(WebhookDeliveryRow.id.in_(taken))
            .order_by(WebhookDeliveryRow.id)
        ).all()
        endpoint_at = 2 + len(EVENT.selected)
        found = []
        for row in rows:
            endpoint = ENDPOINT.load(row, endpoint_at)
            found.append(
                DueDelivery(
                    delivery_id=row[0],
                    attempts=row[1],
                    event=EVENT.load(row, 2),
                    url=endpoint.url,
                    secrets=endpoint.secrets_at(now),
                )
            )
        return found

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
        return _delivery(rows[0])

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
        return [_delivery(row) for row in self._session.execute(statement).all()]

    def requeue(self, delivery_id: int, now: datetime) -> None:
        row = self._delivery_row(delivery_id)
        row.status = WebhookDeliveryStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = now

    def _listing(self) -> Any:
        return (
            select(*DELIVERY.selected, EventRow.public_id, EventRow.type, WebhookEndpointRow.url)
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
        )

    def _delivery_row(self, delivery_id: int) -> WebhookDeliveryRow:
        row = self._session.get(WebhookDeliveryRow, delivery_id, populate_existing=True)
        if row is None:
            raise NotFound(f"no webhook delivery with id {delivery_id}; check the id")
        return row


# Where the event's public id, its type and the endpoint's url stand in a ``_listing()`` row.
_LISTED_AT = len(DELIVERY.selected)


def _delivery(row: Row[Any]) -> WebhookDelivery:
    public_id, type_, url = row[_LISTED_AT : _LISTED_AT + 3]
    return DELIVERY.load(row, event_id=public_id, event_type=WebhookType(type_), url=url)
