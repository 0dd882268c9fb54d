"""Jobs with their people and review items, loaded in two queries however many are asked for.

The finalisation sweep loads thousands of due jobs: one joined SELECT brings each job with
its homeowner, installer and sales rep, and one more brings all their review items (both as
plain rows, see ``job_rows.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import Keyed
from rescind.adapters.db.mapping import INSTALLER, JOB, REVIEW_ITEM, SALES_REP
from rescind.adapters.db.repositories import job_facts
from rescind.adapters.db.repositories.job_batches import (
    existing_ids,
    homeowner_row,
    insert_jobs,
    rename_in_jobs,
    update_jobs,
)
from rescind.adapters.db.repositories.job_rows import ItemRow, joined, to_job, values
from rescind.adapters.db.repositories.job_search import conditions
from rescind.adapters.db.repositories.versioning import save_changed, seen_in, update_if_current
from rescind.adapters.db.tables import (
    HomeownerRow,
    InstallerCompanyRow,
    JobRow,
    ReviewItemRow,
    SalesRepRow,
)
from rescind.domain.errors import job_not_found
from rescind.domain.job import InstallerCompany, Job, JobStatus
from rescind.services.ports import FactGroup, JobQuery

Person = HomeownerRow | InstallerCompanyRow | SalesRepRow
# Built once: building a statement (and its cache key) costs more Python than running it.
_BY_ID = joined().where(JobRow.id == bindparam("job_id"))
_ITEMS_OF = Keyed(select(*REVIEW_ITEM.selected), ReviewItemRow.job_id)
# What we last read or wrote of a job's review items: their rows, in order.
ItemSnapshot = tuple[dict[str, Any], ...]


class SqlJobRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._items_seen: dict[str, ItemSnapshot] = {}
        # The column values each job had when read here, so a save writes only what changed.
        self._seen = seen_in(session, JobRow)
        self._people: dict[tuple[type[Person], str], Person] = {}

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def find(self, job_id: str) -> Job | None:
        rows = self._session.execute(_BY_ID, {"job_id": job_id}).all()
        jobs = self._build(rows)
        return jobs[0] if jobs else None

    def add(self, job: Job) -> None:
        renamed = self._upsert(HomeownerRow(**homeowner_row(job.homeowner)))
        self._upsert(InstallerCompanyRow(**INSTALLER.row(job.installer)))
        self._upsert(SalesRepRow(**SALES_REP.row(job.sales_rep)))
        self._session.add(JobRow(**JOB.row(job)))
        if renamed:
            rename_in_jobs(self._session, [job.homeowner.id])
        items = _snapshot(job)
        self._session.add_all(ReviewItemRow(**item) for item in items)
        self._items_seen[job.id] = items
        self._seen.remember(job.id, values(job))

    def existing(self, job_ids: Collection[str]) -> set[str]:
        return existing_ids(self._session, job_ids)

    def add_many(self, jobs: Sequence[Job]) -> None:
        rows = [values(job) for job in jobs]
        insert_jobs(self._session, jobs, rows)
        for job, row in zip(jobs, rows, strict=True):
            self._items_seen[job.id] = _snapshot(job)
            self._seen.remember(job.id, row)

    def save_many(self, jobs: Sequence[Job]) -> None:
        """Only the columns some job of the batch changed travel (the sweep changes two): the
        version check guarantees the others are still as read."""
        now = [values(job) for job in jobs]
        changed: set[str] = set()
        for job, current in zip(jobs, now, strict=True):
            before = self._seen.get(job.id)
            changed.update(current if before is None else JOB.changed(before, current))
        update_jobs(self._session, jobs, [{k: v[k] for k in v if k in changed} for v in now])
        for job, current in zip(jobs, now, strict=True):
            self._seen.remember(job.id, current)
            self._write_items(job)
            job.version += 1

    def save(self, job: Job) -> None:
        save_changed(self._session, JOB, job, self._seen, noun="job")
        self._write_items(job)

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
        self._seen.forget()
        self._people.clear()

    def _upsert(self, person: Person) -> bool:
        """Insert or update a person by id, once per transaction however many jobs share it;
        True when a person already here (stored or staged) had another name.

        merge() runs without autoflush so rows staged earlier in this unit of work (say a
        feed comment for this job) wait for the flush that orders parents first; and a
        person staged by an earlier ``add`` is reused, as merge() cannot see unflushed rows.
        """
        key = (type(person), person.id)
        staged = self._people.get(key)
        if staged is not None:
            renamed = staged.name != person.name
            staged.name, staged.email = person.name, person.email
            if isinstance(staged, HomeownerRow) and isinstance(person, HomeownerRow):
                staged.phone = person.phone
                staged.email_key, staged.name_key = person.email_key, person.name_key
                staged.phone_key, staged.surname_key = person.phone_key, person.surname_key
            return renamed
        with self._session.no_autoflush:
            # The SELECT merge() would run; merge() then finds the row in the identity map.
            stored = cast("Person | None", self._session.get(type(person), person.id))
            renamed = stored is not None and stored.name != person.name
            self._people[key] = self._session.merge(person)
        return renamed

    def _build(self, rows: Sequence[Row[Any]]) -> list[Job]:
        items = self._items_of([row.id for row in rows])
        jobs = [to_job(row, items.get(row.id, [])) for row in rows]
        for job in jobs:
            self._items_seen[job.id] = _snapshot(job)
            self._seen.remember(job.id, values(job))
        return jobs

    def _items_of(self, job_ids: list[str]) -> dict[str, list[ItemRow]]:
        found: dict[str, list[ItemRow]] = defaultdict(list)
        for item in sorted(
            _ITEMS_OF(self._session, job_ids),
            key=lambda item: (item.job_id, item.position),
        ):
            found[item.job_id].append(cast(ItemRow, item))
        return found

    def _write_items(self, job: Job) -> None:
        """Write only the review items that changed since they were read (usually none)."""
        now = _snapshot(job)
        before = self._items_seen.get(job.id)
        if before is None:
            before = tuple(r._asdict() for r in self._items_of([job.id]).get(job.id, []))
        if now == before:
            return
        old = {item["id"]: item for item in before}
        for item in now:
            if item["id"] not in old:
                self._session.add(ReviewItemRow(**item))
            elif changed := REVIEW_ITEM.changed(old[item["id"]], item):
                self._session.execute(
                    update(ReviewItemRow)
                    .where(ReviewItemRow.job_id == job.id, ReviewItemRow.id == item["id"])
                    .values(**changed)
                    .execution_options(synchronize_session=False)
                )
        gone = set(old) - {item["id"] for item in now}
        if gone:
            self._session.execute(
                delete(ReviewItemRow).where(
                    ReviewItemRow.job_id == job.id, ReviewItemRow.id.in_(gone)
                )
            )
        self._items_seen[job.id] = now


def _snapshot(job: Job) -> ItemSnapshot:
    return tuple(
        REVIEW_ITEM.row(item, job_id=job.id, position=position)
        for position, item in enumerate(job.review.items)
    )
