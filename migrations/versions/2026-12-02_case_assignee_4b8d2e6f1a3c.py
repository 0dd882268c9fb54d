"""A case can be given to one team user ("assign to me", reassign to a colleague).

Revision ID: 4b8d2e6f1a3c
Revises: 3f8a2c6d1e90
Create Date: 2026-12-02 21:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b8d2e6f1a3c"
down_revision: str | Sequence[str] | None = "3f8a2c6d1e90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("assignee", sa.String(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_column("assignee")
