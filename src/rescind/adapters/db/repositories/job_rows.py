"""A job and the columns it is stored in, both ways: plain rows in, column values out.

Jobs are read as plain result rows (the job's columns and its people's, in one joined
SELECT), not ORM objects: the sweep reads thousands at a time and nothing needs them tracked
(building ORM instances was most of the sweep's own time). ``values`` is what is written back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, select

from rescind.adapters.db.tables import HomeownerRow, InstallerCompanyRow, JobRow, SalesRepRow
from rescind.domain.job import (
    Homeowner,
    InstallerCompany,
    Job,
    JobStatus,
    Language,
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

# A review item as read: job_id, id, description, status, position.
ItemRow = Row[str, str, str, str, int]


def joined() -> Select[Any]:
    """Every job column, and its people's as ``homeowner_name``, ``installer_email``, …"""
    job = JobRow.__table__
    return (
        select(
            *job.c,
            HomeownerRow.name.label("homeowner_name"),
            HomeownerRow.email.label("homeowner_email"),
            HomeownerRow.phone.label("homeowner_phone"),
            InstallerCompanyRow.name.label("installer_name"),
            InstallerCompanyRow.email.label("installer_email"),
            SalesRepRow.name.label("sales_rep_name"),
            SalesRepRow.email.label("sales_rep_email"),
        )
        .select_from(JobRow)
        .join(HomeownerRow, JobRow.homeowner_id == HomeownerRow.id)
        .join(InstallerCompanyRow, JobRow.installer_id == InstallerCompanyRow.id)
        .join(SalesRepRow, JobRow.sales_rep_id == SalesRepRow.id)
    )


def to_job(row: Row[Any], items: Sequence[ItemRow]) -> Job:
    """``items`` are the job's review item rows (id, description, status), in order."""
    return Job(
        id=row.id,
        homeowner=Homeowner(
            id=row.homeowner_id,
            name=row.homeowner_name,
            email=row.homeowner_email,
            phone=row.homeowner_phone,
        ),
        installer=InstallerCompany(
            id=row.installer_id, name=row.installer_name, email=row.installer_email
        ),
        sales_rep=SalesRep(id=row.sales_rep_id, name=row.sales_rep_name, email=row.sales_rep_email),
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
        language=Language(row.language),
        version=row.version,
    )


def values(job: Job) -> dict[str, Any]:
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
        "language": job.language.value,
    }
