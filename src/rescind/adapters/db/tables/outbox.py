"""Emails queued in the same transaction as the change that caused them (transactional outbox).

A sender claims rows by (status, next_attempt_at) after commit; the Message-ID is fixed at
queue time so a resend after a crash is recognisably the same message. People page through
the outbox by row id, filtered by status, hence (status, id). The job page lists a job's
emails, and the outbox only grows (every email ever sent stays), hence an index on job_id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText


class OutboxMessageRow(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index(None, "status", "next_attempt_at"), Index(None, "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str]
    # No foreign key: a message outlives any cleanup of what caused it.
    job_id: Mapped[str | None] = mapped_column(index=True)
    sender: Mapped[str]
    to_addrs: Mapped[list[str]]
    cc_addrs: Mapped[list[str]]
    context: Mapped[dict[str, Any]]
    secret_keys: Mapped[list[str]]
    status: Mapped[str] = mapped_column(default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(LongText, default="", server_default="")
