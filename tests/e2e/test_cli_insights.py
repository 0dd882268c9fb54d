"""``rescind db recount-insights``: the demo's trail counted again gives the same counters."""

from __future__ import annotations

import sqlite3

from tests.e2e.conftest import Rescind


def counters(rescind: Rescind) -> list[tuple[object, ...]]:
    with sqlite3.connect(rescind.sqlite_path) as db:
        return sorted(db.execute("SELECT * FROM insight_day").fetchall())


def test_recounting_the_demo_trail_gives_the_counters_written_with_it(
    demo_copy: Rescind,
) -> None:
    before = counters(demo_copy)

    run = demo_copy("db", "recount-insights")

    assert run.code == 0, run.err
    assert "audit records into the insights" in run.out
    assert before
    assert counters(demo_copy) == before
