"""Cases and case assignments (the Deal Processing escalation), and the homeowner's feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText, parent
from rescind.adapters.db.tables.job import JobRow
from rescind.adapters.db.tables.people import HomeownerRow
from rescind.adapters.db.tables.request import CancellationRequestRow


class CaseRow(Base):
    # "case" is an SQL keyword; SQLAlchemy and Alembic quote it everywhere they emit it.
    __tablename__ = "case"
    __table_args__ = (Index(None, "queue", "status"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id"), index=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("cancellation_request.id"))
    requested_by: Mapped[str]
    subject: Mapped[str] = mapped_column(LongText)
    description: Mapped[str] = mapped_column(LongText)
    queue: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[str]
    status: Mapped[str]
    decided_by: Mapped[str]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(LongText)
    assignee: Mapped[str] = mapped_column(default="", server_default="")
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    job: Mapped[JobRow] = parent("JobRow")
    request: Mapped[CancellationRequestRow | None] = parent("CancellationRequestRow")


class CaseAssignmentRow(Base):
    """The domain keeps assignments as an ordered list; ``id`` order is that order.

    Deal Processing's queue is "cases with an open DP assignment", hence (team, status).
    """

    __tablename__ = "case_assignment"
    __table_args__ = (Index(None, "team", "status", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    team: Mapped[str]
    assigned_at: Mapped[datetime]
    status: Mapped[str]

    case: Mapped[CaseRow] = parent("CaseRow")


class FeedCommentRow(Base):
    __tablename__ = "feed_comment"

    id: Mapped[str] = mapped_column(primary_key=True)
    homeowner_id: Mapped[str] = mapped_column(ForeignKey("homeowner.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))
    author: Mapped[str]
    body: Mapped[str] = mapped_column(LongText)
    created_at: Mapped[datetime]
    automatic: Mapped[bool]

    homeowner: Mapped[HomeownerRow] = parent("HomeownerRow")
    job: Mapped[JobRow | None] = parent("JobRow")
