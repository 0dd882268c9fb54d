"""Inbound email: every message received for support, filed as a request or kept for triage.

Reviewed by hand: plain create_table/create_index (no batch needed for a new table).

Revision ID: 62738d67f16b
Revises: b0f0fb4f1111
Create Date: 2026-11-23 17:56:04.419954+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "62738d67f16b"
down_revision: str | Sequence[str] | None = "b0f0fb4f1111"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_email",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("from_address", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_email")),
    )
    op.create_index("ix_inbound_email_message_id", "inbound_email", ["message_id"])
    op.create_index(
        "ix_inbound_email_status_received_at", "inbound_email", ["status", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_email_status_received_at", table_name="inbound_email")
    op.drop_index("ix_inbound_email_message_id", table_name="inbound_email")
    op.drop_table("inbound_email")
