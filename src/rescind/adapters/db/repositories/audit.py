"""The audit trail: sealed records appended to a stream, with the stream's head kept apart.

Appending reads the head once per stream and transaction, seals the events after it and
stages the rows; they are written at commit (or before a read of the trail), each stream's
records in one INSERT and all the heads moved in one more, so a cancel's four appends cost
two statements rather than eight. Two transactions that read the same head both stage the
same next ``seq``, and the UNIQUE(stream, seq) constraint lets only one of them commit (the
other gets ``Conflict`` from the unit of work).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Table, Text, bindparam, select, union
from sqlalchemy import cast as cast_sql
from sqlalchemy.orm import Session

from rescind.adapters.db.bulk import insert_rows, keyed
from rescind.adapters.db.mapping import AUDIT_EVENT
from rescind.adapters.db.repositories.insights import count_records, read_period
from rescind.adapters.db.tables import AuditEventRow, AuditStreamRow
from rescind.domain.access import JobScope
from rescind.domain.audit import GENESIS_HASH, AuditContext, AuditRecord, seal
from rescind.domain.checkpoint import SealedHead
from rescind.domain.events import Event
from rescind.domain.insight_figures import Count, Live

_JOB_STREAM_PREFIX = "job:"
SCAN_BATCH = 5_000
_EVENTS = cast(Table, AuditEventRow.__table__)
_STREAMS = cast(Table, AuditStreamRow.__table__)
DEFAULT_TZ = ZoneInfo("America/New_York")  # Settings' default company time zone
# Built once, as every append reads it: building a statement costs more than running it.
_HEAD = select(AuditStreamRow.seq, AuditStreamRow.head_hash).where(
    AuditStreamRow.stream == bindparam("stream")
)


class SqlAuditLog:
    def __init__(self, session: Session, *, tz: ZoneInfo = DEFAULT_TZ) -> None:
        self._session = session
        self._tz = tz  # the company's: the insights count by its calendar day
        # Each stream appended to in this transaction: its head (seq, hash) after the staged
        # records; and those records, not yet written.
        self._heads: dict[str, tuple[int, str]] = {}
        self._staged: list[dict[str, object]] = []

    def append(self, stream: str, ctx: AuditContext, events: Sequence[Event]) -> list[AuditRecord]:
        if not events:
            return []
        if stream not in self._heads:
            self._heads[stream] = self._stored_head(stream) or (0, GENESIS_HASH)
        seq, prev_hash = self._heads[stream]
        records: list[AuditRecord] = []
        for event in events:
            seq += 1
            record = seal(stream, seq, prev_hash, ctx, event)
            self._staged.append(audit_event_values(record))
            records.append(record)
            prev_hash = record.hash
        self._heads[stream] = (seq, prev_hash)
        return records

    def append_many(
        self, ctx: AuditContext, entries: Sequence[tuple[str, Sequence[Event]]]
    ) -> list[AuditRecord]:
        """``append`` for many streams at once (the sweep's batch): their heads read in one
        query. The records are staged as ``append``'s are, so they are written with them."""
        fresh = [stream for stream, events in entries if events and stream not in self._heads]
        if fresh:
            statement = select(AuditStreamRow.stream, AuditStreamRow.seq, AuditStreamRow.head_hash)
            for row in keyed(self._session, statement, AuditStreamRow.stream, fresh):
                self._heads[row.stream] = (row.seq, row.head_hash)
            for stream in fresh:
                self._heads.setdefault(stream, (0, GENESIS_HASH))
        sealed: list[AuditRecord] = []
        for stream, events in entries:
            sealed.extend(self.append(stream, ctx, events))
        return sealed

    def write(self) -> None:
        """Write what is staged: the records in one INSERT, the streams' heads in one upsert,
        and the insights' counters of those records in one more.

        Called by the unit of work before commit and by every read of the trail here, so
        nothing staged is lost or unseen; the heads stay known for later appends.
        """
        if not self._staged:
            return
        streams = {str(row["stream"]) for row in self._staged}
        moved: list[dict[str, object]] = [
            {"stream": s, "seq": self._heads[s][0], "head_hash": self._heads[s][1]}
            for s in sorted(streams)
        ]
        staged, self._staged = self._staged, []
        self._session.flush()  # the rows the trail describes go first, as they always have
        insert_rows(self._session, _EVENTS, staged)
        insert_rows(self._session, _STREAMS, moved, upsert_on="stream")
        count_records(self._session, staged, self._tz)

    def records(
        self, stream: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        self.write()
        statement = (
            select(*AUDIT_EVENT.selected)
            .where(AuditEventRow.stream == stream, AuditEventRow.seq > after_seq)
            .order_by(AuditEventRow.seq)
            .limit(limit)
        )
        return [AUDIT_EVENT.load(row) for row in self._session.execute(statement)]

    def head(self, stream: str) -> tuple[int, str] | None:
        self.write()
        return self._stored_head(stream)

    def streams(self) -> Iterable[str]:
        self.write()
        statement = union(select(AuditStreamRow.stream), select(AuditEventRow.stream).distinct())
        return sorted(self._session.scalars(statement))

    def heads(self) -> list[SealedHead]:
        self.write()
        statement = select(AuditStreamRow.stream, AuditStreamRow.seq, AuditStreamRow.head_hash)
        return [SealedHead(r.stream, r.seq, r.head_hash) for r in self._session.execute(statement)]

    def scan(self) -> Iterator[AuditRecord]:
        """Rows, not ORM objects, fetched ``SCAN_BATCH`` at a time (a server-side cursor on
        PostgreSQL): ten million records pass through in constant memory.

        Core rows (not the ORM's result machinery), and ``data`` as its stored text, parsed
        here by orjson (a quarter of the time ``json.loads`` takes on a 400-byte decision),
        falling back to ``json`` for what orjson refuses (an integer past 64 bits, a NaN
        SQLite kept): the same values either way.
        """
        self.write()
        self._session.flush()  # the table's own columns below make a Core statement: no autoflush
        columns = [_EVENTS.c[c.key] for c in AUDIT_EVENT.selected]
        statement = (
            select(*(_AS_TEXT.get(c.key, c) for c in columns))
            .order_by(_EVENTS.c.stream, _EVENTS.c.seq)
            .execution_options(yield_per=SCAN_BATCH)
        )
        data = [c.key for c in columns].index("data")
        for row in self._session.execute(statement):
            values = list(row)
            values[data] = _json_value(values[data])
            yield AUDIT_EVENT.load(values)

    def insight_counts(
        self,
        scope: JobScope,
        first_day: date,
        last_day: date,
        *,
        now: datetime,
        strip_ends_at: datetime,
    ) -> tuple[list[Count], Live]:
        self.write()
        return read_period(
            self._session, scope, first_day, last_day, now=now, strip_ends_at=strip_ends_at
        )

    def forget(self) -> None:
        """Drop cached heads and staged rows: after commit or rollback another writer may
        move the heads, and a rolled-back append must not be written later."""
        self._heads.clear()
        self._staged.clear()

    def _stored_head(self, stream: str) -> tuple[int, str] | None:
        row = self._session.execute(_HEAD, {"stream": stream}).one_or_none()
        return None if row is None else (row.seq, row.head_hash)


# The JSON column read as text, for ``scan``'s own (faster) parsing.
_AS_TEXT = {"data": cast_sql(_EVENTS.c.data, Text).label("data")}


def _json_value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def audit_event_values(record: AuditRecord) -> dict[str, object]:
    """The ``audit_event`` row of a record; bulk loaders write exactly what the log would."""
    job_id = (
        record.stream.removeprefix(_JOB_STREAM_PREFIX)
        if record.stream.startswith(_JOB_STREAM_PREFIX)
        else None
    )
    return AUDIT_EVENT.row(record, job_id=job_id)
