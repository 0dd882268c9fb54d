"""The audit channel is an enum whose values are the strings every existing record holds."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rescind.domain.audit import GENESIS_HASH, AuditChannel, AuditContext, seal
from rescind.domain.events import Event, EventKind
from rescind.domain.request import Channel

SRC = Path(__file__).resolve().parents[2] / "src" / "rescind"
AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def sealed_hash(channel: AuditChannel) -> str:
    actx = AuditContext(actor="agent:alex", at=AT, channel=channel, policy_version=1)
    event = Event(EventKind.FEED_COMMENTED, {"body": "called back"})
    return seal("job:JOB-1", 1, GENESIS_HASH, actx, event).hash


@pytest.mark.parametrize(
    ("channel", "digest"),
    [
        # Computed when the channel was a plain string: the enum must hash the same.
        (AuditChannel.PHONE, "f538fe4eed82e22ecc15164fff724599a190394135d244103033260c0abe3f5d"),
        (AuditChannel.CONSOLE, "e0f4693f4494156884c811e267a4d27b443a160ba45b0ff0524fed470dde9a8b"),
        (
            AuditChannel.SELF_SERVICE,
            "8479e16a5c64098a23ce653f0c6e88a1e519b5818f6f082b3c2b9858088879d7",
        ),
    ],
)
def test_a_sealed_record_hashes_as_it_did_when_the_channel_was_a_string(
    channel: AuditChannel, digest: str
) -> None:
    assert sealed_hash(channel) == digest


def test_the_stored_channel_strings_are_the_ones_in_use() -> None:
    assert {c.value for c in AuditChannel} == {
        "phone",
        "chat",
        "email",
        "installer_portal",
        "mail",
        "telegram",
        "self_service",
        "console",
        "api",
        "cli",
        "admin",
        "import",
        "deal_processing",
        "system",
    }


def test_every_request_channel_is_an_audit_channel() -> None:
    assert {c.value for c in Channel} <= {c.value for c in AuditChannel}


def bare_string_channels(tree: ast.AST) -> list[int]:
    """Lines of calls that pass ``channel=`` a string literal instead of the enum."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "channel"
        and isinstance(keyword.value, ast.Constant)
        and isinstance(keyword.value.value, str)
    ]


def test_the_check_finds_a_bare_string_channel() -> None:
    assert bare_string_channels(ast.parse('record(x, channel="console")')) == [1]
    assert bare_string_channels(ast.parse("record(x, channel=AuditChannel.CONSOLE)")) == []


def test_no_door_passes_a_bare_string_as_the_channel() -> None:
    found = {
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        for line in bare_string_channels(ast.parse(path.read_text(), str(path)))
    }
    assert not found, sorted(found)
