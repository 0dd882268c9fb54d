"""Idempotency keys: the first attempt reserves its key, retries get its stored answer.

``reserve`` is one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (both databases speak it): of two
concurrent reservers on PostgreSQL the second waits on the first's uncommitted row, then
inserts nothing and reads the row; on SQLite ``BEGIN IMMEDIATE`` already puts them in line.
No savepoint, no error to catch, and the transaction stays clean either way.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import ENTRY, RESPONSE
from rescind.adapters.db.tables import IdempotencyRecordRow
from rescind.services.ports import IdempotencyEntry, StoredResponse

# If the row vanishes between our insert and our read (released by its owner), try again.
_RESERVE_ATTEMPTS = 3

# Every request with a key runs the reservation, the answer and often the read: built once
# (building a statement and its cache key cost more Python than running it), as Core on the
# table (no ORM flush or entity loading to pay for; nothing staged depends on these rows).
_TABLE = cast(Table, IdempotencyRecordRow.__table__)
_THIS_KEY = (_TABLE.c.user_id == bindparam("b_user_id"), _TABLE.c.key == bindparam("b_key"))
_READ = select(*_TABLE.c).where(*_THIS_KEY)
# The SET clause is the parameters' response columns (``RESPONSE.values``).
_ANSWER = update(_TABLE).where(*_THIS_KEY)


@lru_cache(maxsize=2)
def _reserve(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_TABLE)
        .values(content_type="", headers={})
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        # A returned row says we inserted (rowcount is not reliable for this statement).
        .returning(_TABLE.c.key)
    )


class SqlIdempotencyStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def reserve(
        self, user_id: str, key: str, fingerprint: str, at: datetime
    ) -> IdempotencyEntry | None:
        statement = _reserve(self._session.get_bind().dialect.name)
        reservation: dict[str, object] = {
            "user_id": user_id,
            "key": key,
            "fingerprint": fingerprint,
            "reserved_at": at,
        }
        for _ in range(_RESERVE_ATTEMPTS):
            if self._session.execute(statement, reservation).first() is not None:
                return None
            existing = self._get(user_id, key)
            if existing is not None:
                return existing
        raise RuntimeError(f"idempotency key {key!r} kept vanishing while being reserved")

    def complete(self, user_id: str, key: str, response: StoredResponse) -> None:
        self._session.execute(
            _ANSWER, {"b_user_id": user_id, "b_key": key, **RESPONSE.values(response)}
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
        row = self._session.execute(_READ, {"b_user_id": user_id, "b_key": key}).one_or_none()
        if row is None:
            return None
        response = None if row.status_code is None else RESPONSE.load(row)
        return ENTRY.load(row, response=response)
