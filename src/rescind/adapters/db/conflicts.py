"""Which database errors mean "someone else got there first" — and become ``Conflict``.

Unique violations (two writers appending the same audit ``seq``, or creating the same id),
stale ORM updates, PostgreSQL serialization failures and deadlocks, and SQLite giving up
after its busy timeout all say the same thing to a user: reload and try again. Anything else
(a foreign key pointing nowhere, a NOT NULL) is a bug and is left as it is.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from rescind.adapters.db.tables.request import OPEN_REQUEST_PER_REQUESTER
from rescind.domain.errors import Conflict, DuplicateRequest

# How SQLite names the same index's violation (it gives the columns, not the index's name).
_SQLITE_OPEN_REQUEST = "cancellation_request.job_id, cancellation_request.requester_role"

_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock
_UNIQUE_SQLSTATE = "23505"


def as_conflict(exc: BaseException) -> Conflict | None:
    """The ``Conflict`` to raise instead of ``exc``, or None when ``exc`` is not one."""
    if isinstance(exc, StaleDataError):
        return Conflict("someone else changed this record just now; reload and try again")
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc.orig):
        if OPEN_REQUEST_PER_REQUESTER in str(exc.orig) or _SQLITE_OPEN_REQUEST in str(exc.orig):
            # Another filing for the same requester and job won the race; the service
            # looks up which request that is.
            return DuplicateRequest(
                "the requester already has an open request for this job; work that one "
                "instead of filing another",
                existing_request_id="",
            )
        if "audit_event" in str(exc.orig):
            return Conflict("someone else added to this audit trail just now; reload and try again")
        return Conflict(
            "someone else saved a record with the same key just now; reload and try again"
        )
    if isinstance(exc, OperationalError):
        if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return Conflict("another change to the same records was running; try again")
        if "database is locked" in str(exc.orig):
            return Conflict("the database is busy with another change; try again in a moment")
    return None


def _is_unique_violation(orig: BaseException | None) -> bool:
    if getattr(orig, "sqlstate", None) == _UNIQUE_SQLSTATE:
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite (primary keys too)
