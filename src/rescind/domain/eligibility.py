"""The eligibility decision table: which jobs support may cancel (SPEC "Eligibility").

The table is versioned data, not code. ``DecisionTable.from_document`` turns an already-parsed
document (from the seed YAML or the database) into a table and refuses anything that cannot be
published: a wrong field, a fact value that does not exist, a rule no job can reach, or a job
that no rule decides. ``decide`` is first-match-wins; ``PolicyHistory`` replays a past moment.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rescind.domain.errors import InvalidInput, NotFound, PolicyError
from rescind.domain.events import JSONValue
from rescind.domain.job import (
    MILESTONES,
    Job,
    Milestone,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewStatus,
)

FactValue = str | bool

# Every fact a rule may test (the keys of Job.facts()) and the values it can take.
FACT_VALUES: dict[str, tuple[FactValue, ...]] = {
    "product_model": tuple(m.value for m in ProductModel),
    "milestone": tuple(m.value for m in Milestone),
    "review_status": tuple(s.value for s in ReviewStatus),
    "invoice_uploaded": (False, True),
    "system_photos_uploaded": (False, True),
    "partner_program": tuple(p.value for p in PartnerProgram),
    "phase": tuple(p.value for p in Phase),
}

REVIEW_STEPS_BEFORE_CANCEL = ("reject_all_review_items", "submit_review")

_RULE_KEYS = ("number", "text", "when", "eligible", "action", "guidance", "reject_pending_review")
_DOCUMENT_KEYS = ("name", "description", "rules")


class Action(StrEnum):
    CANCEL = "cancel"
    STOP = "stop"
    ESCALATE_TO_DEAL_PROCESSING = "escalate_to_deal_processing"


def _describe(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _plain(value: FactValue) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _one_of(value: FactValue, allowed: tuple[FactValue, ...]) -> bool:
    # Compare bool-ness too: in Python `1 == True`, and YAML may hand us either.
    return any(isinstance(v, bool) == isinstance(value, bool) and v == value for v in allowed)


@dataclass(frozen=True)
class Rule:
    number: int
    text: str
    when: Mapping[str, tuple[FactValue, ...]]
    eligible: bool
    action: Action
    guidance: str
    reject_pending_review: bool = False

    def __post_init__(self) -> None:
        where = f"rule {self.number}"
        for fact, allowed in self.when.items():
            if fact not in FACT_VALUES:
                known = ", ".join(FACT_VALUES)
                raise PolicyError(
                    f"{where}: 'when' tests unknown fact {fact!r}; use one of: {known}"
                )
            if not allowed:
                raise PolicyError(f"{where}: 'when.{fact}' lists no values; give at least one")
            for value in allowed:
                if not _one_of(value, FACT_VALUES[fact]):
                    options = ", ".join(_plain(v) for v in FACT_VALUES[fact])
                    raise PolicyError(
                        f"{where}: 'when.{fact}' value {_describe(value)} is not allowed; "
                        f"use one of: {options}"
                    )
        if self.eligible and self.action is not Action.CANCEL:
            raise PolicyError(
                f"{where}: 'eligible' is true but 'action' is {self.action.value!r}; "
                "an eligible rule must have action 'cancel'"
            )
        if not self.eligible and self.action is Action.CANCEL:
            raise PolicyError(
                f"{where}: 'eligible' is false but 'action' is 'cancel'; use 'stop' or "
                "'escalate_to_deal_processing', or make the rule eligible"
            )
        if self.reject_pending_review and not self.eligible:
            raise PolicyError(
                f"{where}: 'reject_pending_review' only makes sense on an eligible rule; remove it"
            )

    def matches(self, facts: Mapping[str, FactValue]) -> bool:
        return all(
            fact in facts and _one_of(facts[fact], allowed) for fact, allowed in self.when.items()
        )


@dataclass(frozen=True)
class Decision:
    eligible: bool
    rule_number: int
    rule_text: str
    policy_version: int
    action: Action
    guidance: str
    steps_before_cancel: tuple[str, ...]
    facts: Mapping[str, FactValue]

    def to_dict(self) -> dict[str, JSONValue]:
        """JSON-friendly form for the audit trail."""
        return {
            "eligible": self.eligible,
            "rule_number": self.rule_number,
            "rule_text": self.rule_text,
            "policy_version": self.policy_version,
            "action": self.action.value,
            "guidance": self.guidance,
            "steps_before_cancel": list(self.steps_before_cancel),
            "facts": dict(self.facts),
        }


def valid_fact_combinations() -> Iterator[dict[str, FactValue]]:
    """Every set of facts a valid Job can have (a milestone belongs to its product model)."""
    others = [name for name in FACT_VALUES if name not in ("product_model", "milestone")]
    for model, milestones in MILESTONES.items():
        for milestone in milestones:
            for values in itertools.product(*(FACT_VALUES[name] for name in others)):
                facts: dict[str, FactValue] = {
                    "product_model": model.value,
                    "milestone": milestone.value,
                }
                facts.update(zip(others, values, strict=True))
                yield facts


@dataclass(frozen=True)
class DecisionTable:
    version: int
    effective_at: datetime
    rules: tuple[Rule, ...]
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise PolicyError(f"policy version must be a whole number >= 1, not {self.version!r}")
        if self.effective_at.tzinfo is None or self.effective_at.utcoffset() is None:
            raise PolicyError(
                f"policy version {self.version}: effective_at {self.effective_at.isoformat()} has "
                "no time zone; give an aware datetime (e.g. 2026-12-01T00:00:00+00:00)"
            )
        if not self.rules:
            raise PolicyError(f"policy version {self.version}: the table has no rules; add some")
        for before, after in itertools.pairwise(self.rules):
            if after.number <= before.number:
                raise PolicyError(
                    f"rule {after.number} comes after rule {before.number}: rule numbers must be "
                    "unique and increasing from top to bottom; renumber the rules"
                )
        self._check_complete_and_reachable()

    def _check_complete_and_reachable(self) -> None:
        reached: set[int] = set()
        for facts in valid_fact_combinations():
            rule = next((r for r in self.rules if r.matches(facts)), None)
            if rule is None:
                job = ", ".join(f"{k}={_plain(v)}" for k, v in facts.items())
                raise PolicyError(
                    f"policy version {self.version} is incomplete: no rule matches a job with "
                    f"{job}; add a rule that covers it (e.g. a last rule for milestone "
                    f"{facts['milestone']})"
                )
            reached.add(rule.number)
        for rule in self.rules:
            if rule.number not in reached:
                raise PolicyError(
                    f"rule {rule.number} can never decide: every job it matches is decided by "
                    "an earlier rule, or no valid job matches it; remove it or narrow the "
                    "earlier rules"
                )

    @classmethod
    def from_document(
        cls, doc: Mapping[str, object], *, version: int, effective_at: datetime
    ) -> DecisionTable:
        if not isinstance(doc, Mapping):
            raise PolicyError("the policy document must be a mapping with a 'rules' list")
        unknown = [k for k in doc if k not in _DOCUMENT_KEYS]
        if unknown:
            raise PolicyError(
                f"unknown top-level key {unknown[0]!r}; allowed: {', '.join(_DOCUMENT_KEYS)}"
            )
        name, description = doc.get("name", ""), doc.get("description", "")
        if not isinstance(name, str) or not isinstance(description, str):
            raise PolicyError("'name' and 'description' must be text")
        raw_rules = doc.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise PolicyError("'rules' must be a non-empty list of rules")
        rules = tuple(_parse_rule(raw, index) for index, raw in enumerate(raw_rules, start=1))
        return cls(
            version=version,
            effective_at=effective_at,
            rules=rules,
            name=name,
            description=description,
        )

    def to_document(self) -> dict[str, object]:
        """The parsed-document form; ``from_document`` of it gives this table back."""
        rules: list[dict[str, object]] = []
        for rule in self.rules:
            entry: dict[str, object] = {
                "number": rule.number,
                "text": rule.text,
                "when": {k: v[0] if len(v) == 1 else list(v) for k, v in rule.when.items()},
                "eligible": rule.eligible,
                "action": rule.action.value,
                "guidance": rule.guidance,
            }
            if rule.reject_pending_review:
                entry["reject_pending_review"] = True
            rules.append(entry)
        return {"name": self.name, "description": self.description, "rules": rules}

    def decide(self, job: Job) -> Decision:
        return self.decide_facts(job.facts())

    def decide_facts(self, facts: Mapping[str, FactValue]) -> Decision:
        """Decide on recorded facts too, so a past decision can be replayed as it was."""
        # Completeness was checked at construction, so a rule always matches.
        rule = next(r for r in self.rules if r.matches(facts))
        review_pending = facts["review_status"] == ReviewStatus.PENDING_REVIEW.value
        steps = REVIEW_STEPS_BEFORE_CANCEL if rule.reject_pending_review and review_pending else ()
        return Decision(
            eligible=rule.eligible,
            rule_number=rule.number,
            rule_text=rule.text,
            policy_version=self.version,
            action=rule.action,
            guidance=rule.guidance,
            steps_before_cancel=steps,
            facts=facts,
        )


def _parse_rule(raw: object, index: int) -> Rule:
    where = f"rule #{index} in the list"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be a mapping with keys: {', '.join(_RULE_KEYS)}")
    number = raw.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise PolicyError(f"{where}: 'number' must be a whole number, not {number!r}")
    where = f"rule {number}"
    unknown = [k for k in raw if k not in _RULE_KEYS]
    if unknown:
        raise PolicyError(
            f"{where}: unknown field {unknown[0]!r}; allowed: {', '.join(_RULE_KEYS)}"
        )
    for key in ("text", "guidance"):
        if not isinstance(raw.get(key), str) or not str(raw.get(key)).strip():
            raise PolicyError(f"{where}: '{key}' is missing or empty; write it as text")
    for key in ("eligible", "reject_pending_review"):
        if key in raw and not isinstance(raw[key], bool):
            raise PolicyError(f"{where}: '{key}' must be true or false, not {raw[key]!r}")
    if "eligible" not in raw:
        raise PolicyError(f"{where}: 'eligible' is missing; write true or false")
    try:
        action = Action(str(raw.get("action")))
    except ValueError:
        allowed = ", ".join(a.value for a in Action)
        raise PolicyError(
            f"{where}: 'action' {raw.get('action')!r} is unknown; use one of: {allowed}"
        ) from None
    when_raw = raw.get("when", {})
    if not isinstance(when_raw, Mapping):
        raise PolicyError(f"{where}: 'when' must map fact names to a value or a list of values")
    when: dict[str, tuple[FactValue, ...]] = {}
    for fact, value in when_raw.items():
        values = tuple(value) if isinstance(value, list) else (value,)
        if not all(isinstance(v, str | bool) for v in values):
            raise PolicyError(f"{where}: 'when.{fact}' must be a value or a list of values")
        when[str(fact)] = values
    return Rule(
        number=number,
        text=str(raw["text"]),
        when=when,
        eligible=bool(raw["eligible"]),
        action=action,
        guidance=str(raw["guidance"]),
        reject_pending_review=bool(raw.get("reject_pending_review", False)),
    )


@dataclass(frozen=True)
class PolicyHistory:
    """Every published table; picks the one in force at a moment (for decisions and replays)."""

    tables: tuple[DecisionTable, ...] = field(default=())

    def __post_init__(self) -> None:
        versions = [t.version for t in self.tables]
        if len(set(versions)) != len(versions):
            raise PolicyError(f"policy versions must be unique, got {sorted(versions)}")

    def in_force_at(self, moment: datetime) -> DecisionTable:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput(f"moment {moment.isoformat()} has no time zone", field="moment")
        candidates = [t for t in self.tables if t.effective_at <= moment]
        if not candidates:
            first = min((t.effective_at for t in self.tables), default=None)
            hint = f"the first takes effect at {first.isoformat()}" if first else "none published"
            raise NotFound(f"no eligibility policy is in force at {moment.isoformat()} ({hint})")
        return max(candidates, key=lambda t: (t.effective_at, t.version))

    def version(self, number: int) -> DecisionTable:
        """The published version ``number``; a missing one names the versions there are."""
        for table in self.tables:
            if table.version == number:
                return table
        known = ", ".join(str(t.version) for t in sorted(self.tables, key=lambda t: t.version))
        raise NotFound(f"no policy version {number}; known versions: {known or 'none'}")

    def latest(self) -> DecisionTable:
        """The most recently published version (highest number)."""
        if not self.tables:
            raise NotFound("no eligibility policy has been published yet")
        return max(self.tables, key=lambda t: t.version)
