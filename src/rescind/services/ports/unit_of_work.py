"""The unit of work: one transaction over every repository."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from rescind.services.ports.audit import AuditLog, CheckpointLog
from rescind.services.ports.idempotency import IdempotencyStore
from rescind.services.ports.mail import Outbox
from rescind.services.ports.repositories import (
    CalendarRepository,
    CaseRepository,
    ChallengeRepository,
    FeedRepository,
    InboundRepository,
    JobRepository,
    PolicyRepository,
    RequestRepository,
    SelfServiceLinkRepository,
    UserRepository,
)
from rescind.services.ports.sign_in import TokenRepository
from rescind.services.ports.webhooks import WebhookRepository


class UnitOfWork(Protocol):
    # Read-only members, so an adapter may expose its own (more capable) repository types.
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def requests(self) -> RequestRepository: ...
    @property
    def challenges(self) -> ChallengeRepository: ...
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def links(self) -> SelfServiceLinkRepository: ...
    @property
    def feed(self) -> FeedRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def checkpoints(self) -> CheckpointLog: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def calendar(self) -> CalendarRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def inbound(self) -> InboundRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
