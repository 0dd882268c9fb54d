"""The issued audit checkpoints: each signed tree head, and the name of its kept document.

Revision ID: 9e4c7a1b2d3f
Revises: 7d3e9a1c2b4f
Create Date: 2026-12-02 05:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4c7a1b2d3f"
down_revision: str | Sequence[str] | None = "7d3e9a1c2b4f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index(
        op.f("ix_audit_checkpoint_created_at"), "audit_checkpoint", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_checkpoint_created_at"), table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
