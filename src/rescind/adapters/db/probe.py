"""The database seen by operations: is it there, is its schema current, what is waiting.

Every count filters on the leading columns of an existing index (job ``(status, id)``,
request ``(outcome, due_at)``, case ``(queue, status)``, assignment ``(team, status,
case_id)``, inbound ``(status, received_at)``, outbox ``(status, id)``), so a scrape reads
only the matching index entries — the work waiting, not the work done: the cancelled jobs,
which only ever grow, are not counted (``rescind_finalizations_total`` counts them as they
happen). See docs/operations.md for the plans on a million jobs.

The newest migration is read from the scripts once, at start: a database upgraded by newer
code, or not yet upgraded, is "not ready" until this process is restarted on matching code.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Select, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute

from rescind.adapters.db.migrate import alembic_config
from rescind.adapters.db.tables import (
    CancellationRequestRow,
    CaseAssignmentRow,
    CaseRow,
    InboundEmailRow,
    JobRow,
    OutboxMessageRow,
)
from rescind.domain.case import AssignmentStatus, CaseStatus, Queue
from rescind.domain.email import DeliveryStatus
from rescind.domain.inbound import InboundStatus
from rescind.domain.job import JobStatus
from rescind.domain.request import CLOSED_OUTCOMES, Outcome
from rescind.services.ports import Backlog

_VERSIONS = text("SELECT version_num FROM alembic_version")
_OPEN_OUTCOMES = sorted(o.value for o in frozenset(Outcome) - CLOSED_OUTCOMES)
# Driven from the open DP assignments (few, found by their index) to their cases, so the
# planner can look cases up by primary key once the cases table is big; on 20 k cases it
# still prefers one pass over the table (2 ms, see docs/operations.md).
_DEAL_PROCESSING_QUEUE = (
    select(func.count(func.distinct(CaseAssignmentRow.case_id)))
    .join(CaseRow, CaseRow.id == CaseAssignmentRow.case_id)
    .where(CaseAssignmentRow.team == Queue.DEAL_PROCESSING.value)
    .where(CaseAssignmentRow.status == AssignmentStatus.OPEN.value)
    .where(CaseRow.status == CaseStatus.OPEN.value)
)


class SqlProbe:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        url = engine.url.render_as_string(hide_password=False)
        self._heads = frozenset(ScriptDirectory.from_config(alembic_config(url)).get_heads())

    def problems(self) -> list[str]:
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as e:
            return [f"the database does not answer: {_first_line(e)}"]
        try:
            # What alembic's MigrationContext reads, without its two log lines per call.
            versions = connection.execute(_VERSIONS).scalars()
            current = frozenset(str(v) for v in versions)
        except SQLAlchemyError as e:
            return [
                f"the database has no rescind schema ({_first_line(e)}): run `rescind db upgrade`"
            ]
        finally:
            connection.close()
        if current != self._heads:
            shown = ", ".join(sorted(current)) or "empty"
            return [
                f"the database schema is at {shown}, this code needs "
                f"{', '.join(sorted(self._heads))}: run `rescind db upgrade` (or restart "
                "with the code that matches it)"
            ]
        return []

    def backlog(self) -> Backlog:
        with self._engine.connect() as connection:
            outbox = _by_status(
                connection,
                OutboxMessageRow.status,
                [DeliveryStatus.QUEUED.value, DeliveryStatus.FAILED.value],
            )
            return Backlog(
                open_requests=_count(
                    connection,
                    select(func.count()).where(CancellationRequestRow.outcome.in_(_OPEN_OUTCOMES)),
                ),
                back_office_queue=_count(
                    connection,
                    select(func.count())
                    .where(CaseRow.queue == Queue.BACK_OFFICE.value)
                    .where(CaseRow.status == CaseStatus.OPEN.value),
                ),
                deal_processing_queue=_count(connection, _DEAL_PROCESSING_QUEUE),
                email_triage=_count(
                    connection,
                    select(func.count()).where(
                        InboundEmailRow.status == InboundStatus.TRIAGE.value
                    ),
                ),
                outbox_queued=outbox.get(DeliveryStatus.QUEUED.value, 0),
                outbox_failed=outbox.get(DeliveryStatus.FAILED.value, 0),
                cancel_pending_jobs=_count(
                    connection,
                    select(func.count()).where(JobRow.status == JobStatus.CANCEL_PENDING.value),
                ),
            )


def _first_line(error: SQLAlchemyError) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _count(connection: Connection, statement: Select[int]) -> int:
    return int(connection.execute(statement).scalar_one())


def _by_status(
    connection: Connection, column: InstrumentedAttribute[str], values: list[str]
) -> dict[str, int]:
    statement = select(column, func.count()).where(column.in_(values)).group_by(column)
    return {str(status): int(n) for status, n in connection.execute(statement)}
