"""Indexes for reads at scale, found by bench/reads.py with a million jobs.

- ``outbox_message.job_id``: the job page lists a job's emails, and the outbox keeps every
  email ever queued, so each job page read the whole table.
- open requests by (due_at, id), partial on the open outcomes: the support worklist asks for
  two outcomes ordered by due time, which the (outcome, due_at) index can only answer by
  sorting every open request for each page.

Revision ID: 5c1d2e3f4a5b
Revises: 62738d67f16b
Create Date: 2026-12-01 18:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | Sequence[str] | None = "62738d67f16b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("outcome IN ('escalated', 'open')")


def upgrade() -> None:
    op.create_index("ix_outbox_message_job_id", "outbox_message", ["job_id"])
    op.create_index(
        "ix_cancellation_request_open_due_at",
        "cancellation_request",
        ["due_at", "id"],
        postgresql_where=OPEN_ONLY,
        sqlite_where=OPEN_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_cancellation_request_open_due_at", table_name="cancellation_request")
    op.drop_index("ix_outbox_message_job_id", table_name="outbox_message")
