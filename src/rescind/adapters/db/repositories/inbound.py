"""Received emails, for filing, for the triage queue and for a job's statement step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.scope import of_jobs_within
from rescind.adapters.db.tables import InboundEmailRow
from rescind.domain.access import JobScope
from rescind.domain.inbound import InboundRecord, InboundStatus
from rescind.domain.sender_authentication import SenderAuthentication


class SqlInboundRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: InboundRecord) -> None:
        auth = record.authentication
        self._session.add(
            InboundEmailRow(
                id=record.id,
                received_at=record.received_at,
                message_id=record.message_id,
                from_address=record.from_address,
                subject=record.subject,
                raw=record.raw,
                status=record.status.value,
                reason=record.reason,
                job_id=record.job_id,
                request_id=record.request_id,
                authenticated=None if auth is None else auth.verified,
                authentication="" if auth is None else auth.reason,
                content_digest=record.content_digest,
            )
        )

    def get(self, inbound_id: str) -> InboundRecord | None:
        row = self._session.get(InboundEmailRow, inbound_id)
        return None if row is None else _records([row])[0]

    def save(self, record: InboundRecord) -> None:
        row = self._session.get(InboundEmailRow, record.id)
        if row is None:
            raise LookupError(record.id)
        row.status = record.status.value
        row.reason = record.reason
        row.job_id = record.job_id
        row.request_id = record.request_id

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
        row = self._session.scalars(
            select(InboundEmailRow)
            .where(InboundEmailRow.content_digest == digest, InboundEmailRow.received_at >= since)
            .order_by(InboundEmailRow.received_at.desc())
            .limit(1)
        ).first()
        return None if row is None else _records([row])[0]

    def triage(self, limit: int = 100) -> list[InboundRecord]:
        rows = self._session.scalars(
            select(InboundEmailRow)
            .where(InboundEmailRow.status == InboundStatus.TRIAGE.value)
            .order_by(InboundEmailRow.received_at, InboundEmailRow.id)
            .limit(limit)
        )
        return _records(rows)

    def for_job(
        self, job_id: str, address: str, scope: JobScope, limit: int = 20
    ) -> list[InboundRecord]:
        sender = address.strip().lower()
        about = InboundEmailRow.job_id == job_id
        if sender:
            about = or_(about, func.lower(InboundEmailRow.from_address) == sender)
        rows = self._session.scalars(
            select(InboundEmailRow)
            .where(
                about,
                of_jobs_within(InboundEmailRow.job_id, scope),
                InboundEmailRow.status != InboundStatus.DUPLICATE.value,
            )
            .order_by(InboundEmailRow.received_at.desc(), InboundEmailRow.id.desc())
            .limit(limit)
        )
        return _records(rows)


def _records(rows: Iterable[InboundEmailRow]) -> list[InboundRecord]:
    return [
        InboundRecord(
            id=row.id,
            received_at=row.received_at,
            message_id=row.message_id,
            from_address=row.from_address,
            subject=row.subject,
            raw=row.raw,
            status=InboundStatus(row.status),
            reason=row.reason,
            job_id=row.job_id,
            request_id=row.request_id,
            authentication=None
            if row.authenticated is None
            else SenderAuthentication(row.authenticated, row.authentication),
            content_digest=row.content_digest,
        )
        for row in rows
    ]
