"""Received emails, for filing, for the triage queue and for a job's statement step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, func, or_, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.mapping import INBOUND
from rescind.adapters.db.repositories.scope import of_jobs_within
from rescind.adapters.db.repositories.versioning import Seen
from rescind.adapters.db.tables import InboundEmailRow
from rescind.domain.access import JobScope
from rescind.domain.inbound import InboundRecord, InboundStatus
from rescind.domain.sender_authentication import SenderAuthentication


class SqlInboundRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        # What each email held when read here: a save then sends only what changed (the
        # raw message, the largest column, never does).
        self._seen = Seen()

    def add(self, record: InboundRecord) -> None:
        self._session.add(InboundEmailRow(**_row(record)))
        self._seen.remember(record.id, INBOUND.values(record, **_authentication(record)))

    def get(self, inbound_id: str) -> InboundRecord | None:
        rows = self._session.execute(_select().where(InboundEmailRow.id == inbound_id))
        found = self._records(rows)
        return found[0] if found else None

    def save(self, record: InboundRecord) -> None:
        now = INBOUND.values(record, **_authentication(record))
        before = self._seen.get(record.id)
        changed = now if before is None else INBOUND.changed(before, now)
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(InboundEmailRow)
                .where(InboundEmailRow.id == record.id)
                .values(**changed)
                .execution_options(synchronize_session=False)
            ),
        )
        if changed and result.rowcount == 0:
            raise LookupError(record.id)
        self._seen.remember(record.id, now)

    def seen(self, message_id: str) -> bool:
        if not message_id:
            return False
        found = self._session.scalars(
            select(InboundEmailRow.id).where(InboundEmailRow.message_id == message_id).limit(1)
        ).first()
        return found is not None

    def seen_content(self, digest: str, since: datetime) -> InboundRecord | None:
        if not digest:
            return None
        rows = self._session.execute(
            _select()
            .where(InboundEmailRow.content_digest == digest, InboundEmailRow.received_at >= since)
            .order_by(InboundEmailRow.received_at.desc())
            .limit(1)
        )
        found = self._records(rows)
        return found[0] if found else None

    def triage(self, limit: int = 100) -> list[InboundRecord]:
        rows = self._session.execute(
            _select()
            .where(InboundEmailRow.status == InboundStatus.TRIAGE.value)
            .order_by(InboundEmailRow.received_at, InboundEmailRow.id)
            .limit(limit)
        )
        return self._records(rows)

    def for_job(
        self, job_id: str, address: str, scope: JobScope, limit: int = 20
    ) -> list[InboundRecord]:
        sender = address.strip().lower()
        about = InboundEmailRow.job_id == job_id
        if sender:
            about = or_(about, func.lower(InboundEmailRow.from_address) == sender)
        rows = self._session.execute(
            _select()
            .where(
                about,
                of_jobs_within(InboundEmailRow.job_id, scope),
                InboundEmailRow.status != InboundStatus.DUPLICATE.value,
            )
            .order_by(InboundEmailRow.received_at.desc(), InboundEmailRow.id.desc())
            .limit(limit)
        )
        return self._records(rows)

    def _records(self, rows: Iterable[Row[Any]]) -> list[InboundRecord]:
        found = []
        for row in rows:
            authenticated = row.authenticated
            record = INBOUND.load(
                row,
                authentication=None
                if authenticated is None
                else SenderAuthentication(authenticated, row.authentication),
            )
            self._seen.remember(record.id, INBOUND.values(record, **_authentication(record)))
            found.append(record)
        return found


def _select() -> Any:
    return select(*INBOUND.selected)


def _authentication(record: InboundRecord) -> dict[str, Any]:
    """The sender check's two columns (null and "" when there was nothing to judge)."""
    auth = record.authentication
    return {
        "authenticated": None if auth is None else auth.verified,
        "authentication": "" if auth is None else auth.reason,
    }


def _row(record: InboundRecord) -> dict[str, Any]:
    return INBOUND.row(record, **_authentication(record))
