"""Two versions of the decision table side by side, rule by rule (the admins' compare page)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from rescind.domain.eligibility import DecisionTable, Rule

# What a person reads in a rule; ``number`` is the row itself.
_COMPARED = tuple(f.name for f in fields(Rule) if f.name != "number")


@dataclass(frozen=True)
class RulePair:
    """Rule ``number`` in the left and in the right table (None: that table has no such rule)."""

    number: int
    left: Rule | None
    right: Rule | None

    @property
    def differs(self) -> bool:
        return self.left != self.right

    @property
    def changed_fields(self) -> frozenset[str]:
        """The parts that differ (every part when one side has no rule of this number)."""
        if self.left is None or self.right is None:
            return frozenset(_COMPARED) if self.differs else frozenset()
        return frozenset(
            name for name in _COMPARED if getattr(self.left, name) != getattr(self.right, name)
        )


def compare_tables(left: DecisionTable, right: DecisionTable) -> tuple[RulePair, ...]:
    """Every rule number either table has, in order, with each table's rule of that number."""
    by_left = {r.number: r for r in left.rules}
    by_right = {r.number: r for r in right.rules}
    return tuple(
        RulePair(number=n, left=by_left.get(n), right=by_right.get(n))
        for n in sorted(by_left.keys() | by_right.keys())
    )
