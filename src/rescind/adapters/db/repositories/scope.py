"""A reader's ``JobScope`` as SQL: the one translation every scoped list query applies.

Items that belong to a job (feed comments, received email) are narrowed by their job id being
one of the scope's jobs; jobs themselves by the scope's columns. A row of no job (NULL job id)
is outside every narrowed scope: ``NULL IN (…)`` is never true.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute

from rescind.adapters.db.tables import JobRow
from rescind.domain.access import JobScope


def job_conditions(job: type[JobRow], scope: JobScope) -> list[ColumnElement[bool]]:
    """Conditions on ``job`` (the table or an alias of it) keeping the scope's jobs only."""
    pairs: list[tuple[InstrumentedAttribute[str], str | None]] = [
        (job.installer_id, scope.installer_id),
        (job.sales_rep_id, scope.sales_rep_id),
        (job.homeowner_id, scope.homeowner_id),
    ]
    return [column == value for column, value in pairs if value is not None]


def of_jobs_within(
    job_id: InstrumentedAttribute[str | None] | InstrumentedAttribute[str], scope: JobScope
) -> ColumnElement[bool]:
    """``job_id`` names one of the scope's jobs (always true for every job)."""
    if scope.every_job:
        return true()
    return job_id.in_(select(JobRow.id).where(*job_conditions(JobRow, scope)))
