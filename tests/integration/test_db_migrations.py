"""The migrations and the table models describe the same schema, on both databases."""

from __future__ import annotations

from rescind.adapters.db.migrate import check, upgrade


def test_alembic_check_finds_no_drift_between_models_and_migrations(db_url: str) -> None:
    check(db_url)


def test_upgrading_a_database_already_at_head_changes_nothing(db_url: str) -> None:
    upgrade(db_url)
    check(db_url)
