"""The audit trail: sealed records appended to a stream, with the stream's head kept apart.

Appending reads the head, seals the events after it and stages the rows; nothing is written
until flush, so two transactions that read the same head both stage the same next ``seq`` and
the UNIQUE(stream, seq) constraint lets only one of them commit (the other gets ``Conflict``
from the unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Table, select, union
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_rows, keyed
from rescind.adapters.db.tables import AuditEventRow, AuditStreamRow
from rescind.domain.audit import GENESIS_HASH, AuditContext, AuditRecord, seal
from rescind.domain.events import Event

_JOB_STREAM_PREFIX = "job:"
_EVENTS = cast(Table, AuditEventRow.__table__)
_STREAMS = cast(Table, AuditStreamRow.__table__)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session
        # Heads of streams appended to in this transaction, staged but maybe not flushed.
        self._heads: dict[str, AuditStreamRow] = {}

    def append(self, stream: str, ctx: AuditContext, events: Sequence[Event]) -> list[AuditRecord]:
        if not events:
            return []
        head = self._heads.get(stream)
        if head is None:
            head = self._session.get(AuditStreamRow, stream, populate_existing=True)
            if head is None:
                head = AuditStreamRow(stream=stream, seq=0, head_hash=GENESIS_HASH)
                self._session.add(head)
            self._heads[stream] = head
        seq, prev_hash = head.seq, head.head_hash
        records: list[AuditRecord] = []
        for event in events:
            seq += 1
            record = seal(stream, seq, prev_hash, ctx, event)
            self._session.add(_to_row(record))
            records.append(record)
            prev_hash = record.hash
        head.seq, head.head_hash = seq, prev_hash
        return records

    def append_many(
        self, ctx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
    ) -> list[AuditRecord]:
        """``append`` for many streams at once (the sweep's batch): their heads read in one
        query, the records inserted and the heads moved in one statement each. The same
        UNIQUE(stream, seq) still lets only one of two racing writers commit."""
        sealed: list[AuditRecord] = []
        fresh: dict[str, list[Event]] = {}
        for stream, events in entries:
            if stream in self._heads:  # staged one by one earlier in this unit of work
                sealed.extend(self.append(stream, ctx, events))
            elif events:
                fresh.setdefault(stream, []).extend(events)
        if not fresh:
            return sealed
        statement = select(AuditStreamRow.stream, AuditStreamRow.seq, AuditStreamRow.head_hash)
        heads = {
            row.stream: (row.seq, row.head_hash)
            for row in keyed(self._session, statement, AuditStreamRow.stream, list(fresh))
        }
        written: list[dict[str, object]] = []
        moved: list[dict[str, object]] = []
        for stream, events in fresh.items():
            seq, prev_hash = heads.get(stream, (0, GENESIS_HASH))
            for event in events:
                seq += 1
                record = seal(stream, seq, prev_hash, ctx, event)
                sealed.append(record)
                written.append(_values(record))
                prev_hash = record.hash
            moved.append({"stream": stream, "seq": seq, "head_hash": prev_hash})
        insert_rows(self._session, _EVENTS, written)
        insert_rows(self._session, _STREAMS, moved, upsert_on="stream")
        return sealed

    def records(self, stream: str) -> list[AuditRecord]:
        statement = (
            select(AuditEventRow)
            .where(AuditEventRow.stream == stream)
            .order_by(AuditEventRow.seq)
            .execution_options(populate_existing=True)
        )
        return [_to_record(row) for row in self._session.scalars(statement)]

    def head(self, stream: str) -> tuple[int, str] | None:
        statement = select(AuditStreamRow.seq, AuditStreamRow.head_hash).where(
            AuditStreamRow.stream == stream
        )
        row = self._session.execute(statement).one_or_none()
        return None if row is None else (row.seq, row.head_hash)

    def streams(self) -> Iterable[str]:
        statement = union(select(AuditStreamRow.stream), select(AuditEventRow.stream).distinct())
        return sorted(self._session.scalars(statement))

    def forget(self) -> None:
        """Drop cached heads: after commit or rollback another writer may move them."""
        self._heads.clear()


def _values(record: AuditRecord) -> dict[str, object]:
    job_id = (
        record.stream.removeprefix(_JOB_STREAM_PREFIX)
        if record.stream.startswith(_JOB_STREAM_PREFIX)
        else None
    )
    return {
        "stream": record.stream,
        "seq": record.seq,
        "job_id": job_id,
        "occurred_at": record.occurred_at,
        "actor": record.actor,
        "channel": record.channel,
        "policy_version": record.policy_version,
        "kind": record.kind,
        "data": dict(record.data),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def _to_row(record: AuditRecord) -> AuditEventRow:
    return AuditEventRow(**_values(record))


def _to_record(row: AuditEventRow) -> AuditRecord:
    return AuditRecord(
        stream=row.stream,
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=row.actor,
        channel=row.channel,
        policy_version=row.policy_version,
        kind=row.kind,
        data=row.data,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
