"""The issued checkpoints: a note of each signed tree head, for finding the latest one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescind.adapters.db.tables import AuditCheckpointRow
from rescind.domain.checkpoint import IssuedCheckpoint, TreeHead


class SqlCheckpointLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, issued: IssuedCheckpoint) -> None:
        head = issued.head
        self._session.add(
            AuditCheckpointRow(
                created_at=head.created_at,
                tree_size=head.tree_size,
                root=head.root,
                key_id=head.key_id,
                signature=issued.signature,
                name=issued.name,
            )
        )

    def latest(self) -> IssuedCheckpoint | None:
        statement = select(AuditCheckpointRow).order_by(
            AuditCheckpointRow.created_at.desc(), AuditCheckpointRow.id.desc()
        )
        row = self._session.scalars(statement.limit(1)).first()
        if row is None:
            return None
        head = TreeHead(
            created_at=row.created_at, tree_size=row.tree_size, root=row.root, key_id=row.key_id
        )
        return IssuedCheckpoint(head=head, signature=row.signature, name=row.name)
