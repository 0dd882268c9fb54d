"""The insights' pre-counted rows (insight_day), filled from here on with the audit trail.

Revision ID: 8c5e1f2a7b94
Revises: 5c9e3a7d2b14
Create Date: 2026-12-03 12:00:00+00:00

The trail recorded before this revision is counted by ``rescind db recount-insights``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c5e1f2a7b94"
down_revision: str | Sequence[str] | None = "5c9e3a7d2b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_day",
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("dimension", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope", "day", "metric", "dimension", "value", name=op.f("pk_insight_day")
        ),
    )


def downgrade() -> None:
    op.drop_table("insight_day")
