"""The migrations and the table models describe the same schema, on both databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from rescind.adapters.db.migrate import alembic_config, check, upgrade
from tests.pg import postgres_schema


def test_alembic_check_finds_no_drift_between_models_and_migrations(db_url: str) -> None:
    check(db_url)


def test_upgrading_a_database_already_at_head_changes_nothing(db_url: str) -> None:
    upgrade(db_url)
    check(db_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with no tables yet, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steps.sqlite3'}"
        return
    with postgres_schema(f"rescind_steps_{os.getpid()}") as url:
        yield url


def test_the_job_name_key_migration_copies_each_homeowner_s_key_to_its_jobs(
    empty_url: str,
) -> None:
    """Jobs stored before ``job.name_key`` existed are found by name once it is upgraded."""
    command.upgrade(alembic_config(empty_url), "7d3a9e5c1b26")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            for statement in _BEFORE_NAME_KEY:
                connection.execute(text(statement))
        upgrade(empty_url)
        with engine.connect() as connection:
            found = connection.execute(text("SELECT id, name_key FROM job ORDER BY id")).all()
        assert [tuple(row) for row in found] == [("job-1", "dana whitfield"), ("job-2", "ann lee")]
        check(empty_url)
    finally:
        engine.dispose()


_BEFORE_NAME_KEY = (
    "INSERT INTO homeowner (id, name, email, phone, email_key, name_key, phone_key, surname_key)"
    " VALUES ('ho-1', 'Dana  Whitfield', 'd@x.test', '', 'd@x.test', 'dana whitfield', '',"
    " 'whitfield'), ('ho-2', 'Ann Lee', 'a@x.test', '', 'a@x.test', 'ann lee', '', 'lee')",
    "INSERT INTO installer_company (id, name, email) VALUES ('inst-1', 'Sun', 's@x.test')",
    "INSERT INTO sales_rep (id, name, email) VALUES ('rep-1', 'Rep', 'r@x.test')",
    "INSERT INTO job (id, homeowner_id, installer_id, sales_rep_id, product_model, milestone,"
    " review_status, invoice_uploaded, system_photos_uploaded, partner_program,"
    " installer_signed, sales_rep_signed, contract_signed_date, phase, status)"
    " SELECT 'job-' || n, 'ho-' || n, 'inst-1', 'rep-1', 'regular', 'M1', 'not_submitted',"
    " false, false, 'none', true, true, '2026-01-01', 'operations', 'active'"
    " FROM (SELECT 1 AS n UNION ALL SELECT 2) AS numbers",
)
