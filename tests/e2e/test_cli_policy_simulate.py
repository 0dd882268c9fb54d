"""``rescind policy simulate FILE.yaml`` on the demo database: a table, or JSON; no writes."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from tests.e2e.conftest import Rescind


def _m1a_stops(tmp_path: Path) -> Path:
    document = load_policy_document(default_policy_path())
    rules = document["rules"]
    assert isinstance(rules, list)
    rules[2].update(eligible=False, action="stop", guidance="No longer cancellable at M1A.")
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(document), encoding="utf-8")
    return draft


def test_policy_simulate_prints_the_flips_of_a_draft_and_publishes_nothing(
    demo_copy: Rescind, tmp_path: Path
) -> None:
    draft = _m1a_stops(tmp_path)

    table = demo_copy("policy", "simulate", str(draft)).out
    summary = json.loads(demo_copy("policy", "simulate", str(draft), "--json").out)

    assert "draft (would be v2) against v1" in table
    assert summary["jobs_flipped"] > 0
    [flip] = summary["flips"]
    assert (flip["from_rule"], flip["to_rule"], flip["to_eligible"]) == (3, 3, False)
    assert flip["sample_job_ids"][0] in table
    assert "v1" in demo_copy("policy", "show").out


def test_policy_simulate_of_an_incomplete_draft_exits_non_zero_with_one_line(
    demo_copy: Rescind, tmp_path: Path
) -> None:
    draft = tmp_path / "bad.yaml"
    draft.write_text("rules:\n  - number: 1\n", encoding="utf-8")
    result = demo_copy("policy", "simulate", str(draft), code=1)
    assert "rule 1" in result.error_line
    assert result.out == ""
