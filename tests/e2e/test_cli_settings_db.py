"""Settings and the schema: a bad setting stops the command at start, in one line."""

from __future__ import annotations

from tests.e2e.conftest import Rescind


def test_an_unknown_company_timezone_stops_any_command_with_one_line_and_exit_2(
    rescind: Rescind,
) -> None:
    rescind.extra_env["RESCIND_COMPANY_TIMEZONE"] = "Mars/Olympus"
    result = rescind("sweep", code=2)
    assert result.error_line.startswith(
        "error: bad setting RESCIND_COMPANY_TIMEZONE: unknown time zone 'Mars/Olympus'"
    )
    assert result.out == ""
    assert not rescind.sqlite_path.exists()


def test_db_upgrade_on_a_fresh_data_dir_says_the_schema_is_up_to_date(rescind: Rescind) -> None:
    assert rescind("db", "upgrade").out.strip() == "database schema is up to date"
    assert rescind.sqlite_path.is_file()
