"""Every email received for support, kept whole: filed as a request, or waiting in triage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, LongText


class InboundEmailRow(Base):
    __tablename__ = "inbound_email"
    __table_args__ = (
        Index(None, "status", "received_at"),
        Index(None, "content_digest", "received_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    # Not unique: a duplicate delivery is kept too (status "duplicate"), so nothing is lost.
    message_id: Mapped[str] = mapped_column(index=True)
    from_address: Mapped[str]
    subject: Mapped[str] = mapped_column(LongText)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str]
    reason: Mapped[str] = mapped_column(LongText, default="", server_default="")
    # No foreign keys: a message that names a job that does not exist must still be kept.
    job_id: Mapped[str | None]
    request_id: Mapped[str | None]
    # The sender check (null: unreadable, nothing to judge) and why, as shown to agents.
    authenticated: Mapped[bool | None]
    authentication: Mapped[str] = mapped_column(LongText, default="", server_default="")
    # The sender and text, hashed: the same email sent again under a new Message-ID.
    content_digest: Mapped[str] = mapped_column(default="", server_default="")
