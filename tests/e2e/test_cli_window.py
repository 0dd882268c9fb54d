"""The Cancel Pending window from the command line: sweep, restore and company holidays."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import date, timedelta

from tests.e2e.conftest import DemoFacts, Rescind

MOVED = re.compile(r"^calendar version (\d+): (\d+) pending windows moved$")


def pending_until(rescind: Rescind, job_id: str) -> date:
    found = re.search(
        r"cancel_pending until the end of (\d{4}-\d{2}-\d{2})", rescind("jobs", "show", job_id).out
    )
    assert found, f"{job_id} is not cancel pending"
    return date.fromisoformat(found[1])


def stored_final_date(rescind: Rescind, job_id: str) -> date:
    """Read straight from the file (a ``jobs show`` costs a whole command start)."""
    with closing(sqlite3.connect(rescind.sqlite_path)) as db:
        (final_at,) = db.execute("SELECT final_at FROM job WHERE id = ?", (job_id,)).fetchone()
    # Stored as naive UTC; the window ends at local midnight, i.e. early the next UTC day.
    return date.fromisoformat(str(final_at)[:10]) - timedelta(days=1)


def calendar_change(out: str) -> tuple[int, int]:
    found = MOVED.match(out.strip())
    assert found, out
    return int(found[1]), int(found[2])


def test_sweep_finalizes_an_ended_window_once_and_a_second_sweep_finalizes_nothing(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    # End the phone-cancelled job's window in the past, as if its 14 business days had passed.
    with closing(sqlite3.connect(demo_copy.sqlite_path)) as db, db:
        db.execute(
            "UPDATE job SET final_at = '2020-01-01 05:00:00.000000' WHERE id = ?",
            (demo_facts.phone_job,),
        )

    # Past the final moment, before the sweep: still cancel pending, as the trail says.
    shown = demo_copy("jobs", "show", demo_facts.phone_job).out
    assert "cancel_pending — final since 2020-01-01 00:00 EST, being processed" in shown
    assert demo_copy("sweep").out.startswith("finalized 1 jobs")
    assert "being processed" not in demo_copy("jobs", "show", demo_facts.phone_job).out
    assert demo_copy("sweep").out.startswith("finalized 0 jobs")


def test_restore_of_an_active_job_exits_4_saying_only_a_pending_job_can_be_restored(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    result = demo_copy("restore", demo_facts.beam_job, "--why", "mistake", code=4)
    assert "is active; only a cancel-pending job can be restored" in result.error_line


def test_restore_of_the_job_the_demo_cancelled_by_phone_makes_it_active_again(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    out = demo_copy("restore", demo_facts.phone_job, "--why", "the homeowner changed their mind")
    assert out.out.strip() == f"job {demo_facts.phone_job} is active again"


def test_a_company_holiday_inside_a_pending_window_moves_it_and_removing_it_moves_it_back(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    # The window's last business day becomes a holiday, so the window ends a business day later.
    day = demo_facts.final_date.isoformat()

    added = demo_copy("holiday", "add", day, "Company retreat").out
    assert calendar_change(added) == (2, 1)
    assert stored_final_date(demo_copy, demo_facts.phone_job) > demo_facts.final_date

    removed = demo_copy("holiday", "remove", day).out
    assert calendar_change(removed) == (3, 1)
    assert pending_until(demo_copy, demo_facts.phone_job) == demo_facts.final_date


def test_christmas_eve_is_added_once_listed_and_refused_a_second_time(
    demo_copy: Rescind,
) -> None:
    # Whether it moves the demo's window depends on today's date; the count is not tested here.
    version, _ = calendar_change(demo_copy("holiday", "add", "2026-12-24", "Christmas Eve").out)
    assert version == 2

    again = demo_copy("holiday", "add", "2026-12-24", "Christmas Eve", code=5)
    assert "2026-12-24" in again.error_line

    listed = demo_copy("holiday", "list").out.splitlines()
    assert listed == ["calendar version 2", "2026-12-24  Christmas Eve"]


def test_a_holiday_that_is_not_a_date_exits_2_with_one_line(demo_copy: Rescind) -> None:
    result = demo_copy("holiday", "add", "2026-02-30", "Nonsense", code=2)
    assert "'2026-02-30' is not a date" in result.error_line
