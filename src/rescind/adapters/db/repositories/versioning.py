"""Optimistic concurrency: write a row only if nobody changed it since it was read."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import CursorResult, Table, bindparam, update
from sqlalchemy.orm import Session

from rescind.adapters.db.tables import CancellationRequestRow, CaseRow, JobRow
from rescind.domain.errors import Conflict, NotFound

if TYPE_CHECKING:
    from rescind.adapters.db.fields import Fields

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
    statement = _versioned_update(cast(Table, row_class.__table__), tuple(values), bump)
    session.flush()
    params = {f"set_{name}": value for name, value in values.items()}
    params |= {"row_id": row_id, "row_version": version}
    result = cast(CursorResult[Any], session.execute(statement, params))
    if result.rowcount == 1:
        return
    if session.get(row_class, row_id) is None:
        raise NotFound(f"no {noun} with id {row_id!r}; it may have been removed")
    raise Conflict(f"{noun} {row_id} was changed by someone else just now; reload and try again")


@lru_cache(maxsize=256)
def _versioned_update(table: Table, columns: tuple[str, ...], bump: bool) -> Any:
    """The UPDATE of ``columns``, built once per set of columns: building a statement (and
    its cache key) costs more Python than running it."""
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("row_version"))
        .values(
            {
                **{name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns},
                "version": table.c.version + 1 if bump else table.c.version,
            }
        )
    )


class VersionedObject(Protocol):
    id: str
    version: int


class Seen:
    """The column values of each row as this unit of work last read or wrote them.

    A save then sends only the columns that changed (the version check guarantees the rest
    are still as read). After a rollback what was seen may be untrue: ``forget`` it.
    """

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}

    def remember(self, row_id: str, values: dict[str, Any]) -> None:
        self._values[row_id] = values

    def get(self, row_id: str) -> dict[str, Any] | None:
        return self._values.get(row_id)

    def forget(self) -> None:
        self._values.clear()


def seen_in(session: Session, row_class: Versioned) -> Seen:
    """The one ``Seen`` of ``row_class``'s rows in ``session``: its repository keeps it, and
    whoever needs facts this transaction already read or wrote (the insights' counters)
    finds them there instead of reading the rows again."""
    key = f"rescind.seen.{row_class.__tablename__}"
    seen: Seen | None = session.info.get(key)
    if seen is None:
        seen = session.info[key] = Seen()
    return seen


def save_changed(
    session: Session,
    fields: Fields[Any],
    obj: VersionedObject,
    seen: Seen,
    *,
    noun: str,
) -> None:
    """Write ``obj`` back at the version it was read (``Conflict`` if it moved on), sending
    only the columns that changed since ``seen``; the object's version goes up by one."""
    now = fields.values(obj)
    before = seen.get(obj.id)
    update_if_current(
        session,
        fields.row_class,
        noun=noun,
        row_id=obj.id,
        version=obj.version,
        values=now if before is None else fields.changed(before, now),
    )
    seen.remember(obj.id, now)
    obj.version += 1


def chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """IN-lists of bounded length (SQLite and PostgreSQL both cap bound parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
