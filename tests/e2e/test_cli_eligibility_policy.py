"""``rescind eligibility`` (decide, or replay as of a past moment) and ``rescind policy show``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.e2e.conftest import DemoFacts, Rescind


def test_eligibility_of_a_beam_job_is_not_eligible_under_rule_1_of_policy_v1(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    out = demo_copy("eligibility", demo_facts.beam_job).out
    assert out.startswith("NOT ELIGIBLE")
    assert "rule 1:" in out
    assert "policy v1" in out
    assert "unable to cancel" in out


def test_eligibility_at_a_naive_datetime_exits_2_with_one_line(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    result = demo_copy("eligibility", demo_facts.beam_job, "--at", "2026-11-01T12:00:00", code=2)
    assert "needs a UTC offset" in result.error_line
    assert result.out == ""


def test_eligibility_at_a_past_moment_replays_the_decision_recorded_by_then(
    demo_facts: DemoFacts, demo_copy: Rescind
) -> None:
    # The demo recorded a decision for the Beam job; any moment since then replays it.
    moment = datetime.now(UTC).isoformat()
    out = demo_copy("eligibility", demo_facts.beam_job, "--at", moment).out
    assert out.startswith("NOT ELIGIBLE")
    assert "rule 1:" in out
    assert f"replayed as of {moment} on facts as recorded at" in out


def test_policy_show_prints_the_eight_rules_of_the_table_in_force(demo_copy: Rescind) -> None:
    out = demo_copy("policy", "show").out
    assert out.startswith("policy v1")
    rules = [int(n) for n in re.findall(r"^│ (\d+) +│", out, flags=re.MULTILINE)]
    assert rules == [1, 2, 3, 4, 5, 6, 7, 8]


def test_policy_show_of_an_unknown_version_exits_3_naming_the_known_ones(
    demo_copy: Rescind,
) -> None:
    result = demo_copy("policy", "show", "--version", "99", code=3)
    assert "no policy version 99; known versions: 1" in result.error_line
