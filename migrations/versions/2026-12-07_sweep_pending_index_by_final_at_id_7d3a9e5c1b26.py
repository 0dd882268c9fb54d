"""The sweep's partial index keyed (final_at, id), the order the sweep claims jobs in.

The index was (status, final_at) over pending jobs only: ``status`` is the same in every
entry, and jobs whose windows end at the same moment (most of a day's) made duplicate keys,
which PostgreSQL stores as posting lists. A finalized job leaves its entry behind until
VACUUM, and a partly finalized posting list cannot be marked dead, so each batch of a sweep
re-read every entry the batches before it had finalized, a heap visit each: 11,000 buffers
for the 1,000th pending row after 10,000 finalized. Keyed (final_at, id) every entry is
distinct, dead ones are marked as the next scan passes them (100 buffers after a whole sweep),
and the due query reads the index in its own ORDER BY, with no sort.

Revision ID: 7d3a9e5c1b26
Revises: 5c9e1a7b3d2f
Create Date: 2026-12-07 15:25:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3a9e5c1b26"
down_revision: str | Sequence[str] | None = "5c9e1a7b3d2f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_job_pending_final_at"
_PENDING_ONLY = sa.text("status = 'cancel_pending'")


def upgrade() -> None:
    _recreate(["final_at", "id"])


def downgrade() -> None:
    _recreate(["status", "final_at"])


def _recreate(columns: list[str]) -> None:
    op.drop_index(_NAME, table_name="job")
    op.create_index(
        _NAME,
        "job",
        columns,
        unique=False,
        postgresql_where=_PENDING_ONLY,
        sqlite_where=_PENDING_ONLY,
    )
