"""Many rows of one table written in one statement: what imports and the sweep are made of.

On PostgreSQL the rows travel as one JSON parameter that ``json_to_recordset`` turns back
into typed rows, so a thousand rows cost one statement to parse, plan and execute (executemany
costs the server a thousand; it was most of an import's time). Elsewhere (SQLite, in-process)
executemany is already cheap and is used as it is. Values go through each column's own bind
processing first, so a naive datetime is still refused.

Column and table names come from the table metadata, never from data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVarTuple, cast

import orjson
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    CursorResult,
    Row,
    Select,
    String,
    Table,
    TextClause,
    any_,
    bindparam,
    insert,
    or_,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute, Session

from rescind.adapters.db.repositories.versioning import chunks

Rows = Sequence[dict[str, Any]]
Ts = TypeVarTuple("Ts")


def insert_rows(
    session: Session,
    table: Table,
    rows: Rows,
    *,
    upsert_on: str | None = None,
    only_if_changed: bool = False,
) -> None:
    """INSERT every row (all rows have the same keys). With ``upsert_on`` (a unique column),
    a row whose key exists updates it instead; ``only_if_changed`` leaves rows whose values
    are already those alone (no new row version, no lock held longer than needed)."""
    if not rows:
        return
    names = list(rows[0])
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        _insert_many(session, table, rows, names, upsert_on, only_if_changed)
        return
    quote = dialect.identifier_preparer.quote
    columns = [table.c[name] for name in names]
    # Every name in the SQL comes from the table's metadata, never from data.
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
        f"SELECT {_selected(columns, dialect)} FROM {_recordset(columns, dialect)}"
    )
    if upsert_on is not None:
        changing = [n for n in names if n != upsert_on]
        sql += f" ON CONFLICT ({quote(upsert_on)}) DO UPDATE SET " + ", ".join(
            f"{quote(n)} = excluded.{quote(n)}" for n in changing
        )
        if only_if_changed:
            mine = ", ".join(f"{quote(table.name)}.{quote(n)}" for n in changing)
            theirs = ", ".join(f"excluded.{quote(n)}" for n in changing)
            sql += f" WHERE ({mine}) IS DISTINCT FROM ({theirs})"
    session.execute(_statement(sql), _document(columns, rows, dialect))


@lru_cache(maxsize=64)
def _insert_of(table: Table) -> Any:
    return insert(table)


def insert_one(session: Session, table: Table, row: dict[str, Any]) -> None:
    """INSERT one row now, as a Core statement built once per table: a row staged on the ORM
    session costs a unit-of-work flush (more Python than the statement) on the cancel path.
    What the session staged before goes first; but the row is not ordered after rows staged
    later, as a flush would order them: only for rows that reference no other (the outbox)."""
    session.flush()
    session.execute(_insert_of(table), row)


def update_rows(
    session: Session, table: Table, rows: Rows, *, key: str, version: str | None = None
) -> int:
    """UPDATE each row found by ``key`` (and, with ``version``, only at that version, which
    goes up by one); returns how many rows changed, so the caller can tell who was stale."""
    if not rows:
        return 0
    names = [n for n in rows[0] if n not in (key, version)]
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return _update_many(session, table, rows, names, key, version)
    quote = dialect.identifier_preparer.quote
    target = quote(table.name)
    matched = [key] if version is None else [key, version]
    columns = [table.c[n] for n in [*matched, *names]]
    assignments = [f"{quote(n)} = u.{quote(n)}" for n in names]
    conditions = [f"{target}.{quote(n)} = u.{quote(n)}" for n in matched]
    if version is not None:
        assignments.append(f"{quote(version)} = {target}.{quote(version)} + 1")
    sql = (
        f"UPDATE {target} SET {', '.join(assignments)} FROM {_recordset(columns, dialect)} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}"
    )
    parameters = _document(columns, rows, dialect)
    result = cast(CursorResult[Any], session.execute(_statement(sql), parameters))
    return result.rowcount


def keyed(
    session: Session,
    statement: Select[*Ts],
    column: ColumnElement[str] | InstrumentedAttribute[str],
    keys: Collection[str],
) -> list[Row[*Ts]]:
    """``statement`` for the rows whose ``column`` is one of ``keys``: on PostgreSQL one query
    with the keys as one array (a thousand-item IN list costs three times as much to plan),
    elsewhere IN lists short enough for SQLite's parameter limit."""
    if not keys:
        return []
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("keys", list(keys), type_=postgresql.ARRAY(String))
        return list(session.execute(statement.where(column == any_(array))).all())
    found: list[Row[*Ts]] = []
    for chunk in chunks(list(keys)):
        found.extend(session.execute(statement.where(column.in_(chunk))).all())
    return found


class Keyed:
    """``keyed`` for a statement built once, its WHERE built once too: the hot path's reads
    by a few keys (building the statement costs more Python than running it)."""

    def __init__(
        self,
        statement: Select[Any],
        column: ColumnElement[str] | InstrumentedAttribute[str],
    ) -> None:
        self._statement = statement
        self._column = column
        self._any = statement.where(
            column == any_(bindparam("keys", type_=postgresql.ARRAY(String)))
        )

    def __call__(self, session: Session, keys: Collection[str]) -> list[Row[Any]]:
        if not keys:
            return []
        if session.get_bind().dialect.name == "postgresql":
            return list(session.execute(self._any, {"keys": list(keys)}).all())
        return keyed(session, self._statement, self._column, keys)


def _recordset(columns: list[Column[Any]], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote
    fields = ", ".join(f"{quote(c.name)} {c.type.compile(dialect=dialect)}" for c in columns)
    return f"json_to_recordset(CAST(:rows AS JSON)) AS u({fields})"


def _selected(columns: list[Column[Any]], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote
    return ", ".join(f"u.{quote(c.name)}" for c in columns)


def _document(columns: list[Column[Any]], rows: Rows, dialect: Dialect) -> dict[str, str]:
    """The rows as one JSON text, encoded in C: psycopg's array dumping is Python (it was a
    third of a sweep's time), and orjson writes the datetimes the columns' bind processing
    returns itself, where ``json.dumps`` called back into Python for each (a sixth of the
    sweep's Python time went to encoding its rows). The text is what ``json.dumps`` wrote:
    ISO datetimes with their offset, non-ASCII as it is."""
    processors = [
        (c.name, process)
        for c in columns
        if not isinstance(c.type, JSON)
        and (process := cast(Callable[[Any], Any] | None, c.type.bind_processor(dialect)))
    ]
    if processors:
        rows = [{**row, **{n: p(row[n]) for n, p in processors}} for row in rows]
    encoded = orjson.dumps(list(rows), default=_json_value, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    return {"rows": encoded.decode()}


def _json_value(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} {value!r} in a bulk statement")


@lru_cache(maxsize=128)
def _statement(sql: str) -> TextClause:
    """Parsed once per distinct statement (parsing a long text() each batch showed up)."""
    return text(sql)


def _insert_many(
    session: Session,
    table: Table,
    rows: Rows,
    names: list[str],
    upsert_on: str | None,
    only_if_changed: bool,
) -> None:
    if upsert_on is None:
        session.execute(table.insert(), list(rows))
        return
    statement = sqlite.insert(table)
    changing = [n for n in names if n != upsert_on]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[upsert_on]],
            set_={n: statement.excluded[n] for n in changing},
            where=(
                or_(*(table.c[n].is_distinct_from(statement.excluded[n]) for n in changing))
                if only_if_changed
                else None
            ),
        ),
        list(rows),
    )


def _update_many(
    session: Session,
    table: Table,
    rows: Rows,
    names: list[str],
    key: str,
    version: str | None,
) -> int:
    condition = table.c[key] == bindparam(f"b_{key}")
    values: dict[str, Any] = {n: bindparam(n) for n in names}
    if version is not None:
        condition = condition & (table.c[version] == bindparam(f"b_{version}"))
        values[version] = table.c[version] + 1
    parameters = [
        {**{n: row[n] for n in names}, **{f"b_{n}": row[n] for n in (key, version) if n}}
        for row in rows
    ]
    statement = table.update().where(condition).values(values)
    result = cast(CursorResult[Any], session.execute(statement, parameters))
    return result.rowcount
