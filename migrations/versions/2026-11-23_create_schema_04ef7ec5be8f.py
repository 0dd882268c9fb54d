"""Create the whole schema of rescind (tables, indexes, constraints) at once.

Reviewed by hand after autogenerate: names follow the naming convention in
``rescind.adapters.db.tables.base``; ``ix_job_pending_final_at`` is a partial index (only
pending jobs) on both databases, for the finalisation sweep.

Revision ID: 04ef7ec5be8f
Revises:
Create Date: 2026-11-23 17:15:53.179903+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "04ef7ec5be8f"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("stream", "seq", name=op.f("uq_audit_event_stream_seq")),
    )
    op.create_index(op.f("ix_audit_event_job_id"), "audit_event", ["job_id"], unique=False)

    op.create_table(
        "audit_stream",
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_audit_stream")),
    )
    op.create_table(
        "calendar_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_calendar_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_revision")),
    )
    op.create_table(
        "company_holiday",
        sa.Column("holiday_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("holiday_date", name=op.f("pk_company_holiday")),
    )
    op.create_table(
        "homeowner",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homeowner")),
    )
    op.create_table(
        "installer_company",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installer_company")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("to_addrs", sa.JSON(), nullable=False),
        sa.Column("cc_addrs", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("secret_keys", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_message_id")),
    )
    op.create_index(
        op.f("ix_outbox_message_status_next_attempt_at"),
        "outbox_message",
        ["status", "next_attempt_at"],
        unique=False,
    )

    op.create_table(
        "policy_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_version")),
    )
    op.create_table(
        "sales_rep",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_rep")),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("homeowner_id", sa.String(), nullable=False),
        sa.Column("installer_id", sa.String(), nullable=False),
        sa.Column("sales_rep_id", sa.String(), nullable=False),
        sa.Column("product_model", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("review_status", sa.String(), nullable=False),
        sa.Column("invoice_uploaded", sa.Boolean(), nullable=False),
        sa.Column("system_photos_uploaded", sa.Boolean(), nullable=False),
        sa.Column("partner_program", sa.String(), nullable=False),
        sa.Column("installer_signed", sa.Boolean(), nullable=False),
        sa.Column("sales_rep_signed", sa.Boolean(), nullable=False),
        sa.Column("contract_signed_date", sa.Date(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("pending_since_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("calendar_version", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["homeowner_id"], ["homeowner.id"], name=op.f("fk_job_homeowner_id_homeowner")
        ),
        sa.ForeignKeyConstraint(
            ["installer_id"],
            ["installer_company.id"],
            name=op.f("fk_job_installer_id_installer_company"),
        ),
        sa.ForeignKeyConstraint(
            ["sales_rep_id"], ["sales_rep.id"], name=op.f("fk_job_sales_rep_id_sales_rep")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_homeowner_id"), "job", ["homeowner_id"], unique=False)
    op.create_index(op.f("ix_job_installer_id"), "job", ["installer_id"], unique=False)
    op.create_index(
        op.f("ix_job_pending_final_at"),
        "job",
        ["status", "final_at"],
        unique=False,
        postgresql_where=sa.text("status = 'cancel_pending'"),
        sqlite_where=sa.text("status = 'cancel_pending'"),
    )
    op.create_index(op.f("ix_job_sales_rep_id"), "job", ["sales_rep_id"], unique=False)

    op.create_table(
        "cancellation_request",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("requester_role", sa.String(), nullable=False),
        sa.Column("requester_name", sa.String(), nullable=False),
        sa.Column("filed_by", sa.String(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("within_cooling_off", sa.Boolean(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification_method", sa.String(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("outcome_detail", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_cancellation_request_job_id_job")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_request")),
    )
    op.create_index(
        op.f("ix_cancellation_request_job_id"), "cancellation_request", ["job_id"], unique=False
    )
    op.create_index(
        op.f("ix_cancellation_request_outcome_due_at"),
        "cancellation_request",
        ["outcome", "due_at"],
        unique=False,
    )

    op.create_table(
        "feed_comment",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("homeowner_id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["homeowner_id"], ["homeowner.id"], name=op.f("fk_feed_comment_homeowner_id_homeowner")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_feed_comment_job_id_job")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_comment")),
    )
    op.create_index(
        op.f("ix_feed_comment_homeowner_id"), "feed_comment", ["homeowner_id"], unique=False
    )

    op.create_table(
        "review_item",
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_review_item_job_id_job")),
        sa.PrimaryKeyConstraint("job_id", "id", name=op.f("pk_review_item")),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_case_job_id_job")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cancellation_request.id"],
            name=op.f("fk_case_request_id_cancellation_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
    )
    op.create_index(op.f("ix_case_job_id"), "case", ["job_id"], unique=False)
    op.create_index(op.f("ix_case_queue_status"), "case", ["queue", "status"], unique=False)

    op.create_table(
        "verification_challenge",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("salt", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cancellation_request.id"],
            name=op.f("fk_verification_challenge_request_id_cancellation_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_challenge")),
    )
    op.create_index(
        op.f("ix_verification_challenge_request_id"),
        "verification_challenge",
        ["request_id"],
        unique=False,
    )

    op.create_table(
        "written_statement",
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_date", sa.Date(), nullable=True),
        sa.Column("source_ref", sa.String(), nullable=False),
        sa.Column("from_address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cancellation_request.id"],
            name=op.f("fk_written_statement_request_id_cancellation_request"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_written_statement")),
    )
    op.create_table(
        "case_assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("team", sa.String(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_assignment_case_id_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignment")),
    )
    op.create_index(
        op.f("ix_case_assignment_case_id"), "case_assignment", ["case_id"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    op.drop_table("case_assignment")
    op.drop_table("written_statement")
    op.drop_table("verification_challenge")
    op.drop_table("case")
    op.drop_table("review_item")
    op.drop_table("feed_comment")
    op.drop_table("cancellation_request")
    op.drop_table("job")
    op.drop_table("sales_rep")
    op.drop_table("policy_version")
    op.drop_table("outbox_message")
    op.drop_table("installer_company")
    op.drop_table("homeowner")
    op.drop_table("company_holiday")
    op.drop_table("calendar_revision")
    op.drop_table("audit_stream")
    op.drop_table("audit_event")
