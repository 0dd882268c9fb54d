"""Jobs with their people and review items, loaded in two queries however many are asked for.

The finalisation sweep loads thousands of due jobs: one joined SELECT brings each job with
its homeowner, installer and sales rep, and one more brings all their review items (both as
plain rows, see ``job_rows.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import keyed
from rescind.adapters.db.repositories import job_facts
from rescind.adapters.db.repositories.job_batches import existing_ids, insert_jobs, update_jobs
from rescind.adapters.db.repositories.job_rows import ItemRow, joined, to_job, values
from rescind.adapters.db.repositories.job_search import conditions
from rescind.adapters.db.repositories.versioning import update_if_current
from rescind.adapters.db.tables import (
    HomeownerRow,
    InstallerCompanyRow,
    JobRow,
    ReviewItemRow,
    SalesRepRow,
)
from rescind.domain.errors import job_not_found
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    JobStatus,
    SalesRep,
)
from rescind.domain.search import homeowner_keys
from rescind.services.ports import FactGroup, JobQuery

Person = HomeownerRow | InstallerCompanyRow | SalesRepRow
# What we last read or wrote of a job's review items: (id, description, status) in order.
ItemSnapshot = tuple[tuple[str, str, str], ...]


class SqlJobRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._items_seen: dict[str, ItemSnapshot] = {}
        # The column values each job had when read here, so a batch writes only what changed.
        self._values_seen: dict[str, dict[str, Any]] = {}
        self._people: dict[tuple[type[Person], str], Person] = {}

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def find(self, job_id: str) -> Job | None:
        rows = self._session.execute(joined().where(JobRow.id == job_id)).all()
        jobs = self._build(rows)
        return jobs[0] if jobs else None

    def add(self, job: Job) -> None:
        homeowner = job.homeowner
        keys = homeowner_keys(name=homeowner.name, email=homeowner.email, phone=homeowner.phone)
        self._upsert(HomeownerRow(**_person(homeowner), phone=homeowner.phone, **keys))
        self._upsert(InstallerCompanyRow(**_person(job.installer)))
        self._upsert(SalesRepRow(**_person(job.sales_rep)))
        self._session.add(JobRow(id=job.id, version=job.version, **values(job)))
        self._session.add_all(
            ReviewItemRow(
                job_id=job.id,
                id=item.id,
                description=item.description,
                status=item.status.value,
                position=position,
            )
            for position, item in enumerate(job.review.items)
        )
        self._items_seen[job.id] = _snapshot(job)

    def existing(self, job_ids: Collection[str]) -> set[str]:
        return existing_ids(self._session, job_ids)

    def add_many(self, jobs: Sequence[Job]) -> None:
        insert_jobs(self._session, jobs, [values(job) for job in jobs])
        for job in jobs:
            self._items_seen[job.id] = _snapshot(job)

    def save_many(self, jobs: Sequence[Job]) -> None:
        """Only the columns some job of the batch changed travel (the sweep changes two): the
        version check guarantees the others are still as read."""
        now = [values(job) for job in jobs]
        changed: set[str] = set()
        for job, current in zip(jobs, now, strict=True):
            before = self._values_seen.get(job.id)
            changed.update(k for k, v in current.items() if before is None or before[k] != v)
        update_jobs(self._session, jobs, [{k: v[k] for k in v if k in changed} for v in now])
        for job, current in zip(jobs, now, strict=True):
            self._values_seen[job.id] = current
            self._write_items(job)
            job.version += 1

    def save(self, job: Job) -> None:
        update_if_current(
            self._session,
            JobRow,
            noun="job",
            row_id=job.id,
            version=job.version,
            values=values(job),
        )
        self._values_seen.pop(job.id, None)  # a later save_many writes every column
        self._write_items(job)
        job.version += 1

    def hold(self, job: Job) -> None:
        update_if_current(
            self._session,
            JobRow,
            noun="job",
            row_id=job.id,
            version=job.version,
            values={},
            bump=False,
        )

    def due_for_finalization(self, now: datetime, limit: int) -> list[Job]:
        statement = (
            joined()
            .where(JobRow.status == JobStatus.CANCEL_PENDING.value, JobRow.final_at <= now)
            .order_by(JobRow.final_at, JobRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # Claim only the job rows (not the shared people) and step over rows another
            # sweeper holds. SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
            statement = statement.with_for_update(skip_locked=True, of=JobRow)
        return self._build(self._session.execute(statement).all())

    def live_fact_groups(self) -> list[FactGroup]:
        return job_facts.live_fact_groups(self._session)

    def live_ids_with_facts(self, facts: dict[str, str | bool], limit: int) -> list[str]:
        return job_facts.live_ids_with_facts(self._session, facts, limit)

    def pending(self, limit: int | None = None) -> list[Job]:
        statement = (
            joined()
            .where(JobRow.status == JobStatus.CANCEL_PENDING.value)
            .order_by(JobRow.final_at, JobRow.id)
            .limit(limit)
        )
        return self._build(self._session.execute(statement).all())

    def search(self, query: JobQuery) -> list[Job]:
        dialect = self._session.get_bind().dialect.name
        statement = (
            joined().where(*conditions(query, dialect)).order_by(JobRow.id).limit(query.limit)
        )
        return self._build(self._session.execute(statement).all())

    def installers(self) -> list[InstallerCompany]:
        rows = self._session.execute(
            select(
                InstallerCompanyRow.id, InstallerCompanyRow.name, InstallerCompanyRow.email
            ).order_by(InstallerCompanyRow.name, InstallerCompanyRow.id)
        ).all()
        return [InstallerCompany(id=r.id, name=r.name, email=r.email) for r in rows]

    def forget(self) -> None:
        """Drop what we remember of rows (after a rollback it may be untrue)."""
        self._items_seen.clear()
        self._values_seen.clear()
        self._people.clear()

    def _upsert(self, person: Person) -> None:
        """Insert or update a person by id, once per transaction however many jobs share it.

        merge() runs without autoflush so rows staged earlier in this unit of work (say a
        feed comment for this job) wait for the flush that orders parents first; and a
        person staged by an earlier ``add`` is reused, as merge() cannot see unflushed rows.
        """
        key = (type(person), person.id)
        staged = self._people.get(key)
        if staged is not None:
            staged.name, staged.email = person.name, person.email
            if isinstance(staged, HomeownerRow) and isinstance(person, HomeownerRow):
                staged.phone = person.phone
                staged.email_key, staged.name_key = person.email_key, person.name_key
                staged.phone_key, staged.surname_key = person.phone_key, person.surname_key
            return
        with self._session.no_autoflush:
            self._people[key] = self._session.merge(person)

    def _build(self, rows: Sequence[Row[Any]]) -> list[Job]:
        items = self._items_of([row.id for row in rows])
        jobs = [to_job(row, items.get(row.id, [])) for row in rows]
        for job in jobs:
            self._items_seen[job.id] = _snapshot(job)
            self._values_seen[job.id] = values(job)
        return jobs

    def _items_of(self, job_ids: list[str]) -> dict[str, list[ItemRow]]:
        found: dict[str, list[ItemRow]] = defaultdict(list)
        statement = select(
            ReviewItemRow.job_id,
            ReviewItemRow.id,
            ReviewItemRow.description,
            ReviewItemRow.status,
            ReviewItemRow.position,
        )
        for item in sorted(
            keyed(self._session, statement, ReviewItemRow.job_id, job_ids),
            key=lambda item: (item.job_id, item.position),
        ):
            found[item.job_id].append(item)
        return found

    def _write_items(self, job: Job) -> None:
        """Write only the review items that changed since they were read (usually none)."""
        now = _snapshot(job)
        before = self._items_seen.get(job.id)
        if before is None:
            before = _snapshot_of_rows(self._items_of([job.id]).get(job.id, []))
        if now == before:
            return
        old = {item[0]: (position, *item) for position, item in enumerate(before)}
        for position, (item_id, description, status) in enumerate(now):
            if item_id not in old:
                self._session.add(
                    ReviewItemRow(
                        job_id=job.id,
                        id=item_id,
                        description=description,
                        status=status,
                        position=position,
                    )
                )
            elif old[item_id] != (position, item_id, description, status):
                self._session.execute(
                    update(ReviewItemRow)
                    .where(ReviewItemRow.job_id == job.id, ReviewItemRow.id == item_id)
                    .values(description=description, status=status, position=position)
                    .execution_options(synchronize_session=False)
                )
        gone = set(old) - {item_id for item_id, _, _ in now}
        if gone:
            self._session.execute(
                delete(ReviewItemRow).where(
                    ReviewItemRow.job_id == job.id, ReviewItemRow.id.in_(gone)
                )
            )
        self._items_seen[job.id] = now


def _person(person: Homeowner | InstallerCompany | SalesRep) -> dict[str, str]:
    return {"id": person.id, "name": person.name, "email": person.email}


def _snapshot(job: Job) -> ItemSnapshot:
    return tuple((i.id, i.description, i.status.value) for i in job.review.items)


def _snapshot_of_rows(rows: Sequence[ItemRow]) -> ItemSnapshot:
    return tuple((r.id, r.description, r.status) for r in rows)
