"""One open request per requester and job, held by the database; inbound email's digest.

A partial unique index on (job_id, requester_role) over open and escalated requests, so two
filings at once cannot both succeed; and the digest of each received email's sender and
text, so the same email sent twice under new Message-IDs files one request.

Revision ID: 5c9e1a7b3d2f
Revises: 8c5e1f2a7b94
Create Date: 2026-12-03 12:40:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c9e1a7b3d2f"
down_revision: str | Sequence[str] | None = "8c5e1f2a7b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("outcome IN ('escalated', 'open')")


def upgrade() -> None:
    op.create_index(
        "uq_cancellation_request_open_requester",
        "cancellation_request",
        ["job_id", "requester_role"],
        unique=True,
        postgresql_where=OPEN_ONLY,
        sqlite_where=OPEN_ONLY,
    )
    with op.batch_alter_table("inbound_email") as batch:
        batch.add_column(
            sa.Column("content_digest", sa.String(), server_default="", nullable=False)
        )
        batch.create_index(
            "ix_inbound_email_content_digest_received_at", ["content_digest", "received_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_email") as batch:
        batch.drop_index("ix_inbound_email_content_digest_received_at")
        batch.drop_column("content_digest")
    op.drop_index("uq_cancellation_request_open_requester", table_name="cancellation_request")
