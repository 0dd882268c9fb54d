"""The unit of work: one transaction over every repository.

A unit of work can also be *joined*: a use case run as one part of a bigger transaction (the
API's Idempotency-Key reserves the key, runs the use case and stores its answer in one) opens
and commits its unit of work as always, and the joined one maps that onto the open
transaction: entering marks a savepoint, ``commit`` keeps the work done since (with its audit
trail) in the open transaction, and leaving without committing undoes only that. Nothing is
durable until the open transaction itself commits.
"""

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

    def joined(self) -> UnitOfWork:
        """A unit of work inside this open one (see the module docstring). Only one joins at a
        time: one asked for while a joined one is open (code that records something in its
        own transaction on purpose) is its own transaction, as it would be anywhere else."""
        ...

    @property
    def kept(self) -> bool:
        """Whether a joined unit of work committed work into this one since it began (or
        since its last commit or rollback)."""
        ...
