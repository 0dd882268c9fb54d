"""The repositories of the procedure's aggregates."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol

from rescind.domain.access import JobScope, Role
from rescind.domain.case import Case, Queue
from rescind.domain.eligibility import DecisionTable, PolicyHistory
from rescind.domain.feed import FeedComment
from rescind.domain.inbound import InboundRecord
from rescind.domain.job import (
    InstallerCompany,
    Job,
)
from rescind.domain.request import CancellationRequest
from rescind.domain.self_service import SelfServiceLink
from rescind.domain.user import User
from rescind.domain.verification import ChallengeStatus, VerificationChallenge
from rescind.services.ports.queries import FactGroup, JobQuery


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
