"""The decision table's document as a JSON Schema: the shape the policy parser requires.

Built from the domain's own lists (the facts and their values, the actions, the keys), so the
schema and ``DecisionTable.from_document`` cannot drift apart. What a JSON Schema cannot say is
left to the parser and answered 422 ``policy_invalid``: rule numbers increasing from top to
bottom, every possible job decided by some rule, and every rule deciding some job.
"""

from __future__ import annotations

from typing import Any

from rescind.domain.eligibility import FACT_VALUES, Action
from rescind.entrypoints.api.deps import NO_NUL, NOT_BLANK


def has_nul(value: object) -> bool:
    """Whether any text in a parsed document holds a NUL (the schema's patterns refuse it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _fact(values: tuple[object, ...]) -> dict[str, Any]:
    one = {"enum": list(values)}
    return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}


def _rule(*, eligible: bool) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "pattern": NOT_BLANK}
    actions = [a.value for a in Action if (a is Action.CANCEL) == eligible]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "text", "eligible", "action", "guidance"],
        "properties": {
            "number": {"type": "integer"},
            "text": text,
            "when": {
                "type": "object",
                "additionalProperties": False,
                "properties": {fact: _fact(values) for fact, values in FACT_VALUES.items()},
            },
            "eligible": {"const": eligible},
            "action": {"enum": actions},
            "guidance": text,
            # Steps before the cancel: only an eligible rule has any.
            "reject_pending_review": {"type": "boolean"} if eligible else {"const": False},
        },
    }


def policy_document_schema(description: str) -> dict[str, Any]:
    """The document's JSON Schema, with ``description`` for the field holding it."""
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "required": ["rules"],
        "properties": {
            "name": {"type": "string", "pattern": NO_NUL},
            "description": {"type": "string", "pattern": NO_NUL},
            "rules": {
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [_rule(eligible=True), _rule(eligible=False)]},
            },
        },
    }
