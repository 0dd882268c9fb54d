"""Column types that keep the domain's promise: every ``datetime`` is aware UTC.

SQLite has no time zone type, so moments are stored there as naive UTC text; PostgreSQL uses
``timestamptz``. Either way a naive value is refused on write, because a naive datetime in
this system is always a bug (whose clock was it?), and reads always come back aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC and read back as aware UTC (microseconds kept)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"refusing to store the naive datetime {value.isoformat()}: "
                "give an aware UTC datetime (e.g. datetime.now(UTC))"
            )
        utc = value.astimezone(UTC)
        # SQLite's DATETIME text has no offset; the column's meaning is "UTC".
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
