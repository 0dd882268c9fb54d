"""Deal Processing's approval on the request it approves (``approved_by_case_id``).

An approval no longer cancels by itself: the request stays open, marked approved, until it is
the verified homeowner's with the written statement and is cancelled. A nullable column, so
plain ALTER TABLE on both databases (no batch copy of the table and its partial index).

Revision ID: 6daaa1f59332
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-02 04:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6daaa1f59332"
down_revision: str | Sequence[str] | None = "5c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cancellation_request", sa.Column("approved_by_case_id", sa.String(), nullable=True)
    )


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+): a batch copy would have to rebuild the partial index.
    op.drop_column("cancellation_request", "approved_by_case_id")
