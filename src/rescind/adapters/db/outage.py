"""Which database errors mean "the database cannot be reached right now".

A server restart, a dropped connection or a refused one are not bugs and not the caller's
fault: the work was not done (the transaction rolled back with the connection) and the same
call will work once the server is back. Entrypoints turn these into a retryable answer (503
with ``Retry-After``, a console page, one CLI line) instead of an internal error; the pool
(SQLAlchemy invalidating every pooled connection on a disconnect) then reconnects by itself.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

# Seconds a client should wait before retrying: a restart takes a few.
RETRY_AFTER_SECONDS = 2
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "57P")  # connection exceptions; admin/crash shutdown


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database server is down or the connection was lost."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return str(sqlstate).startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    # psycopg raises connection failures (refused, closed, reset) without a SQLSTATE.
    return isinstance(exc, OperationalError) and "database is locked" not in str(exc.orig)
