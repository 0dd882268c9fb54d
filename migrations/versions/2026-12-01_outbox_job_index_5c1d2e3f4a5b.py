"""An index on the outbox's job_id: the job page lists a job's emails.

The outbox keeps every email ever queued, so without it each job page read the whole table
(found by bench/reads.py: a sequential scan of every outbox row per page).

Revision ID: 5c1d2e3f4a5b
Revises: 62738d67f16b
Create Date: 2026-12-01 18:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | Sequence[str] | None = "62738d67f16b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_message_job_id", "outbox_message", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_job_id", table_name="outbox_message")
