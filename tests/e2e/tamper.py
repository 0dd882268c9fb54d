"""What someone with write access to the database can do to the audit trail, behind rescind.

Each function opens the database itself (SQLite file or PostgreSQL schema), changes the
``audit_event`` / ``audit_stream`` rows directly, and — where that hides the change from the
chain — recomputes every hash after it and moves the head to match, as a careful attacker
would. Returns the stream it changed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.tables import AuditEventRow, AuditStreamRow
from rescind.domain.audit import GENESIS_HASH, AuditChannel, AuditContext, seal
from rescind.domain.events import Event, EventKind


def _session(url: str, work: Callable[[Session], str]) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return work(session)
    finally:
        engine.dispose()


def longest_streams(url: str, n: int) -> list[str]:
    """The ``n`` job streams with the most records (ties by name), longest first."""

    def work(session: Session) -> str:
        count = func.count().label("n")
        rows = session.execute(
            select(AuditEventRow.stream, count)
            .where(AuditEventRow.stream.like("job:%"))
            .group_by(AuditEventRow.stream)
            .order_by(count.desc(), AuditEventRow.stream)
            .limit(n)
        )
        return "\n".join(r.stream for r in rows)

    return _session(url, work).split("\n")


def _rechain(session: Session, stream: str) -> None:
    """Recompute every hash of ``stream`` from its (changed) content, and its head."""
    rows = session.scalars(
        select(AuditEventRow).where(AuditEventRow.stream == stream).order_by(AuditEventRow.seq)
    ).all()
    prev = GENESIS_HASH
    for row in rows:
        actx = AuditContext(
            actor=row.actor,
            at=row.occurred_at,
            channel=AuditChannel(row.channel),
            policy_version=row.policy_version,
        )
        record = seal(stream, row.seq, prev, actx, Event(EventKind(row.kind), row.data))
        row.prev_hash, row.hash = prev, record.hash
        prev = record.hash
    session.flush()
    session.execute(
        update(AuditStreamRow)
        .where(AuditStreamRow.stream == stream)
        .values(seq=rows[-1].seq, head_hash=prev)
    )


def truncate_and_rehead(url: str, stream: str, n: int = 2) -> str:
    """Delete the last ``n`` records and set the head back to the record before them."""

    def work(session: Session) -> str:
        (last,) = session.execute(
            select(func.max(AuditEventRow.seq)).where(AuditEventRow.stream == stream)
        ).one()
        session.execute(
            delete(AuditEventRow).where(
                AuditEventRow.stream == stream, AuditEventRow.seq > last - n
            )
        )
        (kept,) = session.execute(
            select(AuditEventRow.hash).where(
                AuditEventRow.stream == stream, AuditEventRow.seq == last - n
            )
        ).one()
        session.execute(
            update(AuditStreamRow)
            .where(AuditStreamRow.stream == stream)
            .values(seq=last - n, head_hash=kept)
        )
        return stream

    return _session(url, work)


def delete_stream(url: str, stream: str) -> str:
    """Every record of the stream, and its head."""

    def work(session: Session) -> str:
        session.execute(delete(AuditEventRow).where(AuditEventRow.stream == stream))
        session.execute(delete(AuditStreamRow).where(AuditStreamRow.stream == stream))
        return stream

    return _session(url, work)


def rewrite_record(url: str, stream: str, seq: int = 1, *, rechain: bool = True) -> str:
    """Change one record's data; with ``rechain``, recompute the chain and head after it."""

    def work(session: Session) -> str:
        row = session.scalars(
            select(AuditEventRow).where(AuditEventRow.stream == stream, AuditEventRow.seq == seq)
        ).one()
        row.data = {**row.data, "rewritten": True}
        session.flush()
        if rechain:
            _rechain(session, stream)
        return stream

    return _session(url, work)


def swap_records(url: str, stream: str, a: int = 1, b: int = 2) -> str:
    """Swap two records' kind and data, then recompute the chain and head."""

    def work(session: Session) -> str:
        first, second = (
            session.scalars(
                select(AuditEventRow).where(
                    AuditEventRow.stream == stream, AuditEventRow.seq == seq
                )
            ).one()
            for seq in (a, b)
        )
        first.kind, second.kind = second.kind, first.kind
        first.data, second.data = second.data, first.data
        session.flush()
        _rechain(session, stream)
        return stream

    return _session(url, work)
