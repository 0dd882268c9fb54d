"""The hash-chained audit trail and the head of each stream.

UNIQUE(stream, seq) is the lock: two transactions that read the same head both try to insert
the same next ``seq``, and only the first can commit. The head row lets ``verify_stream``
notice a removed tail, which the chain alone cannot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rescind.adapters.db.tables.base import Base


class AuditEventRow(Base):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    stream: Mapped[str]
    seq: Mapped[int]
    # Not a foreign key: the trail must outlive (and may precede) the job row.
    job_id: Mapped[str | None] = mapped_column(index=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str]
    channel: Mapped[str]
    policy_version: Mapped[int | None]
    kind: Mapped[str]
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str]
    hash: Mapped[str]


class AuditStreamRow(Base):
    __tablename__ = "audit_stream"

    stream: Mapped[str] = mapped_column(primary_key=True)
    seq: Mapped[int]
    head_hash: Mapped[str]


class AuditCheckpointRow(Base):
    """Each checkpoint issued: its signed tree head and the name its document is kept under.

    Only for finding the latest one; a verification reads the document itself, from outside
    the database, because whoever can edit this table could edit this copy too.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    tree_size: Mapped[int]
    root: Mapped[str]
    key_id: Mapped[str]
    signature: Mapped[str]
    name: Mapped[str]
