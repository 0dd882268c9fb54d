"""One database transaction per use case, with every repository bound to it.

``with uow:`` opens a session, ``uow.commit()`` makes the work durable, and leaving the
block rolls back whatever was not committed. Errors that mean "someone else got there first"
(a stale version, a duplicate audit ``seq``, a lock timeout) leave as ``Conflict``, and values
the database cannot store (NUL in PostgreSQL text) as ``InvalidInput``, so callers handle one
error whether it surfaced in a repository or at commit.

``uow.joined()`` is a unit of work inside the open ``uow`` (the port says what that means):
the same session, its own repositories, and a SAVEPOINT where a transaction would begin.
SQLAlchemy emits the SAVEPOINT lazily, on the first statement after it, so a joined unit of
work that commits and then leaves costs SAVEPOINT and RELEASE, nothing more. On SQLite this
needs pysqlite out of the way of transactions, which ``engine.py`` already does for
``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from rescind.adapters.db.conflicts import as_conflict
from rescind.adapters.db.repositories.audit import DEFAULT_TZ, SqlAuditLog
from rescind.adapters.db.repositories.calendar import SqlCalendarRepository
from rescind.adapters.db.repositories.cases import SqlCaseRepository
from rescind.adapters.db.repositories.checkpoints import SqlCheckpointLog
from rescind.adapters.db.repositories.feed import SqlFeedRepository
from rescind.adapters.db.repositories.idempotency import SqlIdempotencyStore
from rescind.adapters.db.repositories.inbound import SqlInboundRepository
from rescind.adapters.db.repositories.jobs import SqlJobRepository
from rescind.adapters.db.repositories.outbox import DEFAULT_MESSAGE_ID_DOMAIN, SqlOutbox
from rescind.adapters.db.repositories.policies import SqlPolicyRepository
from rescind.adapters.db.repositories.requests import (
    SqlChallengeRepository,
    SqlRequestRepository,
)
from rescind.adapters.db.repositories.self_service import SqlSelfServiceLinkRepository
from rescind.adapters.db.repositories.users import SqlTokenRepository, SqlUserRepository
from rescind.adapters.db.repositories.webhooks import SqlWebhookRepository
from rescind.adapters.db.unstorable import as_invalid_input
from rescind.services.ports import UnitOfWork


class SqlUnitOfWork:
    jobs: SqlJobRepository
    requests: SqlRequestRepository
    challenges: SqlChallengeRepository
    cases: SqlCaseRepository
    links: SqlSelfServiceLinkRepository
    feed: SqlFeedRepository
    outbox: SqlOutbox
    audit: SqlAuditLog
    checkpoints: SqlCheckpointLog
    policies: SqlPolicyRepository
    calendar: SqlCalendarRepository
    users: SqlUserRepository
    tokens: SqlTokenRepository
    idempotency: SqlIdempotencyStore
    inbound: SqlInboundRepository
    webhooks: SqlWebhookRepository

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        message_id_domain: str = DEFAULT_MESSAGE_ID_DOMAIN,
        company_tz: ZoneInfo = DEFAULT_TZ,
    ) -> None:
        self._session_factory = session_factory
        self._company_tz = company_tz
        self._message_id_domain = message_id_domain
        self._session: Session | None = None
        self._joined_open = False  # a joined unit of work is open inside this one
        self._kept = False  # and one committed its work into this transaction

    @property
    def session(self) -> Session:
        """The open session, for adapters that need more than the ports (e.g. the mailer)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it as `with uow: ...`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; nest a new one instead")
        self._bind(self._session_factory())
        return self

    def _bind(self, session: Session) -> None:
        self._session = session
        self.jobs = SqlJobRepository(session)
        self.requests = SqlRequestRepository(session)
        self.challenges = SqlChallengeRepository(session)
        self.cases = SqlCaseRepository(session)
        self.links = SqlSelfServiceLinkRepository(session)
        self.feed = SqlFeedRepository(session)
        self.outbox = SqlOutbox(session, domain=self._message_id_domain)
        self.audit = SqlAuditLog(session, tz=self._company_tz)
        self.checkpoints = SqlCheckpointLog(session)
        self.policies = SqlPolicyRepository(session)
        self.calendar = SqlCalendarRepository(session)
        self.users = SqlUserRepository(session)
        self.tokens = SqlTokenRepository(session)
        self.idempotency = SqlIdempotencyStore(session)
        self.inbound = SqlInboundRepository(session)
        self.webhooks = SqlWebhookRepository(session)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()
        refusal = None if exc is None else as_conflict(exc) or as_invalid_input(exc)
        if refusal is not None:
            raise refusal from exc

    def commit(self) -> None:
        session = self.session
        try:
            self.audit.write()  # the staged trail, after the rows it describes are flushed
            session.commit()
        except Exception as exc:
            self.rollback()
            refusal = as_conflict(exc) or as_invalid_input(exc)
            if refusal is None:
                raise
            raise refusal from exc
        self._kept = False
        self.audit.forget()

    def rollback(self) -> None:
        self.session.rollback()
        self._kept = False
        self._forget()

    def joined(self) -> UnitOfWork:
        if self._session is None:
            raise RuntimeError("only an open unit of work can be joined; use it as `with uow:`")
        if self._joined_open:
            return SqlUnitOfWork(
                self._session_factory,
                message_id_domain=self._message_id_domain,
                company_tz=self._company_tz,
            )
        return _JoinedUnitOfWork(self)

    @property
    def kept(self) -> bool:
        return self._kept

    def _forget(self) -> None:
        """Drop what the repositories remember of rows read or staged: it may be undone."""
        self.audit.forget()
        self.jobs.forget()
        self.requests.forget()
        self.cases.forget()


class _JoinedUnitOfWork(SqlUnitOfWork):
    """A unit of work inside ``outer``'s open transaction: a savepoint, not a transaction."""

    def __init__(self, outer: SqlUnitOfWork) -> None:
        super().__init__(
            outer._session_factory,
            message_id_domain=outer._message_id_domain,
            company_tz=outer._company_tz,
        )
        self._outer = outer
        self._savepoint: SessionTransaction | None = None

    def __enter__(self) -> Self:
        if self._session is not None or self._outer._joined_open:
            raise RuntimeError("this unit of work is already open; nest a new one instead")
        session = self._outer.session
        # As a new session would: rows read before are read again, not taken from the cache.
        session.expunge_all()
        self._bind(session)
        self._outer._joined_open = True
        self._savepoint = session.begin_nested()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._undo()
        finally:
            self._session = self._savepoint = None
            self._outer._joined_open = False
        refusal = None if exc is None else as_conflict(exc) or as_invalid_input(exc)
        if refusal is not None:
            raise refusal from exc

    def commit(self) -> None:
        session = self.session
        try:
            self.audit.write()  # the staged trail, after the rows it describes are flushed
            assert self._savepoint is not None
            self._savepoint.commit()  # RELEASE SAVEPOINT, after a flush
        except Exception as exc:
            self.rollback()
            refusal = as_conflict(exc) or as_invalid_input(exc)
            if refusal is None:
                raise
            raise refusal from exc
        self._outer._kept = True
        self.audit.forget()
        # Work after this commit is undone on its own if the block leaves without another.
        self._savepoint = session.begin_nested()

    def rollback(self) -> None:
        self._undo()
        self._forget()
        self._savepoint = self.session.begin_nested()

    def _undo(self) -> None:
        """Roll back to the savepoint: what was done since the last commit, nothing before.
        Also after a failed flush, which leaves the savepoint inactive until rolled back."""
        if self._savepoint is not None:
            self._savepoint.rollback()
