"""The key commands on the real PostgreSQL server, each test in a fresh schema of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Rescind
from tests.e2e.test_cli_jobs import GOOD_JOBS, write_csv_with_bad_rows

pytestmark = pytest.mark.postgres


def test_demo_on_postgres_runs_after_db_upgrade_and_a_second_run_finds_it_loaded(
    postgres_rescind: Rescind,
) -> None:
    refused = postgres_rescind("demo", code=1)
    assert "run `rescind db upgrade` first" in refused.error_line

    assert "up to date" in postgres_rescind("db", "upgrade").out

    first = postgres_rescind("demo").out
    assert "loaded 300 demo jobs into postgresql+psycopg://" in first
    assert "is now cancel pending until the end of" in first
    assert "finalized 12 jobs" in first
    assert "intact: True" in first

    second = postgres_rescind("demo").out
    assert "already loaded" in second
    assert "is already cancel pending until the end of" in second
    assert "finalized 0 jobs" in second
    assert "intact: True" in second


def test_import_on_postgres_keeps_the_good_rows_and_reports_the_bad_lines(
    postgres_rescind: Rescind, tmp_path: Path
) -> None:
    postgres_rescind("db", "upgrade")
    file = tmp_path / "jobs.csv"
    expected = write_csv_with_bad_rows(file)

    result = postgres_rescind("jobs", "import", str(file), code=2)

    assert result.out.strip() == f"imported {GOOD_JOBS} jobs; {len(expected)} rows rejected"
    assert [line.split(":")[0] for line in result.err.splitlines()] == [
        f"line {n}" for n in sorted(expected)
    ]


def test_users_on_postgres_create_the_first_admin_and_set_and_reset_passwords(
    postgres_rescind: Rescind,
) -> None:
    postgres_rescind("db", "upgrade")
    assert postgres_rescind("users", "list").out == ""

    created = postgres_rescind(
        "users",
        "create",
        "--role",
        "admin",
        "ada.ops",
        "--password-stdin",
        stdin="a long admin passphrase\n",
    )
    assert created.out.startswith("created admin ada.ops (USR-")

    # A username another user has: a conflict (exit 5), one line, nothing created.
    taken = postgres_rescind(
        "users",
        "create",
        "--role",
        "admin",
        "ada.ops",
        "--password-stdin",
        stdin="a long passphrase\n",
        code=5,
    )
    assert "is taken" in taken.error_line
    # A scope naming no record: not found (exit 3).
    unknown = postgres_rescind(
        "users",
        "create",
        "--role",
        "installer",
        "ivy",
        "--scope-id",
        "INST-404",
        "--password-stdin",
        stdin="a long passphrase\n",
        code=3,
    )
    assert "no installer company with id 'INST-404'" in unknown.error_line
    # Bad input: one line, exit 2, nothing created.
    for args, stdin, says in (
        (("--role", "wizard", "merlin"), "a long passphrase\n", "--role is one of"),
        (("--role", "agent", "al"), "short\n", "at least 10 characters"),
        (("--role", "agent", "al"), "\n", "no password"),
        (("--role", "installer", "ivy"), "a long passphrase\n", "needs --scope-id"),
    ):
        refused = postgres_rescind(
            "users", "create", *args, "--password-stdin", stdin=stdin, code=2
        )
        assert says in refused.error_line, (args, refused.error_line)
    assert postgres_rescind("users", "list").out.splitlines() == ["ada.ops  admin  (active)"]

    reset = postgres_rescind("users", "force-reset", "ada.ops")
    assert "a new password is needed before the next login" in reset.out
    assert "must change password" in postgres_rescind("users", "list").out

    changed = postgres_rescind(
        "users", "set-password", "ada.ops", "--password-stdin", stdin="another long one\n"
    )
    assert "password set" in changed.out
    assert postgres_rescind("users", "list").out.splitlines() == ["ada.ops  admin  (active)"]

    missing = postgres_rescind("users", "force-reset", "nobody", code=3)
    assert "no user named 'nobody'" in missing.error_line
