"""Why an email did or did not authenticate its sender, kept where agents look.

- ``inbound_email.authenticated`` / ``authentication``: the verdict on the message's trusted
  Authentication-Results and its reason (null / empty for mail received before, and for
  unreadable messages);
- ``cancellation_request.verification_note``: the same reason on the request the email became.

Revision ID: 7e4a1c9b2d60
Revises: 6daaa1f59332
Create Date: 2026-12-02 04:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e4a1c9b2d60"
down_revision: str | Sequence[str] | None = "6daaa1f59332"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_email") as batch:
        batch.add_column(sa.Column("authenticated", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("authentication", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("cancellation_request") as batch:
        batch.add_column(
            sa.Column("verification_note", sa.Text(), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cancellation_request") as batch:
        batch.drop_column("verification_note")
    with op.batch_alter_table("inbound_email") as batch:
        batch.drop_column("authentication")
        batch.drop_column("authenticated")
