"""One declaration pairing a table's columns with a domain dataclass's fields.

``Fields(JobRow, Job, ...)`` pairs each column with the field of the same name (or the dotted
path given in ``paths``, such as ``homeowner_id`` → ``homeowner.id``) and infers from the
field's type how a value is stored: an enum as its value, a tuple or frozenset as a JSON list,
anything else as it is. Reads (``load``), inserts (``row``), updates (``values``) and the
columns an update must send (``changed``) are all built from it, as plain Core rows and dicts.

A column or field left unpaired raises ``UnpairedFields`` when the declaration is made (at
import): adding a field to the dataclass and its column to the table is the whole change, and
forgetting either cannot pass silently. Columns the repository fills itself (a child's parent
id, a list position) are named in ``given``; fields it builds itself (a joined person, a child
list) in ``supplied``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Label, Table
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")
Convert = Callable[[Any], Any]


class UnpairedFields(TypeError):
    """A mapping declaration left a column or a field without its partner."""


@dataclasses.dataclass(frozen=True)
class Stored:
    """How one field's values are stored: ``dump`` on the way in, ``load`` on the way out."""

    dump: Convert
    load: Convert


class Fields(Generic[T]):
    """How the rows of one table are objects of one dataclass, and back."""

    def __init__(
        self,
        row_class: type[Any],
        cls: type[T],
        *,
        paths: Mapping[str, str] | None = None,
        stored: Mapping[str, Stored] | None = None,
        given: Collection[str] = (),
        supplied: Collection[str] = (),
        key: str = "id",
    ) -> None:
        self.row_class = row_class
        self.table = cast(Table, row_class.__table__)
        self.cls = cls
        self.key = key
        paths = dict(paths or {})
        stored = dict(stored or {})
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cast(Any, cls)) if f.init]
        columns = [c.name for c in self.table.columns]
        problems = [
            f"{c!r} is not a column of {self.table.name}"
            for c in [*given, *paths]
            if c not in columns
        ]
        # (column, field path, path read, dump, load) for each column taken from the object.
        plan: list[tuple[str, tuple[str, ...], str, Convert | None, Convert | None]] = []
        covered: set[str] = set(supplied)
        for column in columns:
            if column in given:
                continue
            path = tuple(paths.get(column, column).split("."))
            hint = _hint(hints, cls, path)
            if hint is None:
                problems.append(
                    f"column {column!r} of {self.table.name} pairs with no field of "
                    f"{cls.__name__} (name it in paths=, or in given= if the repository fills it)"
                )
                continue
            try:
                way = stored[column] if column in stored else _inferred(hint)
            except LookupError:
                problems.append(
                    f"column {column!r}: say how a {hint} is stored (stored={{...: Stored(...)}})"
                )
                continue
            plan.append((column, path, *_ways(".".join(path), way, _nullable(hint))))
            covered.add(path[0])
        problems += [
            f"field {cls.__name__}.{name} pairs with no column of {self.table.name} "
            "(add the column, or name it in supplied= if the repository builds it)"
            for name in names
            if name not in covered
        ]
        if problems:
            raise UnpairedFields("; ".join(problems))
        # The mapped attributes, not the bare columns: a statement naming them is an ORM
        # statement, so the session flushes rows staged earlier before it runs.
        self.selected: tuple[InstrumentedAttribute[Any], ...] = tuple(
            getattr(row_class, c) for c in columns
        )
        position = {c: i for i, c in enumerate(columns)}
        # Only top-level fields load from a column; dotted paths are built by the repository.
        self._reads = [
            (path[0], position[column], load) for column, path, _, _, load in plan if len(path) == 1
        ]
        writes = [(column, get, dump) for column, _, get, dump, _ in plan]
        self._writes = _Writes(writes)
        self._updates = _Writes([w for w in writes if w[0] not in (key, "version")])

    def labelled(self, prefix: str) -> list[Label[Any]]:
        """The columns as ``prefix + name``, for a join where two tables share names."""
        return [c.label(f"{prefix}{c.name}") for c in self.selected]

    def load(self, row: Sequence[Any], start: int = 0, **supplied: Any) -> T:
        """The object from ``row``, whose columns from ``start`` on are ``selected``."""
        fields = {
            name: row[start + i] if load is None else load(row[start + i])
            for name, i, load in self._reads
        }
        return self.cls(**fields, **supplied)

    def row(self, obj: T, **given: Any) -> dict[str, Any]:
        """Every column of ``obj`` (for an INSERT), with the ``given`` ones added."""
        return self._writes.dumped(obj, given)

    def values(self, obj: T, **given: Any) -> dict[str, Any]:
        """Every column an UPDATE may set: all but the key and the version."""
        return self._updates.dumped(obj, given)

    @staticmethod
    def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
        """The columns of ``after`` whose values differ from ``before``."""
        return {c: v for c, v in after.items() if c not in before or before[c] != v}


class _Writes:
    """Columns from an object, as fast as Python allows: one ``attrgetter`` fetches every
    value stored as it is (a tuple, in C), and only the converted ones take a call each."""

    def __init__(self, writes: list[tuple[str, str, Convert | None]]) -> None:
        plain = [(column, path) for column, path, dump in writes if dump is None]
        self._columns = [column for column, _ in plain]
        self._get: Convert = attrgetter(*(p for _, p in plain)) if plain else lambda _: ()
        if len(plain) == 1:
            self._get = _one(self._get)
        self._converted = [(c, attrgetter(p), dump) for c, p, dump in writes if dump is not None]

    def dumped(self, obj: object, given: dict[str, Any]) -> dict[str, Any]:
        found = dict(zip(self._columns, self._get(obj), strict=True))
        for column, get, dump in self._converted:
            found[column] = dump(get(obj))
        if given:
            found.update(given)
        return found


def _one(get: Convert) -> Convert:
    return lambda obj: (get(obj),)


def _or_none(convert: Convert, value: Any) -> Any:
    return None if value is None else convert(value)


def _hint(hints: dict[str, Any], cls: type[Any], path: tuple[str, ...]) -> Any:
    """The type of the field at ``path`` (through nested dataclasses), or None."""
    hint: Any = cls
    for step in path:
        owner = _bare(hint)
        if not dataclasses.is_dataclass(owner):
            return None
        owner_hints = hints if owner is cls else typing.get_type_hints(owner)
        if step not in owner_hints:
            return None
        hint = owner_hints[step]
    return hint


def _bare(hint: Any) -> Any:
    """``X`` for ``X | None``; a NewType's base."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(rest) == 1:
            hint = rest[0]
    while hasattr(hint, "__supertype__"):
        hint = hint.__supertype__
    return hint


_PLAIN = (str, int, bool, float, bytes)


def _inferred(hint: Any) -> Stored | None:
    """How a field of type ``hint`` is stored: None when as it is (LookupError: unknown)."""
    bare = _bare(hint)
    origin = typing.get_origin(bare)
    if isinstance(bare, type) and issubclass(bare, Enum):
        return Stored(dump=_enum_value, load=bare)
    if origin in (tuple, frozenset):
        args = [a for a in typing.get_args(bare) if a is not Ellipsis]
        item = _inferred(args[0]) if args else None
        return _collection(
            cast(type[Any], origin), *((None, None) if item is None else (item.dump, item.load))
        )
    if origin is Mapping:
        return Stored(dump=dict, load=dict)  # a JSON object, whatever mapping the field holds
    if origin in (dict, list) or bare is Any:
        return None  # a JSON column
    if isinstance(bare, type) and (issubclass(bare, _PLAIN) or bare.__module__ == "datetime"):
        return None
    raise LookupError(hint)


def _enum_value(member: Enum) -> Any:
    return member.value


def _collection(kind: type[Any], dump: Convert | None, load: Convert | None) -> Stored:
    def dumped(values: Collection[Any]) -> list[Any]:
        items = [v if dump is None else dump(v) for v in values]
        return sorted(items) if kind is frozenset else items

    def loaded(values: list[Any]) -> Any:
        return kind(v if load is None else load(v) for v in values)

    return Stored(dump=dumped, load=loaded)


def _ways(
    path: str, stored: Stored | None, nullable: bool
) -> tuple[str, Convert | None, Convert | None]:
    """The path read, dump and load of one column. The write path is the sweep's and the
    import's, so it stays in C where it can: attrgetter walks a dotted path, and a required
    enum's value is one more step of it."""
    if stored is None:
        return path, None, None
    if stored.dump is _enum_value and not nullable:
        # ``_value_`` (enum's documented sunder name) is a plain attribute; ``value`` is a
        # property, a Python call per column.
        return f"{path}._value_", None, stored.load
    if nullable:
        return path, partial(_or_none, stored.dump), partial(_or_none, stored.load)
    return path, stored.dump, stored.load


def _nullable(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(hint)
    )
