"""Two decision tables side by side: rules paired by number, the differing parts named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.eligibility import Action, DecisionTable
from rescind.domain.policy_compare import RulePair, compare_tables

AT = datetime(2026, 11, 23, tzinfo=UTC)


def seed_table(version: int = 1) -> DecisionTable:
    return DecisionTable.from_document(
        load_policy_document(default_policy_path()), version=version, effective_at=AT
    )


def test_a_table_compared_with_itself_has_no_differing_rule() -> None:
    pairs = compare_tables(seed_table(1), seed_table(2))
    assert [p.number for p in pairs] == [r.number for r in seed_table().rules]
    assert not any(p.differs for p in pairs)
    assert all(p.changed_fields == frozenset() for p in pairs)


def test_a_changed_rule_names_what_changed_and_a_missing_rule_differs_in_everything() -> None:
    left = seed_table(1)
    rule_3 = next(r for r in left.rules if r.number == 3)
    changed = replace(rule_3, eligible=False, action=Action.STOP)
    right = replace(left, version=2, rules=tuple(changed if r is rule_3 else r for r in left.rules))

    pairs = {p.number: p for p in compare_tables(left, right)}

    assert [n for n, p in pairs.items() if p.differs] == [3]
    assert pairs[3].changed_fields == {"eligible", "action"}
    # A table always decides every job, so a rule missing on one side is built here directly.
    one_sided = RulePair(number=9, left=rule_3, right=None)
    assert one_sided.differs
    assert "text" in one_sided.changed_fields
