"""Jobs written a batch at a time: an import's thousand rows, a sweep's five hundred.

One statement per table per batch (``bulk.py``) instead of one ORM object per row. People are
upserted once each however many jobs of the batch share them, in id order, so two batches
lock shared rows in the same order and cannot deadlock; a person whose details did not change
is not rewritten. Changed jobs are written back with their version checked: fewer rows
changed than jobs given means someone else moved one on, and the batch is a ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_rows, keyed, update_rows
from rescind.adapters.db.fields import Fields
from rescind.adapters.db.mapping import HOMEOWNER, INSTALLER, REVIEW_ITEM, SALES_REP
from rescind.adapters.db.repositories.versioning import chunks
from rescind.adapters.db.tables import (
    HomeownerRow,
    InstallerCompanyRow,
    JobRow,
    ReviewItemRow,
    SalesRepRow,
)
from rescind.domain.errors import Conflict
from rescind.domain.job import Homeowner, Job
from rescind.domain.search import homeowner_keys


def _table(row_class: type[Any]) -> Table:
    return cast(Table, row_class.__table__)


def existing_ids(session: Session, job_ids: Collection[str]) -> set[str]:
    return {row.id for row in keyed(session, select(JobRow.id), JobRow.id, job_ids)}


def insert_jobs(session: Session, jobs: Sequence[Job], values: list[dict[str, Any]]) -> None:
    """Insert new jobs whose column values (but id and version) are ``values``, in order."""
    if not jobs:
        return
    session.flush()  # rows staged one by one earlier in this unit of work go first
    homeowners = {job.homeowner.id: homeowner_row(job.homeowner) for job in jobs}
    installers = _unstored(session, InstallerCompanyRow, {j.installer for j in jobs}, INSTALLER)
    reps = _unstored(session, SalesRepRow, {j.sales_rep for j in jobs}, SALES_REP)
    for row_class, people in (
        (HomeownerRow, homeowners),
        (InstallerCompanyRow, installers),
        (SalesRepRow, reps),
    ):
        insert_rows(
            session,
            _table(row_class),
            [people[key] for key in sorted(people)],
            upsert_on="id",
            only_if_changed=True,
        )
    insert_rows(
        session,
        _table(JobRow),
        [
            {"id": job.id, "version": job.version, **row}
            for job, row in zip(jobs, values, strict=True)
        ],
    )
    # After them: two rows of one batch may name their homeowner differently, and the last
    # name is the one stored.
    rename_in_jobs(session, sorted(homeowners))
    items = [
        REVIEW_ITEM.row(item, job_id=job.id, position=position)
        for job in jobs
        for position, item in enumerate(job.review.items)
    ]
    insert_rows(session, _table(ReviewItemRow), items)


def _unstored(
    session: Session, row_class: type[Any], people: set[Any], fields: Fields[Any]
) -> dict[str, dict[str, Any]]:
    """The rows of ``people`` not stored as they are. The few hundred installers and sales
    reps of an import recur in every batch: read, they are not locked, where even an upsert
    that changes nothing locks each row until commit, and two batches written at once would
    wait on each other for all of them."""
    rows = {person.id: fields.row(person) for person in people}
    table = _table(row_class)
    stored = keyed(session, select(*table.c), table.c.id, list(rows))
    for row in stored:
        if rows[row.id] == row._asdict():
            del rows[row.id]
    return rows


def update_jobs(session: Session, jobs: Sequence[Job], values: list[dict[str, Any]]) -> None:
    """Write back every job at the version it was read, or raise ``Conflict`` for them all."""
    if not jobs:
        return
    session.flush()
    changed = update_rows(
        session,
        _table(JobRow),
        [
            {"id": job.id, "version": job.version, **row}
            for job, row in zip(jobs, values, strict=True)
        ],
        key="id",
        version="version",
    )
    if changed != len(jobs):
        raise Conflict(
            f"{len(jobs) - changed} of {len(jobs)} jobs were changed by someone else just "
            "now; reload and try again"
        )


def rename_in_jobs(session: Session, homeowner_ids: Collection[str]) -> None:
    """Copy each homeowner's stored ``name_key`` to those of its jobs that hold another.

    A homeowner is upserted by id, so a new job naming a known homeowner differently renames
    them, and the name search reads the key from the job (``tables/job.py``). The key is
    derived, not the job's state: the version is not bumped. Jobs already right are not
    written (``<>``), so a batch of new homeowners costs index probes and no writes.
    """
    if not homeowner_ids:
        return
    stored = (
        select(HomeownerRow.name_key)
        .where(HomeownerRow.id == JobRow.homeowner_id)
        .scalar_subquery()
    )
    rekey = (
        update(JobRow)
        .where(JobRow.name_key != stored)
        .values(name_key=stored)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = bindparam("ids", list(homeowner_ids), type_=postgresql.ARRAY(String))
        session.execute(rekey.where(JobRow.homeowner_id == any_(ids)))
        return
    for chunk in chunks(list(homeowner_ids)):
        session.execute(rekey.where(JobRow.homeowner_id.in_(chunk)))


def homeowner_row(person: Homeowner) -> dict[str, str]:
    """A homeowner's columns, with the search keys derived from them."""
    keys = homeowner_keys(name=person.name, email=person.email, phone=person.phone)
    return HOMEOWNER.row(person, **keys)
