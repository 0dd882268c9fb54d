"""``rescind audit verify``: the hash chain holds, and an edit or a removal made behind
rescind's back in the database file is caught."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.e2e.conftest import Rescind


def test_audit_verify_after_the_demo_says_the_trail_is_intact(demo_copy: Rescind) -> None:
    assert demo_copy("audit", "verify").out.startswith("audit trail intact:")


def test_audit_verify_exits_1_when_a_record_was_changed_in_the_database(
    demo_copy: Rescind,
) -> None:
    with closing(sqlite3.connect(demo_copy.sqlite_path)) as db, db:
        db.execute(
            "UPDATE audit_event SET data = '{\"x\":1}' WHERE id = (SELECT min(id) FROM audit_event)"
        )

    out = demo_copy("audit", "verify", code=1).out
    assert "BROKEN" in out
    assert "changed" in out


def test_audit_verify_exits_1_when_the_last_record_of_a_stream_was_deleted(
    demo_copy: Rescind,
) -> None:
    with closing(sqlite3.connect(demo_copy.sqlite_path)) as db, db:
        (stream,) = db.execute(
            "SELECT stream FROM audit_event GROUP BY stream ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        db.execute(
            "DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event WHERE stream = ?)",
            (stream,),
        )

    out = demo_copy("audit", "verify", code=1).out
    assert "BROKEN" in out
    assert f"{stream}: the head says record" in out
