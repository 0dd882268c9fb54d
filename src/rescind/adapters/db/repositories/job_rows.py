"""A job and the columns it is stored in, both ways: plain rows in, column values out.

Jobs are read as plain result rows (the job's columns and its people's, in one joined
SELECT), not ORM objects: the sweep reads thousands at a time and nothing needs them tracked
(building ORM instances was most of the sweep's own time). ``values`` is what is written back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, select

from rescind.adapters.db.mapping import HOMEOWNER, INSTALLER, JOB, REVIEW_ITEM, SALES_REP
from rescind.adapters.db.tables import HomeownerRow, InstallerCompanyRow, JobRow, SalesRepRow
from rescind.domain.job import Job, MilestoneReview, ReviewStatus

# A review item as read (``REVIEW_ITEM.selected``): job_id, id, description, status, position.
ItemRow = Row[str, str, str, str, int]

# Where each person's columns start in a ``joined()`` row.
_HOMEOWNER_AT = len(JOB.selected)
_INSTALLER_AT = _HOMEOWNER_AT + len(HOMEOWNER.selected)
_SALES_REP_AT = _INSTALLER_AT + len(INSTALLER.selected)


def joined() -> Select[Any]:
    """Every job column, then its homeowner's, installer's and sales rep's (``*_`` labels)."""
    return (
        select(
            *JOB.selected,
            *HOMEOWNER.labelled("homeowner__"),
            *INSTALLER.labelled("installer__"),
            *SALES_REP.labelled("sales_rep__"),
        )
        .select_from(JobRow)
        .join(HomeownerRow, JobRow.homeowner_id == HomeownerRow.id)
        .join(InstallerCompanyRow, JobRow.installer_id == InstallerCompanyRow.id)
        .join(SalesRepRow, JobRow.sales_rep_id == SalesRepRow.id)
    )


def to_job(row: Row[Any], items: Sequence[ItemRow]) -> Job:
    """``items`` are the job's review item rows, in order."""
    return JOB.load(
        row,
        homeowner=HOMEOWNER.load(row, _HOMEOWNER_AT),
        installer=INSTALLER.load(row, _INSTALLER_AT),
        sales_rep=SALES_REP.load(row, _SALES_REP_AT),
        review=MilestoneReview(
            status=ReviewStatus(row.review_status),
            items=[REVIEW_ITEM.load(item) for item in items],
        ),
    )


def values(job: Job) -> dict[str, Any]:
    """Every column of a job except its id and version."""
    return JOB.values(job)
