"""Which database errors mean "this value cannot be stored" — and become ``InvalidInput``.

PostgreSQL refuses some values that pass every check before it: NUL in text (psycopg says so
before sending), integers beyond its column types, strings its encoding cannot hold. They all
raise ``DataError`` (SQLSTATE class 22) and are the sender's input, not a fault of ours, so
they leave as a 422, never a 500 (schemathesis found a NUL username doing that). SQLite
stores such values as they are.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError

from rescind.domain.errors import InvalidInput


def as_invalid_input(exc: BaseException) -> InvalidInput | None:
    """The ``InvalidInput`` to raise instead of ``exc``, or None when ``exc`` is not one."""
    if not isinstance(exc, DataError):
        return None
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "invalid value"
    return InvalidInput(f"a value given cannot be stored: {reason}")
