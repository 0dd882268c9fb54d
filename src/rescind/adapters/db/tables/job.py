"""Jobs and their milestone review items.

The sweep that finalises Cancel Pending windows asks for pending jobs by ``final_at``, so a
partial index holds only the pending rows: it stays small however many jobs are done. It is
keyed (final_at, id), the sweep's own order, so no two entries are equal: the entries a sweep
leaves behind are marked dead as the next batch passes them, where equal keys (many windows end
at the same moment) shared posting lists that could not be, and every batch re-read them all.

Job lists page by id (``WHERE … AND id > :after ORDER BY id LIMIT n``), so each filter a
list is likely to use on its own has an index ending in ``id``: the database walks it in
order and stops after ``n`` rows instead of sorting every match. Product model is left out:
with two values, the primary key scan finds a page as fast.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText, parent
from rescind.adapters.db.tables.people import HomeownerRow, InstallerCompanyRow, SalesRepRow

PENDING_ONLY = text("status = 'cancel_pending'")


class JobRow(Base):
    __tablename__ = "job"
    __table_args__ = (
        Index(
            "ix_job_pending_final_at",
            "final_at",
            "id",
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        ),
        Index(None, "status", "id"),
        Index(None, "milestone", "id"),
        Index(None, "partner_program", "id"),
        Index(None, "installer_id", "id"),
        Index(None, "sales_rep_id", "id"),
        # A surname, email or phone search goes homeowner → job; with the id included that
        # step reads no heap.
        Index(None, "homeowner_id", postgresql_include=["id"]),
        # A name search reads the job's own copy of its homeowner's name key: the ~1,400
        # jobs of "quinn fi" are a few adjacent leaves, where going through the homeowner
        # took a leaf of ``homeowner_id`` per match (1,200 pages read on a cold cache).
        Index(None, "name_key", "id", postgresql_ops={"name_key": "text_pattern_ops"}),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    homeowner_id: Mapped[str] = mapped_column(ForeignKey("homeowner.id"))
    installer_id: Mapped[str] = mapped_column(ForeignKey("installer_company.id"))
    sales_rep_id: Mapped[str] = mapped_column(ForeignKey("sales_rep.id"))
    product_model: Mapped[str]
    milestone: Mapped[str]
    review_status: Mapped[str]
    invoice_uploaded: Mapped[bool]
    system_photos_uploaded: Mapped[bool]
    partner_program: Mapped[str]
    installer_signed: Mapped[bool]
    sales_rep_signed: Mapped[bool]
    contract_signed_date: Mapped[date]
    phase: Mapped[str]
    status: Mapped[str]
    pending_since_at: Mapped[datetime | None]
    final_at: Mapped[datetime | None]
    calendar_version: Mapped[int | None]
    cancelled_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(default="en", server_default="en")
    # The homeowner's ``name_key`` (``domain/search.py``), written with every job row from the
    # job's homeowner and copied to a homeowner's other jobs when a later job renames them.
    name_key: Mapped[str] = mapped_column(default="", server_default="")
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    homeowner: Mapped[HomeownerRow] = parent("HomeownerRow")
    installer: Mapped[InstallerCompanyRow] = parent("InstallerCompanyRow")
    sales_rep: Mapped[SalesRepRow] = parent("SalesRepRow")


class ReviewItemRow(Base):
    """Keyed by (job, item id): item ids come from Engine and need only be unique per job."""

    __tablename__ = "review_item"

    job_id: Mapped[str] = mapped_column(ForeignKey("job.id"), primary_key=True)
    id: Mapped[str] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(LongText)
    status: Mapped[str]
    position: Mapped[int]

    job: Mapped[JobRow] = parent("JobRow")
