"""What the services need from the outside world, as Protocols, one module per concern.

The SQLAlchemy adapters implement these for SQLite and PostgreSQL; ``tests/fakes.py`` implements
them in memory for fast unit tests. A use case opens one ``UnitOfWork``, does its work, and
calls ``commit``; leaving the block without committing rolls everything back, so no state
change is ever half-done. Everything is re-exported here: ``from rescind.services.ports import
UnitOfWork`` keeps working.
"""

from rescind.services.ports.audit import AuditLog as AuditLog
from rescind.services.ports.audit import CheckpointArchive as CheckpointArchive
from rescind.services.ports.audit import CheckpointLog as CheckpointLog
from rescind.services.ports.audit import SignatureVerifier as SignatureVerifier
from rescind.services.ports.audit import Signer as Signer
from rescind.services.ports.clock import Clock as Clock
from rescind.services.ports.idempotency import IdempotencyEntry as IdempotencyEntry
from rescind.services.ports.idempotency import IdempotencyStore as IdempotencyStore
from rescind.services.ports.idempotency import StoredResponse as StoredResponse
from rescind.services.ports.mail import Outbox as Outbox
from rescind.services.ports.operations import Backlog as Backlog
from rescind.services.ports.operations import DatabaseProbe as DatabaseProbe
from rescind.services.ports.queries import FactGroup as FactGroup
from rescind.services.ports.queries import JobQuery as JobQuery
from rescind.services.ports.repositories import CalendarRepository as CalendarRepository
from rescind.services.ports.repositories import CaseRepository as CaseRepository
from rescind.services.ports.repositories import ChallengeRepository as ChallengeRepository
from rescind.services.ports.repositories import FeedRepository as FeedRepository
from rescind.services.ports.repositories import InboundRepository as InboundRepository
from rescind.services.ports.repositories import JobRepository as JobRepository
from rescind.services.ports.repositories import PolicyRepository as PolicyRepository
from rescind.services.ports.repositories import RequestRepository as RequestRepository
from rescind.services.ports.repositories import (
    SelfServiceLinkRepository as SelfServiceLinkRepository,
)
from rescind.services.ports.repositories import UserRepository as UserRepository
from rescind.services.ports.sign_in import PasswordHasher as PasswordHasher
from rescind.services.ports.sign_in import TokenRepository as TokenRepository
from rescind.services.ports.unit_of_work import UnitOfWork as UnitOfWork
from rescind.services.ports.webhooks import WebhookGuard as WebhookGuard
from rescind.services.ports.webhooks import WebhookRepository as WebhookRepository
