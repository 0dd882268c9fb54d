"""Engines and sessions, tuned per database so concurrent writers queue instead of failing.

SQLite allows one writer at a time. pysqlite starts transactions lazily as DEFERRED, so two
writers can both read and then fail to upgrade their lock ("database is locked"). Following
SQLAlchemy's documented recipe we turn pysqlite's own BEGIN off and emit ``BEGIN IMMEDIATE``
ourselves: every transaction takes the write lock at its start, and others wait for it
(``busy_timeout``) rather than fail half-way. On PostgreSQL, row locks and unique indexes do
that job. After a server restart the first statement on a stale pooled connection fails as a
disconnect: SQLAlchemy then invalidates every connection pooled before it, the caller answers
"unavailable, retry" (``outage.py``), and the retry gets a fresh connection. No pre-ping: it
would cost a round trip (and a transaction in PostgreSQL's counts) on every checkout, four per
cancel, to save one retry per process per restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15000
POOL_SIZE, POOL_OVERFLOW = 10, 5


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # SQLAlchemy's 5 + 10 overflow, split so that 10 stay open: a server's clients beyond
        # 5 reconnected on every request (75 connects in 1,500 cancels at 8 clients a process).
        return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let us, not pysqlite, decide when a transaction begins (see module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded rows stay readable after commit (they are turned into domain
    objects right away, so nothing relies on lazy refresh)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
