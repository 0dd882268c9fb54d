"""One database transaction per use case, with every repository bound to it.

``with uow:`` opens a session, ``uow.commit()`` makes the work durable, and leaving the
block rolls back whatever was not committed. Errors that mean "someone else got there first"
(a stale version, a duplicate audit ``seq``, a lock timeout) leave as ``Conflict``, and values
the database cannot store (NUL in PostgreSQL text) as ``InvalidInput``, so callers handle one
error whether it surfaced in a repository or at commit.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

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

    @property
    def session(self) -> Session:
        """The open session, for adapters that need more than the ports (e.g. the mailer)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it as `with uow: ...`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; nest a new one instead")
        session = self._session_factory()
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
        return self

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
        self.audit.forget()

    def rollback(self) -> None:
        self.session.rollback()
        self.audit.forget()
        self.jobs.forget()
        self.requests.forget()
        self.cases.forget()
