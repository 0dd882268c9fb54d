"""Reads an eligibility policy document (YAML) from disk; the domain validates its content."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import as_file, files
from pathlib import Path

import yaml

from rescind.domain.errors import PolicyError

DEFAULT_POLICY_FILE = "eligibility-v1.yaml"


def default_policy_path() -> Path:
    """The seed table (policy version 1) shipped inside the installed package."""
    resource = files("rescind.policy").joinpath(DEFAULT_POLICY_FILE)
    # The package is installed as plain files (not a zip), so the path outlives the context.
    with as_file(resource) as path:
        return Path(path)


def load_policy_document(path: Path) -> dict[str, object]:
    """Parse ``path`` into a mapping, or raise PolicyError with a one-line reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from None
    return parse_policy_text(text, source=f"policy file {path}")


def parse_policy_text(text: str, *, source: str = "the policy document") -> dict[str, object]:
    """Parse YAML (or JSON, which is YAML) text into a mapping, or raise PolicyError."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PolicyError(f"{source} is not valid YAML{where}: {problem}") from None
    if not isinstance(doc, dict):
        raise PolicyError(
            f"{source} must hold a mapping with 'name', 'description' and 'rules', "
            f"not {type(doc).__name__}"
        )
    return {str(key): value for key, value in doc.items()}


def policy_text(document: Mapping[str, object]) -> str:
    """A document as the YAML an admin edits (keys in the table's own order)."""
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
