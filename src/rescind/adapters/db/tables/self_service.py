"""The homeowner's one-time links to the self-service page, kept as SHA-256 digests only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base, parent
from rescind.adapters.db.tables.job import JobRow


class SelfServiceLinkRow(Base):
    __tablename__ = "self_service_link"

    id: Mapped[str] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id"), index=True)
    address: Mapped[str]
    token_digest: Mapped[str] = mapped_column(unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    session_digest: Mapped[str | None] = mapped_column(unique=True)
    session_expires_at: Mapped[datetime | None]

    job: Mapped[JobRow] = parent("JobRow")
