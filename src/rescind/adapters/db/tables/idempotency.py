"""The first answer to each idempotent API request, replayed to its retries.

The primary key (user_id, key) is the lock: of two attempts with one key, only one can
insert the row. No foreign key to ``app_user``: a record is a cache of an answer and is
swept by age, not kept in step with users.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class IdempotencyRecordRow(Base):
    __tablename__ = "idempotency_record"

    user_id: Mapped[str] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    fingerprint: Mapped[str]
    reserved_at: Mapped[datetime]
    # NULL until the first attempt completes.
    status_code: Mapped[int | None]
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(default="", server_default="")
    headers: Mapped[dict[str, str]] = mapped_column(JSON())
