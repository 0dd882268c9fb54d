"""Jobs with their people and review items, loaded in two queries however many are asked for.

The finalisation sweep loads thousands of due jobs: one joined SELECT brings each job with
its homeowner, installer and sales rep, and one more brings all their review items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.job_search import conditions, homeowner_keys
from rescind.adapters.db.repositories.versioning import chunks, update_if_current
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
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewItem,
    ReviewItemStatus,
    ReviewStatus,
    SalesRep,
)
from rescind.services.ports import JobQuery

JobRows = Row[JobRow, HomeownerRow, InstallerCompanyRow, SalesRepRow]
Person = HomeownerRow | InstallerCompanyRow | SalesRepRow
# What we last read or wrote of a job's review items: (id, description, status) in order.
ItemSnapshot = tuple[tuple[str, str, str], ...]


class SqlJobRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._items_seen: dict[str, ItemSnapshot] = {}
        self._people: dict[tuple[type[Person], str], Person] = {}

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    def find(self, job_id: str) -> Job | None:
        rows = self._session.execute(_joined().where(JobRow.id == job_id)).all()
        jobs = self._build(rows)
        return jobs[0] if jobs else None

    def add(self, job: Job) -> None:
        homeowner = job.homeowner
        keys = homeowner_keys(name=homeowner.name, email=homeowner.email, phone=homeowner.phone)
        self._upsert(HomeownerRow(**_person(homeowner), phone=homeowner.phone, **keys))
        self._upsert(InstallerCompanyRow(**_person(job.installer)))
        self._upsert(SalesRepRow(**_person(job.sales_rep)))
        self._session.add(JobRow(id=job.id, version=job.version, **_job_values(job)))
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

    def save(self, job: Job) -> None:
        update_if_current(
            self._session,
            JobRow,
            noun="job",
            row_id=job.id,
            version=job.version,
            values=_job_values(job),
        )
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
            _joined()
            .where(JobRow.status == JobStatus.CANCEL_PENDING.value, JobRow.final_at <= now)
            .order_by(JobRow.final_at, JobRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # Claim only the job rows (not the shared people) and step over rows another
            # sweeper holds. SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
            statement = statement.with_for_update(skip_locked=True, of=JobRow)
        return self._build(self._session.execute(statement).all())

    def pending(self, limit: int | None = None) -> list[Job]:
        statement = (
            _joined()
            .where(JobRow.status == JobStatus.CANCEL_PENDING.value)
            .order_by(JobRow.final_at, JobRow.id)
            .limit(limit)
        )
        return self._build(self._session.execute(statement).all())

    def search(self, query: JobQuery) -> list[Job]:
        dialect = self._session.get_bind().dialect.name
        statement = (
            _joined().where(*conditions(query, dialect)).order_by(JobRow.id).limit(query.limit)
        )
        return self._build(self._session.execute(statement).all())

    def forget(self) -> None:
        """Drop what we remember of rows (after a rollback it may be untrue)."""
        self._items_seen.clear()
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
                staged.phone_key = person.phone_key
            return
        with self._session.no_autoflush:
            self._people[key] = self._session.merge(person)

    def _build(self, rows: Sequence[JobRows]) -> list[Job]:
        items = self._items_of([row[0].id for row in rows])
        jobs = [
            _to_job(job, homeowner, installer, rep, items.get(job.id, []))
            for job, homeowner, installer, rep in rows
        ]
        for job in jobs:
            self._items_seen[job.id] = _snapshot(job)
        return jobs

    def _items_of(self, job_ids: list[str]) -> dict[str, list[ReviewItemRow]]:
        found: dict[str, list[ReviewItemRow]] = defaultdict(list)
        for ids in chunks(job_ids):
            statement = (
                select(ReviewItemRow)
                .where(ReviewItemRow.job_id.in_(ids))
                .order_by(ReviewItemRow.job_id, ReviewItemRow.position)
                .execution_options(populate_existing=True)
            )
            for item in self._session.scalars(statement):
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


def _joined() -> Select[JobRow, HomeownerRow, InstallerCompanyRow, SalesRepRow]:
    return (
        select(JobRow, HomeownerRow, InstallerCompanyRow, SalesRepRow)
        .join(HomeownerRow, JobRow.homeowner_id == HomeownerRow.id)
        .join(InstallerCompanyRow, JobRow.installer_id == InstallerCompanyRow.id)
        .join(SalesRepRow, JobRow.sales_rep_id == SalesRepRow.id)
        .execution_options(populate_existing=True)
    )


def _person(person: Homeowner | InstallerCompany | SalesRep) -> dict[str, str]:
    return {"id": person.id, "name": person.name, "email": person.email}


def _job_values(job: Job) -> dict[str, Any]:
    """Every column of a job except its id and version."""
    return {
        "homeowner_id": job.homeowner.id,
        "installer_id": job.installer.id,
        "sales_rep_id": job.sales_rep.id,
        "product_model": job.product_model.value,
        "milestone": job.milestone.value,
        "review_status": job.review.status.value,
        "invoice_uploaded": job.invoice_uploaded,
        "system_photos_uploaded": job.system_photos_uploaded,
        "partner_program": job.partner_program.value,
        "installer_signed": job.installer_signed,
        "sales_rep_signed": job.sales_rep_signed,
        "contract_signed_date": job.contract_signed_date,
        "phase": job.phase.value,
        "status": job.status.value,
        "pending_since_at": job.pending_since_at,
        "final_at": job.final_at,
        "calendar_version": job.calendar_version,
        "cancelled_at": job.cancelled_at,
    }


def _to_job(
    row: JobRow,
    homeowner: HomeownerRow,
    installer: InstallerCompanyRow,
    rep: SalesRepRow,
    items: list[ReviewItemRow],
) -> Job:
    return Job(
        id=row.id,
        homeowner=Homeowner(
            id=homeowner.id, name=homeowner.name, email=homeowner.email, phone=homeowner.phone
        ),
        installer=InstallerCompany(id=installer.id, name=installer.name, email=installer.email),
        sales_rep=SalesRep(id=rep.id, name=rep.name, email=rep.email),
        product_model=ProductModel(row.product_model),
        milestone=Milestone(row.milestone),
        contract_signed_date=row.contract_signed_date,
        review=MilestoneReview(
            status=ReviewStatus(row.review_status),
            items=[
                ReviewItem(id=i.id, description=i.description, status=ReviewItemStatus(i.status))
                for i in items
            ],
        ),
        invoice_uploaded=row.invoice_uploaded,
        system_photos_uploaded=row.system_photos_uploaded,
        partner_program=PartnerProgram(row.partner_program),
        installer_signed=row.installer_signed,
        sales_rep_signed=row.sales_rep_signed,
        phase=Phase(row.phase),
        status=JobStatus(row.status),
        pending_since_at=row.pending_since_at,
        final_at=row.final_at,
        calendar_version=row.calendar_version,
        cancelled_at=row.cancelled_at,
        version=row.version,
    )


def _snapshot(job: Job) -> ItemSnapshot:
    return tuple((i.id, i.description, i.status.value) for i in job.review.items)


def _snapshot_of_rows(rows: list[ReviewItemRow]) -> ItemSnapshot:
    return tuple((r.id, r.description, r.status) for r in rows)
