"""Optimistic concurrency: write a row only if nobody changed it since it was read."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, update
from sqlalchemy.orm import Session

from rescind.adapters.db.tables import CancellationRequestRow, CaseRow, JobRow
from rescind.domain.errors import Conflict, NotFound

# The rows that carry an optimistic ``version``.
Versioned = type[JobRow] | type[CancellationRequestRow] | type[CaseRow]


def update_if_current(
    session: Session,
    row_class: Versioned,
    *,
    noun: str,
    row_id: str,
    version: int,
    values: dict[str, Any],
    bump: bool = True,
) -> None:
    """``UPDATE … SET version = version + 1 WHERE id = :id AND version = :version``.

    Zero rows means the row moved on (``Conflict``) or never existed (``NotFound``). With
    ``bump=False`` and no values it writes nothing, yet still takes the row's lock and checks
    its version: a decision made on the row as read stands or fails at commit.
    """
    # A Core UPDATE on the table: the ORM's bulk-update path costs more Python than the
    # statement itself on the hot cancel path. Rows staged earlier still go first, as an
    # ORM statement's autoflush would send them.
    table = cast(Table, row_class.__table__)
    statement = (
        update(table)
        .where(table.c.id == row_id, table.c.version == version)
        .values(**values, version=table.c.version + 1 if bump else table.c.version)
    )
    session.flush()
    result = cast(CursorResult[Any], session.execute(statement))
    if result.rowcount == 1:
        return
    if session.get(row_class, row_id) is None:
        raise NotFound(f"no {noun} with id {row_id!r}; it may have been removed")
    raise Conflict(f"{noun} {row_id} was changed by someone else just now; reload and try again")


def chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """IN-lists of bounded length (SQLite and PostgreSQL both cap bound parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
