"""Cancellation requests, the homeowner's written statement, and 4-digit code challenges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText, parent
from rescind.adapters.db.tables.job import JobRow

# Requests still being worked: open, or escalated to Deal Processing (``CLOSED_OUTCOMES``).
OPEN_ONLY = text("outcome IN ('escalated', 'open')")
OPEN_REQUEST_PER_REQUESTER = "uq_cancellation_request_open_requester"


class CancellationRequestRow(Base):
    __tablename__ = "cancellation_request"
    # "Open requests, earliest due first" is the support worklist. Asked for two outcomes, an
    # (outcome, due_at) index must sort every open request for one page; a partial index in
    # (due_at, id) order holds only the open ones and is read in order up to the page's end.
    __table_args__ = (
        Index(None, "outcome", "due_at"),
        Index(
            "ix_cancellation_request_open_due_at",
            "due_at",
            "id",
            postgresql_where=OPEN_ONLY,
            sqlite_where=OPEN_ONLY,
        ),
        # One open request per requester and job, however many file at once: the check in
        # ``file_request`` says so first; this holds under a race (``DuplicateRequest``).
        Index(
            OPEN_REQUEST_PER_REQUESTER,
            "job_id",
            "requester_role",
            unique=True,
            postgresql_where=OPEN_ONLY,
            sqlite_where=OPEN_ONLY,
        ),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id"), index=True)
    channel: Mapped[str]
    requester_role: Mapped[str]
    requester_name: Mapped[str]
    filed_by: Mapped[str]
    filed_at: Mapped[datetime]
    due_at: Mapped[datetime]
    within_cooling_off: Mapped[bool]
    verified: Mapped[bool]
    verification_method: Mapped[str | None]
    verified_at: Mapped[datetime | None]
    verification_note: Mapped[str] = mapped_column(LongText, default="", server_default="")
    reason: Mapped[str | None]
    reason_text: Mapped[str] = mapped_column(LongText)
    outcome: Mapped[str]
    outcome_detail: Mapped[str] = mapped_column(LongText)
    # Not a foreign key: a case row is written after its request, and only read by id.
    approved_by_case_id: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    job: Mapped[JobRow] = parent("JobRow")


class WrittenStatementRow(Base):
    """At most one per request (1:1), kept apart because most columns are long evidence."""

    __tablename__ = "written_statement"

    request_id: Mapped[str] = mapped_column(ForeignKey("cancellation_request.id"), primary_key=True)
    kind: Mapped[str]
    content: Mapped[str] = mapped_column(LongText)
    received_at: Mapped[datetime]
    sent_date: Mapped[date | None]
    source_ref: Mapped[str]
    from_address: Mapped[str]

    request: Mapped[CancellationRequestRow] = parent("CancellationRequestRow")


class VerificationChallengeRow(Base):
    __tablename__ = "verification_challenge"

    id: Mapped[str] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cancellation_request.id"), index=True)
    code_hash: Mapped[str]
    salt: Mapped[str]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int]
    status: Mapped[str]

    request: Mapped[CancellationRequestRow] = parent("CancellationRequestRow")
