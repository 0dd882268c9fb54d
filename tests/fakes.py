"""In-memory fakes of every port in ``rescind.services.ports`` (cosmicpython style, no mocks).

A ``FakeStore`` plays the database. Each ``FakeUnitOfWork`` works on its own copy of the
store's tables and, on ``commit``, writes back only the rows it changed — refusing with
``Conflict`` when another unit of work committed a change to one of those rows first, as a
database with row versions would. Leaving the block without committing discards the copy.

Isolation comes from copying on the way in and out, like a real repository that builds new
objects from rows: ``get`` hands out a deep copy and ``save`` stores a deep copy, so a change
a service forgets to ``save`` is lost here exactly as it would be in SQL. Because stored
objects are never mutated in place, the tables themselves are copied shallowly on enter.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.access import Actor, JobScope, Role
from rescind.domain.audit import GENESIS_HASH, AuditContext, AuditRecord, job_stream, seal
from rescind.domain.case import AssignmentStatus, Case, CaseStatus, Queue
from rescind.domain.checkpoint import IssuedCheckpoint, SealedHead
from rescind.domain.eligibility import DecisionTable, PolicyHistory
from rescind.domain.email import DeliveryStatus, EmailKind, OutgoingEmail, QueuedEmail
from rescind.domain.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    case_not_found,
    job_not_found,
    request_not_found,
)
from rescind.domain.events import Event, JSONValue
from rescind.domain.feed import FeedComment
from rescind.domain.inbound import InboundRecord, InboundStatus
from rescind.domain.insight_figures import Count, Live
from rescind.domain.job import (
    MILESTONES,
    Homeowner,
    InstallerCompany,
    Job,
    JobStatus,
    Milestone,
    Phase,
    ProductModel,
    SalesRep,
)
from rescind.domain.recipients import Recipients
from rescind.domain.request import (
    CancellationRequest,
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.domain.search import read_search
from rescind.domain.self_service import SelfServiceLink
from rescind.domain.user import TokenRecord, User
from rescind.domain.verification import ChallengeStatus, VerificationChallenge
from rescind.domain.webhooks import WebhookEndpoint, WebhookEvent
from rescind.services.context import Context
from rescind.services.policy import seed_policy
from rescind.services.ports import (
    AuditLog,
    CalendarRepository,
    CaseRepository,
    ChallengeRepository,
    CheckpointLog,
    FactGroup,
    FeedRepository,
    IdempotencyEntry,
    IdempotencyStore,
    JobQuery,
    JobRepository,
    Outbox,
    PolicyRepository,
    RequestRepository,
    SelfServiceLinkRepository,
    StoredResponse,
    TokenRepository,
    UnitOfWork,
    UserRepository,
    WebhookRepository,
)
from rescind.services.requests import file_request
from rescind.services.verification import verify_by_address_on_file
from tests.fake_webhooks import DeliveryRow, FakeWebhookRepository

T = TypeVar("T")

CALENDAR_VERSION = "calendar_version"


# --- the stored state -------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    """A queued message as stored; ``Outbox.get`` shows it as the domain's ``QueuedEmail``."""

    message_id: str
    email: OutgoingEmail
    queued_at: datetime
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    context: Mapping[str, JSONValue] | None = None  # after sending: secrets blanked

    def as_queued(self) -> QueuedEmail:
        return QueuedEmail(
            message_id=self.message_id,
            kind=self.email.kind,
            sender=self.email.sender,
            recipients=self.email.recipients,
            job_id=self.email.job_id,
            context=self.email.context if self.context is None else self.context,
            status=self.status,
            attempts=self.attempts,
            queued_at=self.queued_at,
            sent_at=self.sent_at,
            last_error=self.last_error,
        )


@dataclass(frozen=True)
class PublishedPolicy:
    table: DecisionTable
    published_by: str
    published_at: datetime


@dataclass
class Tables:
    """Every table as a dict keyed by id; every value is replaced, never mutated in place."""

    jobs: dict[str, Job] = field(default_factory=dict)
    requests: dict[str, CancellationRequest] = field(default_factory=dict)
    challenges: dict[str, VerificationChallenge] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    links: dict[str, SelfServiceLink] = field(default_factory=dict)
    feed: dict[str, FeedComment] = field(default_factory=dict)
    outbox: dict[str, OutboxRow] = field(default_factory=dict)
    audit: dict[str, tuple[AuditRecord, ...]] = field(default_factory=dict)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    checkpoints: dict[int, IssuedCheckpoint] = field(default_factory=dict)
    policies: dict[int, PublishedPolicy] = field(default_factory=dict)
    holidays: dict[date, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: {CALENDAR_VERSION: 1})
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyEntry] = field(default_factory=dict)
    inbound: dict[str, InboundRecord] = field(default_factory=dict)
    events: dict[int, WebhookEvent] = field(default_factory=dict)
    endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    deliveries: dict[int, DeliveryRow] = field(default_factory=dict)

    def snapshot(self) -> Tables:
        return Tables(**{name: dict(table) for name, table in self._tables()})

    def _tables(self) -> Iterable[tuple[str, dict[Any, Any]]]:
        return ((name, getattr(self, name)) for name in self.__dataclass_fields__)


_MISSING = object()


class FakeStore:
    """The committed state shared by every unit of work, plus a few read helpers for tests."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0
        self._message_numbers = itertools.count(1)

    def next_message_id(self) -> str:
        return f"<{next(self._message_numbers)}.{uuid.uuid4().hex[:8]}@rescind.test>"

    def apply(self, base: Tables, work: Tables) -> None:
        """Write the rows ``work`` changed since ``base``; first committer wins per row."""
        changes: list[tuple[dict[Any, Any], Any, Any]] = []
        for name in Tables.__dataclass_fields__:
            before: dict[Any, Any] = getattr(base, name)
            after: dict[Any, Any] = getattr(work, name)
            stored: dict[Any, Any] = getattr(self.tables, name)
            for key in before.keys() | after.keys():
                old, new = before.get(key, _MISSING), after.get(key, _MISSING)
                if old is new:
                    continue
                if stored.get(key, _MISSING) is not old:
                    raise Conflict(f"{name} {key!r} was changed by someone else; retry")
                changes.append((stored, key, new))
        for stored, key, new in changes:
            if new is _MISSING:
                del stored[key]
            else:
                stored[key] = new
        self.commits += 1

    # Read helpers: what a test wants to look at after the services ran.

    def job(self, job_id: str) -> Job:
        return copy.deepcopy(self.tables.jobs[job_id])

    def request(self, request_id: str) -> CancellationRequest:
        return copy.deepcopy(self.tables.requests[request_id])

    def case(self, case_id: str) -> Case:
        return copy.deepcopy(self.tables.cases[case_id])

    def emails(self, kind: EmailKind | None = None) -> list[OutboxRow]:
        return [q for q in self.tables.outbox.values() if kind is None or q.email.kind is kind]

    def feed_of(self, homeowner_id: str) -> list[FeedComment]:
        return [c for c in self.tables.feed.values() if c.homeowner_id == homeowner_id]

    def trail(self, job_id: str) -> list[AuditRecord]:
        return list(self.tables.audit.get(job_stream(job_id), ()))

    def kinds(self, job_id: str) -> list[str]:
        return [r.kind for r in self.trail(job_id)]

    def challenges_of(self, request_id: str) -> list[VerificationChallenge]:
        return [c for c in self.tables.challenges.values() if c.request_id == request_id]


# --- repositories -----------------------------------------------------------------------


def _copy(value: T) -> T:
    return copy.deepcopy(value)


class FakeJobRepository:
    def __init__(self, tables: Tables) -> None:
        self._jobs = tables.jobs
        self._tables = tables

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def find(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return None if job is None else _copy(job)

    def add(self, job: Job) -> None:
        if job.id in self._jobs:
            raise Conflict(f"job {job.id} already exists")
        self._jobs[job.id] = _copy(job)

    def add_many(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            self.add(job)

    def existing(self, job_ids: Collection[str]) -> set[str]:
        return {job_id for job_id in job_ids if job_id in self._jobs}

    def save(self, job: Job) -> None:
        stored = self._jobs.get(job.id)
        if stored is None:
            raise NotFound(f"no job with id {job.id!r}")
        if stored.version != job.version:
            raise Conflict(f"job {job.id} was changed by someone else just now")
        job.version += 1
        self._jobs[job.id] = _copy(job)

    def save_many(self, jobs: Sequence[Job]) -> None:
        # All or nothing, as one UPDATE per batch is: check every version before writing.
        for job in jobs:
            self.hold(job)
        for job in jobs:
            self.save(job)

    def hold(self, job: Job) -> None:
        stored = self._jobs.get(job.id)
        if stored is None:
            raise NotFound(f"no job with id {job.id!r}")
        if stored.version != job.version:
            raise Conflict(f"job {job.id} was changed by someone else just now")

    def due_for_finalization(self, now: datetime, limit: int) -> list[Job]:
        due = [
            j
            for j in self._jobs.values()
            if j.status is JobStatus.CANCEL_PENDING and j.final_at is not None and j.final_at <= now
        ]
        due.sort(key=lambda j: (j.final_at or now, j.id))
        return [_copy(j) for j in due[:limit]]

    def pending(self, limit: int | None = None) -> list[Job]:
        pending = [j for j in self._jobs.values() if j.status is JobStatus.CANCEL_PENDING]
        pending.sort(key=lambda j: (j.final_at or datetime.min.replace(tzinfo=UTC), j.id))
        return [_copy(j) for j in pending[:limit]]

    def search(self, query: JobQuery) -> list[Job]:
        found = sorted((j for j in self._jobs.values() if _matches(j, query)), key=lambda j: j.id)
        return [_copy(j) for j in found[: query.limit]]

    def installers(self) -> list[InstallerCompany]:
        found = {j.installer.id: j.installer for j in self._jobs.values()}
        return sorted(found.values(), key=lambda i: (i.name, i.id))

    def live_fact_groups(self) -> list[FactGroup]:
        groups: dict[tuple[tuple[str, str | bool], ...], list[int]] = {}
        for job in self._jobs.values():
            if job.status in (JobStatus.ACTIVE, JobStatus.CANCEL_PENDING):
                counts = groups.setdefault(tuple(job.facts().items()), [0, 0])
                counts[0] += 1
                counts[1] += sum(
                    1 for r in self._tables.requests.values() if r.job_id == job.id and r.is_open
                )
        return [FactGroup(facts=dict(k), jobs=n, open_requests=o) for k, (n, o) in groups.items()]

    def live_ids_with_facts(self, facts: dict[str, str | bool], limit: int) -> list[str]:
        found = sorted(
            j.id
            for j in self._jobs.values()
            if j.status in (JobStatus.ACTIVE, JobStatus.CANCEL_PENDING) and j.facts() == facts
        )
        return found[:limit]


def _matches(job: Job, query: JobQuery) -> bool:
    """The SQL repository's rules: every filter, then the text on id, email, name or phone."""
    wanted: list[tuple[object, object]] = [
        (query.status, job.status),
        (query.milestone, job.milestone),
        (query.product_model, job.product_model),
        (query.partner_program, job.partner_program),
        (query.installer_id, job.installer.id),
    ]
    if any(given is not None and given != actual for given, actual in wanted):
        return False
    if not query.scope.covers(job):
        return False
    if query.after_id is not None and job.id <= query.after_id:
        return False
    terms = read_search(query.text or "")
    if terms is None:
        return True
    homeowner = job.homeowner
    return terms.finds_by_id(job.id) or terms.finds_homeowner(
        name=homeowner.name, email=homeowner.email, phone=homeowner.phone
    )


class FakeRequestRepository:
    def __init__(self, tables: Tables) -> None:
        self._requests = tables.requests

    def add(self, request: CancellationRequest) -> None:
        self._requests[request.id] = _copy(request)

    def get(self, request_id: str) -> CancellationRequest:
        request = self._requests.get(request_id)
        if request is None:
            raise request_not_found(request_id)
        return _copy(request)

    def save(self, request: CancellationRequest) -> None:
        stored = self._requests.get(request.id)
        if stored is None:
            raise NotFound(f"no cancellation request with id {request.id!r}")
        if stored.version != request.version:
            raise Conflict(f"request {request.id} was changed by someone else just now")
        request.version += 1
        self._requests[request.id] = _copy(request)

    def for_job(self, job_id: str) -> list[CancellationRequest]:
        found = [r for r in self._requests.values() if r.job_id == job_id]
        found.sort(key=lambda r: (r.filed_at, r.id))
        return [_copy(r) for r in found]

    def open_requests(
        self, limit: int = 100, *, after: str | None = None
    ) -> list[CancellationRequest]:
        found = [r for r in self._requests.values() if r.is_open]
        found.sort(key=lambda r: (r.due_at, r.id))
        if after is not None:
            anchor = self._requests[after]
            found = [r for r in found if (r.due_at, r.id) > (anchor.due_at, anchor.id)]
        return [_copy(r) for r in found[:limit]]

    def listed(
        self, *, open_only: bool | None = None, limit: int = 100, after: str | None = None
    ) -> list[CancellationRequest]:
        found = [r for r in self._requests.values() if open_only is None or r.is_open is open_only]
        found.sort(key=lambda r: (r.filed_at, r.id))
        if after is not None:
            anchor = self._requests[after]
            found = [r for r in found if (r.filed_at, r.id) > (anchor.filed_at, anchor.id)]
        return [_copy(r) for r in found[:limit]]


class FakeSelfServiceLinkRepository:
    def __init__(self, tables: Tables) -> None:
        self._links = tables.links
        self._jobs = tables.jobs

    def add(self, link: SelfServiceLink) -> None:
        self._links[link.id] = _copy(link)

    def by_token(self, digest: str) -> SelfServiceLink | None:
        found = [link for link in self._links.values() if link.token_digest == digest]
        return _copy(found[0]) if found else None

    def by_session(self, digest: str) -> SelfServiceLink | None:
        found = [link for link in self._links.values() if link.session_digest == digest]
        return _copy(found[0]) if found else None

    def issued_for_job(self, job_id: str, since: datetime) -> list[datetime]:
        return [
            link.issued_at
            for link in self._links.values()
            if link.job_id == job_id and link.issued_at > since
        ]

    def use(self, link: SelfServiceLink) -> bool:
        if self._links[link.id].used_at is not None:
            return False
        self._links[link.id] = _copy(link)
        return True

    def jobs_of_contact(self, *, email_key: str, phone_key: str) -> list[str]:
        return sorted(
            job.id
            for job in self._jobs.values()
            if (email_key and job.homeowner.email.strip().lower() == email_key)
            or (phone_key and "".join(c for c in job.homeowner.phone if c.isdigit()) == phone_key)
        )[:5]


class FakeChallengeRepository:
    def __init__(self, tables: Tables) -> None:
        self._challenges = tables.challenges

    def add(self, challenge: VerificationChallenge) -> None:
        self._challenges[challenge.id] = _copy(challenge)

    def for_request(self, request_id: str) -> list[VerificationChallenge]:
        found = [c for c in self._challenges.values() if c.request_id == request_id]
        # Insertion order breaks ties: two codes issued at one clock reading stay in order.
        return [_copy(c) for c in sorted(found, key=lambda c: c.issued_at)]

    def save(self, challenge: VerificationChallenge) -> None:
        if challenge.id not in self._challenges:
            raise NotFound(f"no verification challenge with id {challenge.id!r}")
        self._challenges[challenge.id] = _copy(challenge)

    def hold_request(self, request_id: str) -> None:
        """One thread at a time: nothing to wait for."""

    def claim_attempt(self, challenge_id: str, *, now: datetime, max_attempts: int) -> int | None:
        challenge = self._challenges[challenge_id]
        if (
            challenge.status is not ChallengeStatus.OPEN
            or challenge.attempts >= max_attempts
            or now >= challenge.expires_at
        ):
            return None
        # A new object, never a changed one: commit tells changed rows by identity.
        self._challenges[challenge_id] = replace(challenge, attempts=challenge.attempts + 1)
        return challenge.attempts + 1

    def settle(self, challenge_id: str, status: ChallengeStatus) -> bool:
        challenge = self._challenges[challenge_id]
        if challenge.status is not ChallengeStatus.OPEN:
            return False
        self._challenges[challenge_id] = replace(challenge, status=status)
        return True


class FakeCaseRepository:
    def __init__(self, tables: Tables) -> None:
        self._cases = tables.cases

    def add(self, case: Case) -> None:
        self._cases[case.id] = _copy(case)

    def get(self, case_id: str) -> Case:
        case = self._cases.get(case_id)
        if case is None:
            raise case_not_found(case_id)
        return _copy(case)

    def save(self, case: Case) -> None:
        stored = self._cases.get(case.id)
        if stored is None:
            raise NotFound(f"no case with id {case.id!r}")
        if stored.version != case.version:
            raise Conflict(f"case {case.id} was changed by someone else just now")
        case.version += 1
        self._cases[case.id] = _copy(case)

    def in_queue(
        self,
        queue: Queue,
        *,
        open_only: bool = True,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Case]:
        def queued(case: Case) -> bool:
            if open_only and case.status is not CaseStatus.OPEN:
                return False
            if queue is Queue.DEAL_PROCESSING:
                return any(
                    a.team is Queue.DEAL_PROCESSING
                    and (not open_only or a.status is AssignmentStatus.OPEN)
                    for a in case.assignments
                )
            return case.queue is queue

        found = sorted(filter(queued, self._cases.values()), key=lambda c: (c.created_at, c.id))
        if after is not None:
            anchor = self._cases[after]
            found = [c for c in found if (c.created_at, c.id) > (anchor.created_at, anchor.id)]
        return [_copy(c) for c in found[:limit]]

    def for_job(self, job_id: str) -> list[Case]:
        return [_copy(c) for c in self._cases.values() if c.job_id == job_id]


def _within(jobs: dict[str, Job], job_id: str | None, scope: JobScope) -> bool:
    """The SQL repositories' scope rule: an item of a job the scope covers (or any item)."""
    if scope.every_job:
        return True
    job = jobs.get(job_id) if job_id is not None else None
    return job is not None and scope.covers(job)


class FakeFeedRepository:
    def __init__(self, tables: Tables) -> None:
        self._feed = tables.feed
        self._jobs = tables.jobs

    def add(self, comment: FeedComment) -> None:
        self._feed[comment.id] = comment

    def for_homeowner(
        self,
        homeowner_id: str,
        scope: JobScope,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[FeedComment]:
        found = sorted(
            (
                c
                for c in self._feed.values()
                if c.homeowner_id == homeowner_id and _within(self._jobs, c.job_id, scope)
            ),
            key=lambda c: (c.created_at, c.id),
        )
        if after is not None:
            anchor = self._feed[after]
            found = [c for c in found if (c.created_at, c.id) > (anchor.created_at, anchor.id)]
        return found[:limit]


class FakeOutbox:
    def __init__(self, tables: Tables, next_message_id: Callable[[], str]) -> None:
        self._outbox = tables.outbox
        self._next_message_id = next_message_id

    def add(self, email: OutgoingEmail, *, queued_at: datetime) -> str:
        message_id = self._next_message_id()
        self._outbox[message_id] = OutboxRow(message_id, email, queued_at)
        return message_id

    def add_many(self, emails: Sequence[OutgoingEmail], *, queued_at: datetime) -> list[str]:
        return [self.add(email, queued_at=queued_at) for email in emails]

    def get(self, message_id: str) -> QueuedEmail:
        row = self._outbox.get(message_id)
        if row is None:
            raise NotFound(f"no queued message with Message-ID {message_id!r}")
        return row.as_queued()

    def for_job(self, job_id: str) -> list[QueuedEmail]:
        rows = [r for r in self._outbox.values() if r.email.job_id == job_id]
        return [r.as_queued() for r in sorted(rows, key=lambda r: r.queued_at)]

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[QueuedEmail]:
        due = sorted(
            (
                r
                for r in self._outbox.values()
                if r.status is DeliveryStatus.QUEUED and (r.next_attempt_at or r.queued_at) <= now
            ),
            key=lambda r: (r.next_attempt_at or r.queued_at, r.queued_at),
        )[:limit]
        leased = []
        for row in due:
            new = replace(row, next_attempt_at=now + lease, attempts=row.attempts + 1)
            self._outbox[row.message_id] = new
            leased.append(new.as_queued())
        return leased

    def mark_sent(self, message_id: str, at: datetime, *, note: str = "") -> None:
        row = self._outbox[message_id]
        if row.status is DeliveryStatus.SENT:
            return
        secret = set(row.email.secret_keys)
        context = {k: ("" if k in secret else v) for k, v in row.email.context.items()}
        self._outbox[message_id] = replace(
            row, status=DeliveryStatus.SENT, sent_at=at, last_error=note, context=context
        )

    def mark_attempt_failed(
        self, message_id: str, at: datetime, error: str, *, retry_at: datetime | None
    ) -> None:
        row = self._outbox[message_id]
        if row.status is DeliveryStatus.SENT:
            return
        if retry_at is None:
            self._outbox[message_id] = replace(
                row, status=DeliveryStatus.FAILED, next_attempt_at=at, last_error=error
            )
        else:
            self._outbox[message_id] = replace(row, next_attempt_at=retry_at, last_error=error)

    def requeue(self, message_id: str, now: datetime, recipients: Recipients) -> None:
        row = self._outbox[message_id]
        email = replace(row.email, recipients=recipients)
        self._outbox[message_id] = replace(
            row, email=email, status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=now
        )

    def list(
        self, *, status: DeliveryStatus | None = None, limit: int = 50, after: int | None = None
    ) -> list[tuple[int, QueuedEmail]]:
        # Rows are never removed, so a row's place in insertion order is its number.
        numbered = ((n, row.as_queued()) for n, row in enumerate(self._outbox.values(), 1))
        return [
            (n, queued)
            for n, queued in numbered
            if (after is None or n > after) and (status is None or queued.status is status)
        ][:limit]


class FakeAuditLog:
    def __init__(self, tables: Tables) -> None:
        self._records = tables.audit
        self._heads = tables.heads

    def append(self, stream: str, actx: AuditContext, events: Sequence[Event]) -> list[AuditRecord]:
        seq, prev = self._heads.get(stream, (0, GENESIS_HASH))
        sealed: list[AuditRecord] = []
        for event in events:
            seq += 1
            record = seal(stream, seq, prev, actx, event)
            sealed.append(record)
            prev = record.hash
        if sealed:
            # A new tuple, never an in-place append: the commit sees the stream as changed.
            self._records[stream] = (*self._records.get(stream, ()), *sealed)
            self._heads[stream] = (seq, prev)
        return sealed

    def append_many(
        self, actx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
    ) -> list[AuditRecord]:
        return [
            record for stream, events in entries for record in self.append(stream, actx, events)
        ]

    def insight_counts(
        self,
        scope: JobScope,
        first_day: date,
        last_day: date,
        *,
        now: datetime,
        strip_ends_at: datetime,
    ) -> tuple[list[Count], Live]:
        # The counting is SQL's (tests/integration); the service's arithmetic is the domain's.
        return [], Live(overdue_open=0, pending_final_at=())

    def records(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        return [r for r in self._records.get(stream, ()) if r.seq > after_seq][:limit]

    def head(self, stream: str) -> tuple[int, str] | None:
        return self._heads.get(stream)

    def streams(self) -> Iterable[str]:
        return sorted(self._records.keys() | self._heads.keys())

    def heads(self) -> list[SealedHead]:
        return [SealedHead(s, seq, digest) for s, (seq, digest) in self._heads.items()]

    def scan(self) -> Iterator[AuditRecord]:
        for stream in sorted(self._records):
            yield from self._records[stream]


class FakeCheckpointLog:
    def __init__(self, tables: Tables) -> None:
        self._issued = tables.checkpoints

    def add(self, issued: IssuedCheckpoint) -> None:
        self._issued[len(self._issued) + 1] = issued

    def latest(self) -> IssuedCheckpoint | None:
        return self._issued[max(self._issued)] if self._issued else None


class FakePolicyRepository:
    def __init__(self, tables: Tables) -> None:
        self._policies = tables.policies

    def history(self) -> PolicyHistory:
        return PolicyHistory(tuple(p.table for p in self._policies.values()))

    def add(self, table: DecisionTable, *, published_by: str, published_at: datetime) -> None:
        if table.version in self._policies:
            raise Conflict(f"policy version {table.version} was published by someone else")
        self._policies[table.version] = PublishedPolicy(table, published_by, published_at)


class FakeCalendarRepository:
    def __init__(self, tables: Tables) -> None:
        self._holidays = tables.holidays
        self._counters = tables.counters

    def company_holidays(self) -> dict[date, str]:
        return dict(self._holidays)

    def add_holiday(self, day: date, name: str) -> None:
        self._holidays[day] = name

    def remove_holiday(self, day: date) -> None:
        if day not in self._holidays:
            raise NotFound(f"{day.isoformat()} is not a company holiday")
        del self._holidays[day]

    def version(self) -> int:
        return self._counters[CALENDAR_VERSION]

    def snapshot(self) -> tuple[dict[date, str], int]:
        return self.company_holidays(), self.version()

    def bump_version(self) -> int:
        self._counters[CALENDAR_VERSION] += 1
        return self._counters[CALENDAR_VERSION]


class FakeUserRepository:
    def __init__(self, tables: Tables) -> None:
        self._users = tables.users
        self._jobs = tables.jobs

    def scope_exists(self, role: Role, scope_id: str) -> bool:
        for job in self._jobs.values():
            people = {
                Role.INSTALLER: job.installer.id,
                Role.SALES_REP: job.sales_rep.id,
                Role.HOMEOWNER: job.homeowner.id,
            }
            if people.get(role) == scope_id:
                return True
        return False

    def add(self, user: User) -> None:
        if self.by_username(user.username) is not None:
            raise AlreadyExists(f"the username {user.username!r} is taken", field="username")
        self._users[user.id] = _copy(user)

    def get(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}")
        return _copy(user)

    def by_username(self, username: str) -> User | None:
        found = [u for u in self._users.values() if u.username == username]
        return _copy(found[0]) if found else None

    def list(self, *, after: str | None = None, limit: int | None = None) -> list[User]:
        found = sorted(self._users.values(), key=lambda u: u.username)
        if after is not None:
            anchor = self._users[after].username
            found = [u for u in found if u.username > anchor]
        return [_copy(u) for u in found[:limit]]

    def save(self, user: User) -> None:
        if user.id not in self._users:
            raise NotFound(f"no user with id {user.id!r}")
        self._users[user.id] = _copy(user)


class FakeTokenRepository:
    def __init__(self, tables: Tables) -> None:
        self._tokens = tables.tokens
        self._users = tables.users

    def add(self, token: TokenRecord) -> None:
        self._tokens[token.digest] = token

    def get(self, digest: str) -> TokenRecord | None:
        return self._tokens.get(digest)

    def holder(self, digest: str) -> tuple[TokenRecord, User] | None:
        token = self._tokens.get(digest)
        user = None if token is None else self._users.get(token.user_id)
        return None if token is None or user is None else (token, _copy(user))

    def revoke(self, digest: str, at: datetime) -> None:
        token = self._tokens.get(digest)
        if token is not None and token.revoked_at is None:
            self._tokens[digest] = replace(token, revoked_at=at)

    def revoke_all(self, user_id: str, at: datetime) -> int:
        live = [t for t in self._tokens.values() if t.user_id == user_id and t.valid_at(at)]
        for token in live:
            self._tokens[token.digest] = replace(token, revoked_at=at)
        return len(live)


class FakeIdempotencyStore:
    def __init__(self, tables: Tables) -> None:
        self._entries = tables.idempotency

    def reserve(
        self, user_id: str, key: str, fingerprint: str, at: datetime
    ) -> IdempotencyEntry | None:
        existing = self._entries.get((user_id, key))
        if existing is not None:
            return existing
        self._entries[(user_id, key)] = IdempotencyEntry(fingerprint, None, at)
        return None

    def complete(self, user_id: str, key: str, response: StoredResponse) -> None:
        entry = self._entries.get((user_id, key))
        if entry is not None:
            self._entries[(user_id, key)] = replace(entry, response=response)

    def release(self, user_id: str, key: str) -> None:
        self._entries.pop((user_id, key), None)

    def take_over(self, user_id: str, key: str, reserved_at: datetime, at: datetime) -> bool:
        entry = self._entries.get((user_id, key))
        if entry is None or entry.response is not None or entry.reserved_at != reserved_at:
            return False
        self._entries[(user_id, key)] = IdempotencyEntry(entry.fingerprint, None, at)
        return True


# --- the unit of work -------------------------------------------------------------------


class FakeInboundRepository:
    def __init__(self, tables: Tables) -> None:
        self._inbound = tables.inbound
        self._jobs = tables.jobs

    def add(self, record: InboundRecord) -> None:
        self._inbound[record.id] = record

    def get(self, inbound_id: str) -> InboundRecord | None:
        return self._inbound.get(inbound_id)

    def save(self, record: InboundRecord) -> None:
        self._inbound[record.id] = record

    def seen(self, message_id: str) -> bool:
        return bool(message_id) and any(r.message_id == message_id for r in self._inbound.values())

    def seen_content(self, digest: str, since: datetime) -> InboundRecord | None:
        found = [
            r
            for r in self._inbound.values()
            if digest and r.content_digest == digest and r.received_at >= since
        ]
        return max(found, key=lambda r: r.received_at) if found else None

    def triage(self, limit: int = 100) -> list[InboundRecord]:
        waiting = [r for r in self._inbound.values() if r.status is InboundStatus.TRIAGE]
        return sorted(waiting, key=lambda r: (r.received_at, r.id))[:limit]

    def for_job(
        self, job_id: str, address: str, scope: JobScope, limit: int = 20
    ) -> list[InboundRecord]:
        sender = address.strip().lower()
        about = [
            r
            for r in self._inbound.values()
            if r.status is not InboundStatus.DUPLICATE
            and (r.job_id == job_id or (bool(sender) and r.from_address.lower() == sender))
            and _within(self._jobs, r.job_id, scope)
        ]
        return sorted(about, key=lambda r: (r.received_at, r.id), reverse=True)[:limit]


class FakeUnitOfWork:
    # Declared as the ports (Protocol attributes are invariant); the fakes are bound on enter.
    jobs: JobRepository
    requests: RequestRepository
    challenges: ChallengeRepository
    cases: CaseRepository
    links: SelfServiceLinkRepository
    feed: FeedRepository
    outbox: Outbox
    audit: AuditLog
    checkpoints: CheckpointLog
    policies: PolicyRepository
    calendar: CalendarRepository
    users: UserRepository
    tokens: TokenRepository
    idempotency: IdempotencyStore
    webhooks: WebhookRepository

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = False
        self._base: Tables | None = None
        self._work: Tables | None = None

    def __enter__(self) -> Self:
        if self._base is not None:
            raise RuntimeError("this unit of work is already open; nest a new one instead")
        self._base = self.store.tables.snapshot()
        self._bind(self._base.snapshot())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Whatever was not committed is dropped with the working copy.
        self._base = self._work = None

    def commit(self) -> None:
        if self._base is None or self._work is None:
            raise RuntimeError("the unit of work is not open; use it as `with uow: ...`")
        self.store.apply(self._base, self._work)
        self.committed = True
        # Later work in the same block starts from what is now committed.
        self._base = self.store.tables.snapshot()
        self._bind(self._base.snapshot())

    def rollback(self) -> None:
        if self._base is None:
            raise RuntimeError("the unit of work is not open; use it as `with uow: ...`")
        self._bind(self._base.snapshot())

    def joined(self) -> FakeUnitOfWork:
        # Only the API's Idempotency-Key joins units of work, and the API runs on a database.
        raise NotImplementedError("the fakes run every use case in its own transaction")

    @property
    def kept(self) -> bool:
        return False

    def _bind(self, work: Tables) -> None:
        self._work = work
        self.jobs = FakeJobRepository(work)
        self.requests = FakeRequestRepository(work)
        self.challenges = FakeChallengeRepository(work)
        self.cases = FakeCaseRepository(work)
        self.links = FakeSelfServiceLinkRepository(work)
        self.feed = FakeFeedRepository(work)
        self.outbox = FakeOutbox(work, self.store.next_message_id)
        self.audit = FakeAuditLog(work)
        self.checkpoints = FakeCheckpointLog(work)
        self.policies = FakePolicyRepository(work)
        self.calendar = FakeCalendarRepository(work)
        self.users = FakeUserRepository(work)
        self.tokens = FakeTokenRepository(work)
        self.idempotency = FakeIdempotencyStore(work)
        self.inbound = FakeInboundRepository(work)
        self.webhooks = FakeWebhookRepository(
            work.events, work.endpoints, work.deliveries, work.jobs
        )


# --- clock, context, factories -----------------------------------------------------------


class FixedClock:
    """A clock that stands still until a test sets or advances it; always aware UTC."""

    def __init__(self, at: datetime) -> None:
        self._now = self._utc(at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = self._utc(at)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**parts)
        return self._now

    @staticmethod
    def _utc(at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"FixedClock needs an aware datetime, got {at.isoformat()}")
        return at.astimezone(UTC)


def make_context(store: FakeStore, clock: FixedClock, tz: str = "America/New_York") -> Context:
    def new_uow() -> UnitOfWork:
        return FakeUnitOfWork(store)

    return Context(
        uow=new_uow,
        clock=clock,
        tz=ZoneInfo(tz),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )


_job_numbers = itertools.count(1)


def job_factory(**overrides: Any) -> Job:
    """A regular M1 job in operations, signed 2026-10-01, only the homeowner signed.

    Any ``Job`` field may be overridden; the product model follows the milestone unless given.
    """
    milestone = overrides.get("milestone", Milestone.M1)
    if "product_model" not in overrides:
        regular = milestone in MILESTONES[ProductModel.REGULAR]
        overrides["product_model"] = ProductModel.REGULAR if regular else ProductModel.DIRECT_PAY
    n = next(_job_numbers)
    fields: dict[str, Any] = {
        "id": f"JOB-{n}",
        "homeowner": Homeowner(
            id=f"HO-{n}", name="Pat Homeowner", email=f"pat{n}@home.example", phone="555-0100"
        ),
        "installer": InstallerCompany(id="INST-1", name="Sunny Roofs", email="ops@sunny.example"),
        "sales_rep": SalesRep(id="REP-1", name="Sam Rep", email="sam@sales.example"),
        "milestone": milestone,
        "contract_signed_date": date(2026, 10, 1),
        "installer_signed": False,
        "sales_rep_signed": False,
        "phase": Phase.OPERATIONS,
    }
    fields.update(overrides)
    return Job(**fields)


_POLICY_V1: dict[str, object] | None = None


def policy_v1_document() -> dict[str, object]:
    """The repository's seed table, parsed once; callers get their own deep copy."""
    global _POLICY_V1
    if _POLICY_V1 is None:
        _POLICY_V1 = load_policy_document(default_policy_path())
    return copy.deepcopy(_POLICY_V1)


def seed_policy_v1(ctx: Context) -> None:
    seed_policy(ctx, policy_v1_document())


def add_jobs(ctx: Context, *jobs: Job) -> None:
    with ctx.uow() as uow:
        for job in jobs:
            uow.jobs.add(job)
        uow.commit()


@dataclass
class World:
    """A store, a clock and a context over them, with policy v1 seeded."""

    store: FakeStore
    clock: FixedClock
    ctx: Context

    @classmethod
    def start(cls, at: datetime, tz: str = "America/New_York") -> World:
        store = FakeStore()
        clock = FixedClock(at)
        ctx = make_context(store, clock, tz)
        seed_policy_v1(ctx)
        return cls(store, clock, ctx)

    def add(self, **overrides: Any) -> Job:
        job = job_factory(**overrides)
        add_jobs(self.ctx, job)
        return job


def file_verified_request(world: World, job_id: str, *, channel: Channel = Channel.EMAIL) -> str:
    """A homeowner's email request from the address on file, statement attached; its id."""
    job = world.store.job(job_id)
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job_id,
            channel=channel,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name=job.homeowner.name,
            statement=WrittenStatement(
                kind=StatementKind.EMAIL,
                content="Please cancel my solar contract.",
                from_address=job.homeowner.email,
            ),
        ),
        actor=actor("agent:alex"),
    )
    verify_by_address_on_file(
        world.ctx,
        request.id,
        sender=job.homeowner.email,
        authenticated=True,
        actor=actor("agent:alex"),
    )
    return request.id


_ROLES_BY_PREFIX = {
    "agent": Role.AGENT,
    "admin": Role.ADMIN,
    "bo": Role.BACK_OFFICE,
    "dp": Role.DEAL_PROCESSING,
    "installer": Role.INSTALLER,
    "rep": Role.SALES_REP,
    "ho": Role.HOMEOWNER,
    "system": Role.SYSTEM,
}


def actor(text: str, scope_id: str | None = None) -> Actor:
    """``actor("agent:alex")``: the role comes from the prefix; scoped roles need ``scope_id``."""
    prefix = text.split(":", 1)[0]
    return Actor(id=text, role=_ROLES_BY_PREFIX.get(prefix, Role.AGENT), scope_id=scope_id)
