"""Idempotency keys: the first attempt reserves its key, retries get its stored answer.

``reserve`` is one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (both databases speak it): of two
concurrent reservers on PostgreSQL the second waits on the first's uncommitted row, then
inserts nothing and reads the row; on SQLite ``BEGIN IMMEDIATE`` already puts them in line.
No savepoint, no error to catch, and the transaction stays clean either way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import ENTRY, RESPONSE
from rescind.adapters.db.tables import IdempotencyRecordRow
from rescind.services.ports import IdempotencyEntry, StoredResponse

# If the row vanishes between our insert and our read (released by its owner), try again.
_RESERVE_ATTEMPTS = 3


class SqlIdempotencyStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def reserve(
        self, user_id: str, key: str, fingerprint: str, at: datetime
    ) -> IdempotencyEntry | None:
        insert = (
            postgresql.insert
            if self._session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        statement = (
            insert(IdempotencyRecordRow)
            .values(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                reserved_at=at,
                content_type="",
                headers={},
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            # A returned row says we inserted (rowcount is not reliable for this statement).
            .returning(IdempotencyRecordRow.key)
        )
        for _ in range(_RESERVE_ATTEMPTS):
            if self._session.execute(statement).first() is not None:
                return None
            existing = self._get(user_id, key)
            if existing is not None:
                return existing
        raise RuntimeError(f"idempotency key {key!r} kept vanishing while being reserved")

    def complete(self, user_id: str, key: str, response: StoredResponse) -> None:
        self._session.execute(
            update(IdempotencyRecordRow)
            .where(IdempotencyRecordRow.user_id == user_id, IdempotencyRecordRow.key == key)
            .values(**RESPONSE.values(response))
            .execution_options(synchronize_session=False)
        )

    def take_over(self, user_id: str, key: str, reserved_at: datetime, at: datetime) -> bool:
        # A conditional UPDATE: of two retries taking over at once, one matches the old time.
        result = self._session.execute(
            update(IdempotencyRecordRow)
            .where(
                IdempotencyRecordRow.user_id == user_id,
                IdempotencyRecordRow.key == key,
                IdempotencyRecordRow.reserved_at == reserved_at,
                IdempotencyRecordRow.status_code.is_(None),
            )
            .values(reserved_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def release(self, user_id: str, key: str) -> None:
        self._session.execute(
            delete(IdempotencyRecordRow).where(
                IdempotencyRecordRow.user_id == user_id, IdempotencyRecordRow.key == key
            )
        )

    def _get(self, user_id: str, key: str) -> IdempotencyEntry | None:
        row = self._session.execute(
            select(*RESPONSE.selected).where(
                IdempotencyRecordRow.user_id == user_id, IdempotencyRecordRow.key == key
            )
        ).one_or_none()
        if row is None:
            return None
        response = None if row.status_code is None else RESPONSE.load(row)
        return ENTRY.load(row, response=response)
