"""Queues outgoing email as rows in the caller's transaction; a sender delivers after commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Select, Table, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_one, insert_rows
from rescind.adapters.db.mapping import OUTGOING, QUEUED
from rescind.adapters.db.tables import OutboxMessageRow
from rescind.domain.email import DeliveryStatus, OutgoingEmail, QueuedEmail
from rescind.domain.errors import NotFound
from rescind.domain.recipients import Recipients

# RFC 2606 reserves .invalid, so these ids can never collide with a real domain's.
DEFAULT_MESSAGE_ID_DOMAIN = "rescind.invalid"


class SqlOutbox:
    def __init__(self, session: Session, *, domain: str = DEFAULT_MESSAGE_ID_DOMAIN) -> None:
        self._session = session
        self._domain = domain

    def add(self, email: OutgoingEmail, *, queued_at: datetime) -> str:
        message_id = self._new_message_id()
        insert_one(
            self._session,
            cast(Table, OutboxMessageRow.__table__),
            _values(message_id, email, queued_at),
        )
        return message_id

    def add_many(self, emails: Sequence[OutgoingEmail], *, queued_at: datetime) -> list[str]:
        """``add`` for a batch, in one statement (the sweep queues one per finalized job)."""
        message_ids = [self._new_message_id() for _ in emails]
        insert_rows(
            self._session,
            cast(Table, OutboxMessageRow.__table__),
            [_values(m, e, queued_at) for m, e in zip(message_ids, emails, strict=True)],
        )
        return message_ids

    def _new_message_id(self) -> str:
        return f"<{uuid.uuid4().hex}@{self._domain}>"

    def get(self, message_id: str) -> QueuedEmail:
        row = self._session.execute(
            _select().where(OutboxMessageRow.message_id == message_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no queued email with Message-ID {message_id!r}")
        return _queued(row)

    def for_job(self, job_id: str) -> list[QueuedEmail]:
        rows = self._session.execute(
            _select().where(OutboxMessageRow.job_id == job_id).order_by(OutboxMessageRow.id)
        )
        return [_queued(row) for row in rows]

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[QueuedEmail]:
        due = (
            select(OutboxMessageRow.id)
            .where(
                OutboxMessageRow.status == DeliveryStatus.QUEUED.value,
                OutboxMessageRow.next_attempt_at <= now,
            )
            .order_by(OutboxMessageRow.next_attempt_at, OutboxMessageRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # Step over rows another worker holds; SQLite serialises writers already.
            due = due.with_for_update(skip_locked=True)
        ids = list(self._session.scalars(due))
        if not ids:
            return []
        self._session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id.in_(ids))
            .values(next_attempt_at=now + lease, attempts=OutboxMessageRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        rows = self._session.execute(
            _select().where(OutboxMessageRow.id.in_(ids)).order_by(OutboxMessageRow.id)
        )
        return [_queued(row) for row in rows]

    def mark_sent(self, message_id: str, at: datetime, *, note: str = "") -> None:
        row = self._row(message_id)
        if row.status == DeliveryStatus.SENT.value:
            return  # a resend after a lost lease: the first record stands
        row.status = DeliveryStatus.SENT.value
        row.sent_at = at
        row.last_error = note
        if row.secret_keys:
            row.context = {k: ("" if k in row.secret_keys else v) for k, v in row.context.items()}

    def mark_attempt_failed(
        self, message_id: str, at: datetime, error: str, *, retry_at: datetime | None
    ) -> None:
        row = self._row(message_id)
        if row.status == DeliveryStatus.SENT.value:
            return
        row.last_error = error[:2000]
        if retry_at is None:
            row.status = DeliveryStatus.FAILED.value
            row.next_attempt_at = at
        else:
            row.next_attempt_at = retry_at

    def requeue(self, message_id: str, now: datetime, recipients: Recipients) -> None:
        row = self._row(message_id)
        row.status = DeliveryStatus.QUEUED.value
        row.attempts = 0
        row.next_attempt_at = now
        row.to_addrs = list(recipients.to)
        row.cc_addrs = list(recipients.cc)

    def _row(self, message_id: str) -> OutboxMessageRow:
        row = self._session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.message_id == message_id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no queued email with Message-ID {message_id!r}")
        return row

    def list(
        self, *, status: DeliveryStatus | None = None, limit: int = 50, after: int | None = None
    ) -> list[tuple[int, QueuedEmail]]:
        statement = _select().order_by(OutboxMessageRow.id).limit(limit)
        if status is not None:
            statement = statement.where(OutboxMessageRow.status == status.value)
        if after is not None:
            statement = statement.where(OutboxMessageRow.id > after)
        return [(row.id, _queued(row)) for row in self._session.execute(statement)]


def _select() -> Select[Any]:
    return select(*QUEUED.selected)


def _values(message_id: str, email: OutgoingEmail, queued_at: datetime) -> dict[str, Any]:
    """A new message's row: queued, due at once, never tried."""
    return OUTGOING.row(
        email,
        message_id=message_id,
        sender=email.sender.value,
        status=DeliveryStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=queued_at,
        queued_at=queued_at,
        sent_at=None,
        last_error="",
    )


def _queued(row: Row[Any]) -> QueuedEmail:
    return QUEUED.load(row, recipients=Recipients(to=tuple(row.to_addrs), cc=tuple(row.cc_addrs)))
