"""Ending a request from the command line: ``rescind requests close`` and a restore's reason."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.e2e.conftest import DemoFacts, Rescind


def an_open_request(rescind: Rescind) -> str:
    with closing(sqlite3.connect(rescind.sqlite_path)) as db:
        row = db.execute(
            "SELECT id FROM cancellation_request WHERE outcome IN ('open', 'escalated') "
            "ORDER BY id LIMIT 1"
        ).fetchone()
    assert row, "the demo left no open request"
    return str(row[0])


def test_closing_a_request_as_withdrawn_prints_its_end_and_a_second_close_exits_4(
    demo_copy: Rescind,
) -> None:
    request_id = an_open_request(demo_copy)

    closed = demo_copy(
        "requests", "close", request_id, "--reason", "withdrawn", "--note", "called back"
    )

    assert closed.out.strip() == (
        f"request {request_id} is closed: withdrawn by the homeowner — called back"
    )
    again = demo_copy("requests", "close", request_id, "--reason", "withdrawn", code=4)
    assert f"request {request_id} is closed (withdrawn)" in again.error_line


def test_an_unknown_reason_exits_2_naming_the_reasons(demo_copy: Rescind) -> None:
    result = demo_copy("requests", "close", an_open_request(demo_copy), "--reason", "bored", code=2)
    assert "not_eligible, not_verified, withdrawn, duplicate" in result.error_line


def test_a_restore_without_a_reason_exits_2(demo_facts: DemoFacts, demo_copy: Rescind) -> None:
    result = demo_copy("restore", demo_facts.phone_job, code=2)
    assert "--why" in result.error_line
