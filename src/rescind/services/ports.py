"""What the services need from the outside world, as Protocols.

The SQLAlchemy adapters implement these for SQLite and PostgreSQL; ``tests/fakes.py`` implements
them in memory for fast unit tests. A use case opens one ``UnitOfWork``, does its work, and
calls ``commit``; leaving the block without committing rolls everything back, so no state
change is ever half-done.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from rescind.domain.access import EVERY_JOB, JobScope, Role
from rescind.domain.audit import AuditContext, AuditRecord
from rescind.domain.case import Case, Queue
from rescind.domain.checkpoint import IssuedCheckpoint, SealedHead
from rescind.domain.eligibility import DecisionTable, PolicyHistory
from rescind.domain.email import DeliveryStatus, OutgoingEmail, QueuedEmail
from rescind.domain.events import Event
from rescind.domain.feed import FeedComment
from rescind.domain.inbound import InboundRecord
from rescind.domain.insight_figures import Count, Live
from rescind.domain.job import (
    InstallerCompany,
    Job,
    JobStatus,
    Milestone,
    PartnerProgram,
    ProductModel,
)
from rescind.domain.recipients import Recipients
from rescind.domain.request import CancellationRequest
from rescind.domain.self_service import SelfServiceLink
from rescind.domain.user import TokenRecord, User
from rescind.domain.verification import ChallengeStatus, VerificationChallenge
from rescind.domain.webhooks import (
    DeliveryStatus as WebhookDeliveryStatus,
)
from rescind.domain.webhooks import (
    DueDelivery,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class WebhookGuard(Protocol):
    def check(self, url: str) -> None:
        """``AddressRefused`` when ``url``'s host resolves to an internal address."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


@dataclass(frozen=True)
class JobQuery:
    """Filters for listing jobs; ``None`` means any. Pages by id (keyset): pass the last id seen."""

    status: JobStatus | None = None
    milestone: Milestone | None = None
    product_model: ProductModel | None = None
    partner_program: PartnerProgram | None = None
    installer_id: str | None = None
    scope: JobScope = EVERY_JOB  # only the jobs the reader may see
    text: str | None = None  # read by ``domain/search.py``: a job id, name, email or phone
    after_id: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class FactGroup:
    """Live jobs sharing one set of eligibility facts: how many, and their open requests."""

    facts: dict[str, str | bool]
    jobs: int
    open_requests: int


class JobRepository(Protocol):
    def get(self, job_id: str) -> Job:
        """The job, or ``NotFound``."""
        ...

    def find(self, job_id: str) -> Job | None: ...

    def add(self, job: Job) -> None:
        """Insert a new job (and its homeowner, installer and sales rep, upserted by id)."""
        ...

    def add_many(self, jobs: Sequence[Job]) -> None:
        """``add`` for every job of a batch, in a few statements (imports add thousands)."""
        ...

    def existing(self, job_ids: Collection[str]) -> set[str]:
        """Which of these ids are jobs already stored."""
        ...

    def save(self, job: Job) -> None:
        """Write back a changed job if nobody else did first (else ``Conflict``); bumps version."""
        ...

    def save_many(self, jobs: Sequence[Job]) -> None:
        """``save`` for every job of a batch, in a few statements; ``Conflict`` if any one
        was changed by someone else since it was read (then none is written)."""
        ...

    def hold(self, job: Job) -> None:
        """Keep ``job`` as read until commit: ``Conflict`` if someone changed it since, and a
        writer that comes after waits for this transaction. The version stays as it is."""
        ...

    def due_for_finalization(self, now: datetime, limit: int) -> list[Job]:
        """Pending jobs whose window ended, claimed for this transaction (skipping ones
        another transaction holds), oldest first."""
        ...

    def pending(self, limit: int | None = None) -> list[Job]:
        """Jobs still in cancel_pending, the soonest final first: every one (for recomputing
        windows), or the first ``limit`` (the console's queue)."""
        ...

    def search(self, query: JobQuery) -> list[Job]:
        """Jobs matching every given filter, ordered by id, at most ``query.limit``."""
        ...

    def installers(self) -> list[InstallerCompany]:
        """Every installer company, by name (the job list's installer filter)."""
        ...

    def live_fact_groups(self) -> list[FactGroup]:
        """Live jobs (active and cancel pending) grouped by their eligibility facts, read only."""
        ...

    def live_ids_with_facts(self, facts: dict[str, str | bool], limit: int) -> list[str]:
        """The first ``limit`` live job ids (by id) whose facts are exactly ``facts``."""
        ...


class RequestRepository(Protocol):
    def add(self, request: CancellationRequest) -> None: ...

    def get(self, request_id: str) -> CancellationRequest: ...

    def save(self, request: CancellationRequest) -> None: ...

    def for_job(self, job_id: str) -> list[CancellationRequest]: ...

    def open_requests(
        self, limit: int = 100, *, after: str | None = None
    ) -> list[CancellationRequest]:
        """Open requests, the earliest due first (those after request ``after``)."""
        ...

    def listed(
        self, *, open_only: bool | None = None, limit: int = 100, after: str | None = None
    ) -> list[CancellationRequest]:
        """All requests (only open ones, or only closed ones), the earliest filed first."""
        ...


class ChallengeRepository(Protocol):
    def add(self, challenge: VerificationChallenge) -> None: ...

    def for_request(self, request_id: str) -> list[VerificationChallenge]:
        """All challenges of a request, newest last."""
        ...

    def save(self, challenge: VerificationChallenge) -> None: ...

    def hold_request(self, request_id: str) -> None:
        """Until commit, the request's codes are this transaction's: another sender or guesser
        of the same request waits, so limits counted over its codes stay true."""
        ...

    def claim_attempt(self, challenge_id: str, *, now: datetime, max_attempts: int) -> int | None:
        """Count one attempt in storage, atomically, if the code is open, unexpired and has
        one left: the attempt's number, or None when none was counted (nothing to evaluate)."""
        ...

    def settle(self, challenge_id: str, status: ChallengeStatus) -> bool:
        """Move an open code to ``status``; False when it had already left "open" (so a right
        code verifies once, however many read it back at the same moment)."""
        ...


class SelfServiceLinkRepository(Protocol):
    def add(self, link: SelfServiceLink) -> None: ...

    def by_token(self, digest: str) -> SelfServiceLink | None:
        """The link whose token has this SHA-256 digest, if any."""
        ...

    def by_session(self, digest: str) -> SelfServiceLink | None:
        """The link whose page session has this digest, if any."""
        ...

    def issued_for_job(self, job_id: str, since: datetime) -> list[datetime]:
        """When the job's links issued after ``since`` were issued."""
        ...

    def use(self, link: SelfServiceLink) -> bool:
        """Store the opening (``used_at``, the session) only if no one opened it first."""
        ...

    def jobs_of_contact(self, *, email_key: str, phone_key: str) -> list[str]:
        """Ids of the jobs whose homeowner has exactly this email or phone (search keys;
        an empty key matches nothing), at most a few."""
        ...


class CaseRepository(Protocol):
    def add(self, case: Case) -> None: ...

    def get(self, case_id: str) -> Case: ...

    def save(self, case: Case) -> None: ...

    def in_queue(
        self,
        queue: Queue,
        *,
        open_only: bool = True,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Case]:
        """A queue's items, oldest first (the first ``limit`` of them): Back Office holds the
        cases whose queue is back_office; Deal Processing's queue is every case with an open
        DP assignment."""
        ...

    def for_job(self, job_id: str) -> list[Case]: ...


class FeedRepository(Protocol):
    def add(self, comment: FeedComment) -> None: ...

    def for_homeowner(
        self,
        homeowner_id: str,
        scope: JobScope,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[FeedComment]:
        """The homeowner's profile feed, oldest first: the comments on those of their jobs
        that ``scope`` covers (all of them, and comments on no job, for every job)."""
        ...


class Outbox(Protocol):
    def add(self, email: OutgoingEmail, *, queued_at: datetime) -> str:
        """Queue a message; returns its Message-ID, fixed now so a resend is recognisable."""
        ...

    def add_many(self, emails: Sequence[OutgoingEmail], *, queued_at: datetime) -> list[str]:
        """``add`` for every message of a batch; their Message-IDs, in order."""
        ...

    def get(self, message_id: str) -> QueuedEmail:
        """A queued message, or ``NotFound``."""
        ...

    def for_job(self, job_id: str) -> list[QueuedEmail]:
        """A job's messages, oldest first."""
        ...

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[QueuedEmail]:
        """Lease queued messages due by ``now`` to the caller: their next attempt moves to
        ``now + lease`` and their attempt count goes up, so other workers skip them (on
        PostgreSQL rows another transaction holds are skipped too). Oldest due first."""
        ...

    def mark_sent(self, message_id: str, at: datetime, *, note: str = "") -> None:
        """Record delivery once; blanks the context keys marked secret (the code)."""
        ...

    def mark_attempt_failed(
        self, message_id: str, at: datetime, error: str, *, retry_at: datetime | None
    ) -> None:
        """Note the error; queue again at ``retry_at``, or mark failed for good when None."""
        ...

    def requeue(self, message_id: str, now: datetime, recipients: Recipients) -> None:
        """A failed message is due again at ``now`` with a fresh count of attempts, to
        ``recipients`` (the same Message-ID: it is the same message)."""
        ...

    def list(
        self, *, status: DeliveryStatus | None = None, limit: int = 50, after: int | None = None
    ) -> list[tuple[int, QueuedEmail]]:
        """Messages with their row number (for keyset paging), oldest first."""
        ...


class AuditLog(Protocol):
    def append(self, stream: str, actx: AuditContext, events: Sequence[Event]) -> list[AuditRecord]:
        """Seal and add events at the end of a stream (after any appended earlier in this
        unit of work). Two transactions appending to one stream cannot both commit."""
        ...

    def append_many(
        self, actx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
    ) -> list[AuditRecord]:
        """``append`` of each (stream, events) entry, all with one context, in a few
        statements however many streams (the sweep writes one per finalized job)."""
        ...

    def records(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        """The stream's records after ``after_seq``, in order (the first ``limit``)."""
        ...

    def head(self, stream: str) -> tuple[int, str] | None: ...

    def streams(self) -> Iterable[str]:
        """Every stream with a head or a record."""
        ...

    def heads(self) -> list[SealedHead]:
        """Every stream's head (one row a stream, one statement: one moment)."""
        ...

    def scan(self) -> Iterator[AuditRecord]:
        """Every record, each stream's together in seq order, read in batches (never the
        whole trail in memory)."""
        ...

    def insight_counts(
        self,
        scope: JobScope,
        first_day: date,
        last_day: date,
        *,
        now: datetime,
        strip_ends_at: datetime,
    ) -> tuple[list[Count], Live]:
        """The insights' pre-counted sums over a period of company-local days for one
        reader, and what is true now (open requests past due, windows ending soon)."""
        ...


class CheckpointLog(Protocol):
    def add(self, issued: IssuedCheckpoint) -> None: ...

    def latest(self) -> IssuedCheckpoint | None: ...


class PolicyRepository(Protocol):
    def history(self) -> PolicyHistory: ...

    def add(self, table: DecisionTable, *, published_by: str, published_at: datetime) -> None: ...


class CalendarRepository(Protocol):
    def company_holidays(self) -> dict[date, str]: ...

    def add_holiday(self, day: date, name: str) -> None: ...

    def remove_holiday(self, day: date) -> None: ...

    def version(self) -> int:
        """Bumped on every change of company holidays."""
        ...

    def snapshot(self) -> tuple[dict[date, str], int]:
        """``company_holidays()`` and ``version()`` read together (one statement, one
        moment): every cancel builds its calendar from them."""
        ...

    def bump_version(self) -> int: ...


class InboundRepository(Protocol):
    def add(self, record: InboundRecord) -> None: ...

    def seen(self, message_id: str) -> bool:
        """Whether a message with this Message-ID was received before (not a duplicate)."""
        ...

    def seen_content(self, digest: str, since: datetime) -> InboundRecord | None:
        """The latest message with this content digest received at or after ``since``."""
        ...

    def triage(self, limit: int = 100) -> list[InboundRecord]:
        """Messages waiting for a person, oldest first."""
        ...

    def get(self, inbound_id: str) -> InboundRecord | None: ...

    def save(self, record: InboundRecord) -> None:
        """Store a message's new status, reason, job and request (a triage outcome)."""
        ...

    def for_job(
        self, job_id: str, address: str, scope: JobScope, limit: int = 20
    ) -> list[InboundRecord]:
        """Messages about a job: filed on it, or sent from ``address`` (the homeowner's on
        file, compared case-insensitively) and filed on a job ``scope`` covers (or on none,
        for every job); newest first, duplicates left out."""
        ...


class WebhookRepository(Protocol):
    """The event outbox, the endpoints subscribed to it, and one delivery per (event, endpoint)."""

    def add_events(self, events: Sequence[WebhookEvent]) -> None:
        """Store events, and a pending delivery of each to every active endpoint wanting it."""
        ...

    def events_after(
        self, after: int | None, limit: int, scope: JobScope
    ) -> list[tuple[int, WebhookEvent]]:
        """Events with their row number (the cursor), oldest first, narrowed to ``scope``."""
        ...

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        """The endpoint, or ``NotFound``."""
        ...

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]: ...

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Write back a changed endpoint if nobody else did first (else ``Conflict``)."""
        ...

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[DueDelivery]:
        """Lease pending deliveries due by ``now`` (to active endpoints): their next attempt
        moves to ``now + lease`` and their attempt count goes up, so other workers skip them
        (on PostgreSQL rows another transaction holds are skipped too). Oldest due first."""
        ...

    def mark_delivered(self, delivery_id: int, at: datetime, status_code: int) -> None: ...

    def mark_attempt_failed(
        self,
        delivery_id: int,
        at: datetime,
        error: str,
        status_code: int | None,
        *,
        retry_at: datetime | None,
    ) -> None:
        """Note the error; due again at ``retry_at``, or failed for good when None."""
        ...

    def delivery(self, delivery_id: int) -> WebhookDelivery:
        """A delivery, or ``NotFound``."""
        ...

    def deliveries(
        self,
        *,
        endpoint_id: str | None = None,
        status: WebhookDeliveryStatus | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        """Deliveries, newest first."""
        ...

    def requeue(self, delivery_id: int, now: datetime) -> None:
        """Pending again, due now, with a fresh count of attempts."""
        ...


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Insert; ``AlreadyExists`` if another user has the username."""
        ...

    def get(self, user_id: str) -> User: ...

    def by_username(self, username: str) -> User | None: ...

    def list(self, *, after: str | None = None, limit: int | None = None) -> list[User]:
        """Users by username (those after the user with id ``after``; the first ``limit``)."""
        ...

    def save(self, user: User) -> None: ...

    def scope_exists(self, role: Role, scope_id: str) -> bool:
        """Whether the installer company, sales rep or homeowner a scoped user would act
        for is on record."""
        ...


class TokenRepository(Protocol):
    def add(self, token: TokenRecord) -> None: ...

    def get(self, digest: str) -> TokenRecord | None: ...

    def holder(self, digest: str) -> tuple[TokenRecord, User] | None:
        """The token with its user, in one read: every API request asks."""
        ...

    def revoke(self, digest: str, at: datetime) -> None: ...

    def revoke_all(self, user_id: str, at: datetime) -> int:
        """Revoke every live token of a user; returns how many."""
        ...


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to an idempotent request, replayed to its retries."""

    status_code: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass(frozen=True)
class IdempotencyEntry:
    fingerprint: str
    response: StoredResponse | None  # None while the first attempt is still running
    reserved_at: datetime


class IdempotencyStore(Protocol):
    """Keys are per user; each unit of work here is its own short transaction."""

    def reserve(
        self, user_id: str, key: str, fingerprint: str, at: datetime
    ) -> IdempotencyEntry | None:
        """Claim the key; None if it was free, else the existing entry (nothing changed)."""
        ...

    def complete(self, user_id: str, key: str, response: StoredResponse) -> None: ...

    def take_over(self, user_id: str, key: str, reserved_at: datetime, at: datetime) -> bool:
        """Claim a reservation whose attempt never reported back (its process died): True if
        it was still the one reserved at ``reserved_at``, unanswered, and is now ours."""
        ...

    def release(self, user_id: str, key: str) -> None:
        """Forget a reservation whose attempt should be retried (a transient failure)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


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


@dataclass(frozen=True)
class Backlog:
    """What is waiting, counted for monitoring: each number is one indexed count."""

    open_requests: int
    back_office_queue: int
    deal_processing_queue: int
    email_triage: int
    outbox_queued: int
    outbox_failed: int
    cancel_pending_jobs: int


class DatabaseProbe(Protocol):
    """The operations view of the database, outside any unit of work (health checks and
    metrics must not take the locks or the audit trail a use case does)."""

    def problems(self) -> list[str]:
        """Why the database cannot serve now (unreachable, schema behind); empty when ready."""
        ...

    def backlog(self) -> Backlog: ...


class Signer(Protocol):
    """Signs checkpoints with a key kept outside the database (an Ed25519 key file)."""

    @property
    def key_id(self) -> str:
        """The public key's fingerprint (hex SHA-256 of its raw bytes)."""
        ...

    def sign(self, body: bytes) -> str:
        """The signature over ``body``, base64."""
        ...

    def verifier(self) -> SignatureVerifier: ...


class SignatureVerifier(Protocol):
    """A trusted public key: checkpoints are believed only when it signed them."""

    @property
    def key_id(self) -> str: ...

    def valid(self, body: bytes, signature: str) -> bool: ...


class CheckpointArchive(Protocol):
    """Where each checkpoint document is kept, out of the database admin's reach."""

    def keep(self, name: str, document: str) -> None:
        """Write the document whole (never half a file) under ``name``."""
        ...

    def read(self, name: str) -> str:
        """A kept document, or ``NotFound``."""
        ...

    def __hash__(self) -> int:
        """By identity is enough: what was read from one archive is cached per process."""
        ...
