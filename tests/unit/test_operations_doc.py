"""docs/operations.md lists every setting, with its real default: a setting added to
``Settings`` without a row in the table fails here, and so does a row for one that is gone."""

from __future__ import annotations

import re
from pathlib import Path

from rescind.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
ROW = re.compile(r"^\| `(RESCIND_[A-Z_]+)` \| (empty|`[^`]*`) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    rows: list[tuple[str, str]] = ROW.findall(DOC.read_text(encoding="utf-8"))
    return dict(rows)


def shown(default: object) -> str:
    if default == "" or default is None:  # None: unset, as an empty variable is
        return "empty"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def test_every_setting_has_a_row_in_the_operations_table_and_no_row_is_stale() -> None:
    expected = {f"RESCIND_{name.upper()}" for name in Settings.model_fields}
    assert set(documented()) == expected


def test_each_documented_default_is_the_settings_default() -> None:
    rows = documented()
    for name, field in Settings.model_fields.items():
        assert rows[f"RESCIND_{name.upper()}"] == shown(field.default), name
