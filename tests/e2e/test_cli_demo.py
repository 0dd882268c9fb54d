"""``rescind demo``: loads the demo data once and walks the procedure, again on a second run."""

from __future__ import annotations

from tests.e2e.conftest import DemoFacts, Rescind


def test_demo_on_a_fresh_data_dir_loads_300_jobs_and_walks_the_procedure(
    demo_facts: DemoFacts,
) -> None:
    out = demo_facts.first_run.out
    assert "loaded 300 demo jobs" in out
    assert f"job {demo_facts.phone_job} is now cancel pending until the end of" in out
    assert "refused (not_eligible)" in out
    assert "opened for Deal Processing" in out
    assert "finalized 12 jobs" in out
    assert "intact: True" in out


def test_demo_run_a_second_time_loads_nothing_and_finds_the_job_already_cancel_pending(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    second = demo_copy("demo")
    assert "already loaded" in second.out
    assert "loaded 300" not in second.out
    assert (
        f"job {demo_facts.phone_job} is already cancel pending until the end of "
        f"{demo_facts.final_date.isoformat()}"
    ) in second.out
    assert "finalized 0 jobs" in second.out
    assert "intact: True" in second.out
