"""The issued checkpoints: a note of each signed tree head, for finding the latest one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import CHECKPOINT, TREE_HEAD
from rescind.adapters.db.tables import AuditCheckpointRow
from rescind.domain.checkpoint import IssuedCheckpoint


class SqlCheckpointLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, issued: IssuedCheckpoint) -> None:
        self._session.add(AuditCheckpointRow(**CHECKPOINT.row(issued)))

    def latest(self) -> IssuedCheckpoint | None:
        statement = select(*CHECKPOINT.selected).order_by(
            AuditCheckpointRow.created_at.desc(), AuditCheckpointRow.id.desc()
        )
        row = self._session.execute(statement.limit(1)).first()
        return None if row is None else CHECKPOINT.load(row, head=TREE_HEAD.load(row))
