"""The homeowner's name key kept on each job, so a name search is one index range of ``job``.

"quinn fi" matches ~1,400 of a million homeowners. Through the homeowner, each match needs
its jobs from ``ix_job_homeowner_id``: a leaf each, spread over the whole index, ~1,200 pages
read whenever the cache had let them go (p95 141 ms on the read bench). With the key on the
job and an index on ``(name_key, id)`` the same ~1,400 entries are a few adjacent leaves.

- ``job.name_key``: written with every job row from its homeowner (``adapters/db/mapping.py``)
  and copied to a homeowner's other jobs when a later job renames them; backfilled here from
  ``homeowner.name_key`` in one statement.
- ``ix_job_name_key_id`` (``text_pattern_ops`` on PostgreSQL, so ``LIKE 'abc%'`` uses it under
  any collation), with the finer statistics the homeowner's key had, so the planner's guess
  of how many jobs a prefix matches is close (it picks between this range and walking ids).
- ``ix_homeowner_name_key`` is dropped: nothing searches the homeowner's copy any more.

On PostgreSQL the backfill rewrites every job row, and the migration ends with a VACUUM of
``job`` (1 M jobs: ~70 s for the whole upgrade on the shared bench machine).

Revision ID: 8e4b2d6f0a17
Revises: 7d3a9e5c1b26
Create Date: 2026-12-08 01:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4b2d6f0a17"
down_revision: str | Sequence[str] | None = "7d3a9e5c1b26"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_job_name_key_id"
_HOMEOWNER_INDEX = "ix_homeowner_name_key"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("job") as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(), server_default="", nullable=False))
    if postgresql:
        op.execute(
            "UPDATE job SET name_key = homeowner.name_key FROM homeowner "
            "WHERE homeowner.id = job.homeowner_id"
        )
    else:
        op.execute(
            "UPDATE job SET name_key = "
            "(SELECT name_key FROM homeowner WHERE homeowner.id = job.homeowner_id)"
        )
    op.create_index(
        _INDEX,
        "job",
        ["name_key", "id"],
        unique=False,
        postgresql_ops={"name_key": "text_pattern_ops"},
    )
    op.drop_index(_HOMEOWNER_INDEX, table_name="homeowner")
    if postgresql:
        op.execute("ALTER TABLE job ALTER COLUMN name_key SET STATISTICS 1000")
        # The backfill wrote every job anew: until a VACUUM marks the pages all-visible the
        # new index cannot answer from itself (1,340 heap pages for "quinn fi" instead of 13).
        # VACUUM cannot run in a transaction; this one commits the migration first.
        with op.get_context().autocommit_block():
            op.execute("VACUUM (ANALYZE) job")


def downgrade() -> None:
    op.create_index(
        _HOMEOWNER_INDEX,
        "homeowner",
        ["name_key"],
        unique=False,
        postgresql_ops={"name_key": "text_pattern_ops"},
        postgresql_include=["id"],
    )
    op.drop_index(_INDEX, table_name="job")
    with op.batch_alter_table("job") as batch_op:
        batch_op.drop_column("name_key")
