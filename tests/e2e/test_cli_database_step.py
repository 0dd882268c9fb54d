"""Preparing the database is one step of a run, skipped by the commands that need none."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.e2e.conftest import Rescind


def test_audit_keygen_writes_a_key_without_creating_a_database(
    rescind: Rescind, tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "signing.pem"
    key.parent.mkdir()
    rescind("audit", "keygen", str(key))
    assert key.is_file()
    assert not rescind.sqlite_path.exists()


def test_a_command_that_reads_the_database_first_migrates_it_and_seeds_the_policy(
    rescind: Rescind,
) -> None:
    rescind("holiday", "list")
    with closing(sqlite3.connect(rescind.sqlite_path)) as db:
        (head,) = db.execute("SELECT count(*) FROM alembic_version").fetchone()
        (policies,) = db.execute("SELECT count(*) FROM policy_version").fetchone()
    assert (head, policies) == (1, 1)


def test_help_for_a_database_command_creates_no_database(rescind: Rescind) -> None:
    assert "Usage" in rescind("jobs", "import", "--help").out
    assert not rescind.sqlite_path.exists()
