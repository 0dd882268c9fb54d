"""Users, API tokens and idempotency records; search keys and paging indexes for job lists.

Reviewed by hand after autogenerate:
- ``app_user``, ``api_token`` (tokens kept as their SHA-256 digest) and ``idempotency_record``
  (PRIMARY KEY (user_id, key) is what lets only one of two concurrent attempts reserve a key).
- ``homeowner`` gains ``email_key``, ``name_key`` and ``phone_key``: lowercased email and name,
  and the phone's digits, written by the job repository and backfilled here with the same
  rules (in Python, so both databases fold case alike). On PostgreSQL the prefix keys are
  indexed with ``text_pattern_ops`` so ``LIKE 'abc%'`` uses them under any collation.
- Job lists page by id under one filter, so ``(installer_id, id)`` and ``(sales_rep_id, id)``
  replace the single-column indexes (they still serve the foreign keys), and ``(status, id)``,
  ``(milestone, id)``, ``(partner_program, id)`` are new; the outbox gets ``(status, id)``
  and case assignments ``(team, status, case_id)`` for Deal Processing's queue.

Revision ID: b0f0fb4f1111
Revises: 04ef7ec5be8f
Create Date: 2026-11-23 17:39:45.908527+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0f0fb4f1111"
down_revision: str | Sequence[str] | None = "04ef7ec5be8f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("scope_id", sa.String(), nullable=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "api_token",
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_api_token")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("content_type", sa.String(), server_default="", nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_record")),
    )

    with op.batch_alter_table("homeowner") as batch_op:
        batch_op.add_column(sa.Column("email_key", sa.String(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("name_key", sa.String(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("phone_key", sa.String(), server_default="", nullable=False))
    _backfill_homeowner_keys()
    op.create_index(op.f("ix_homeowner_email_key"), "homeowner", ["email_key"], unique=False)
    op.create_index(
        op.f("ix_homeowner_name_key"),
        "homeowner",
        ["name_key"],
        unique=False,
        postgresql_ops={"name_key": "text_pattern_ops"},
    )
    op.create_index(
        op.f("ix_homeowner_phone_key"),
        "homeowner",
        ["phone_key"],
        unique=False,
        postgresql_ops={"phone_key": "text_pattern_ops"},
    )

    op.drop_index(op.f("ix_job_installer_id"), table_name="job")
    op.drop_index(op.f("ix_job_sales_rep_id"), table_name="job")
    op.create_index(op.f("ix_job_installer_id_id"), "job", ["installer_id", "id"], unique=False)
    op.create_index(op.f("ix_job_sales_rep_id_id"), "job", ["sales_rep_id", "id"], unique=False)
    op.create_index(op.f("ix_job_status_id"), "job", ["status", "id"], unique=False)
    op.create_index(op.f("ix_job_milestone_id"), "job", ["milestone", "id"], unique=False)
    op.create_index(
        op.f("ix_job_partner_program_id"), "job", ["partner_program", "id"], unique=False
    )
    op.create_index(
        op.f("ix_outbox_message_status_id"), "outbox_message", ["status", "id"], unique=False
    )
    op.create_index(
        op.f("ix_case_assignment_team_status_case_id"),
        "case_assignment",
        ["team", "status", "case_id"],
        unique=False,
    )


def _backfill_homeowner_keys() -> None:
    """The same keys the repository writes (kept here, not imported: migrations never change)."""
    homeowner = sa.table(
        "homeowner",
        sa.column("id", sa.String()),
        sa.column("name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("email_key", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("phone_key", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(homeowner.c.id, homeowner.c.name, homeowner.c.email, homeowner.c.phone)
    ).all()
    update = (
        sa.update(homeowner)
        .where(homeowner.c.id == sa.bindparam("row_id"))
        .values(
            email_key=sa.bindparam("email_key"),
            name_key=sa.bindparam("name_key"),
            phone_key=sa.bindparam("phone_key"),
        )
    )
    for start in range(0, len(rows), _BACKFILL_BATCH):
        batch = rows[start : start + _BACKFILL_BATCH]
        connection.execute(
            update,
            [
                {
                    "row_id": row.id,
                    "email_key": row.email.strip().lower(),
                    "name_key": " ".join(row.name.lower().split()),
                    "phone_key": "".join(c for c in row.phone if c.isdigit()),
                }
                for row in batch
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_assignment_team_status_case_id"), table_name="case_assignment")
    op.drop_index(op.f("ix_outbox_message_status_id"), table_name="outbox_message")
    op.drop_index(op.f("ix_job_partner_program_id"), table_name="job")
    op.drop_index(op.f("ix_job_milestone_id"), table_name="job")
    op.drop_index(op.f("ix_job_status_id"), table_name="job")
    op.drop_index(op.f("ix_job_sales_rep_id_id"), table_name="job")
    op.drop_index(op.f("ix_job_installer_id_id"), table_name="job")
    op.create_index(op.f("ix_job_sales_rep_id"), "job", ["sales_rep_id"], unique=False)
    op.create_index(op.f("ix_job_installer_id"), "job", ["installer_id"], unique=False)

    op.drop_index(op.f("ix_homeowner_phone_key"), table_name="homeowner")
    op.drop_index(op.f("ix_homeowner_name_key"), table_name="homeowner")
    op.drop_index(op.f("ix_homeowner_email_key"), table_name="homeowner")
    with op.batch_alter_table("homeowner") as batch_op:
        batch_op.drop_column("phone_key")
        batch_op.drop_column("name_key")
        batch_op.drop_column("email_key")

    op.drop_table("idempotency_record")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("app_user")
