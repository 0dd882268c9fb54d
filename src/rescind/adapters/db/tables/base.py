"""The declarative base: one MetaData with a naming convention, and Python → column types.

The naming convention makes every index and constraint name predictable, so Alembic can
alter or drop them on SQLite (batch mode) and PostgreSQL alike without guessing names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, relationship

from rescind.adapters.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Free text (bodies, descriptions) is Text; identifiers and enum values are String.
LongText = Text


def parent(target: str) -> Any:
    """A many-to-one link used only so a flush INSERTs parents before children.

    Rows are translated to domain objects by hand, so these links are never navigated
    (``lazy="raise"`` makes an accidental lazy load fail loudly instead of querying).
    """
    return relationship(target, lazy="raise")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Date(),
        str: String(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }
