"""Search by surname and by the start of an email: ``homeowner.surname_key`` and prefix indexes.

- ``surname_key``: the last word of ``name_key`` (empty for a one-word name), written by the
  job repository (``domain/search.py``) and backfilled here from ``name_key``, which already
  is lower case with single spaces, so the last word is the same in SQL as in Python.
- ``email_key`` is now searched by prefix: on PostgreSQL its index becomes ``text_pattern_ops``
  so that ``LIKE 'abc%'`` can use it under any collation (SQLite's plain index already can).

Revision ID: 3f8a2c6d1e90
Revises: 3f8b2c6d1e90
Create Date: 2026-12-02 20:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8a2c6d1e90"
down_revision: str | Sequence[str] | None = "3f8b2c6d1e90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("homeowner") as batch_op:
        batch_op.add_column(
            sa.Column("surname_key", sa.String(), server_default="", nullable=False)
        )
    _backfill_surname_key()
    op.create_index(
        op.f("ix_homeowner_surname_key"),
        "homeowner",
        ["surname_key"],
        unique=False,
        postgresql_ops={"surname_key": "text_pattern_ops"},
    )
    op.drop_index(op.f("ix_homeowner_email_key"), table_name="homeowner")
    op.create_index(
        op.f("ix_homeowner_email_key"),
        "homeowner",
        ["email_key"],
        unique=False,
        postgresql_ops={"email_key": "text_pattern_ops"},
    )


def _backfill_surname_key() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        # One statement: a million homeowners in seconds rather than batches from Python.
        connection.execute(
            sa.text(
                "UPDATE homeowner SET surname_key = substring(name_key from '([^ ]+)$') "
                "WHERE position(' ' in name_key) > 0"
            )
        )
        return
    homeowner = sa.table(
        "homeowner",
        sa.column("id", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("surname_key", sa.String()),
    )
    rows = connection.execute(
        sa.select(homeowner.c.id, homeowner.c.name_key).where(homeowner.c.name_key.like("% %"))
    ).all()
    update = (
        sa.update(homeowner)
        .where(homeowner.c.id == sa.bindparam("row_id"))
        .values(surname_key=sa.bindparam("surname"))
    )
    for start in range(0, len(rows), _BACKFILL_BATCH):
        batch = rows[start : start + _BACKFILL_BATCH]
        connection.execute(
            update, [{"row_id": row.id, "surname": row.name_key.split(" ")[-1]} for row in batch]
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_homeowner_email_key"), table_name="homeowner")
    op.create_index(op.f("ix_homeowner_email_key"), "homeowner", ["email_key"], unique=False)
    op.drop_index(op.f("ix_homeowner_surname_key"), table_name="homeowner")
    with op.batch_alter_table("homeowner") as batch_op:
        batch_op.drop_column("surname_key")
