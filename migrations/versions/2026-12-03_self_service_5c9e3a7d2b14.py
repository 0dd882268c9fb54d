"""The homeowner's self-service page: one-time links (digests only) and the job's language.

Revision ID: 5c9e3a7d2b14
Revises: 5c2e9d7a4b18
Create Date: 2026-12-03 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c9e3a7d2b14"
down_revision: str | Sequence[str] | None = "5c2e9d7a4b18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_service_link",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("token_digest", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_digest", sa.String(), nullable=True),
        sa.Column("session_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_self_service_link_job_id_job")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_service_link")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_self_service_link_token_digest")),
        sa.UniqueConstraint("session_digest", name=op.f("uq_self_service_link_session_digest")),
    )
    op.create_index(
        op.f("ix_self_service_link_job_id"), "self_service_link", ["job_id"], unique=False
    )
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("language", sa.String(), server_default="en", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("language")
    op.drop_index(op.f("ix_self_service_link_job_id"), table_name="self_service_link")
    op.drop_table("self_service_link")
