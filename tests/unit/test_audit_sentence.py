"""The audit trail read as sentences, in the company's time zone, with people's names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescind.domain.audit import GENESIS_HASH, AuditChannel, AuditContext, AuditRecord, seal
from rescind.domain.audit_sentence import person_name, sentence
from rescind.domain.events import Event, EventKind, JSONValue

NEW_YORK = ZoneInfo("America/New_York")
NAMES = {"agent:alex": "Alex Agent", "deal_processing:dee": "Dee Processor"}
AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def record(
    kind: EventKind,
    data: dict[str, JSONValue],
    *,
    actor: str = "agent:alex",
    channel: str = "console",
    policy_version: int | None = None,
) -> AuditRecord:
    actx = AuditContext(
        actor=actor, at=AT, channel=AuditChannel(channel), policy_version=policy_version
    )
    return seal("job:JOB-1", 1, GENESIS_HASH, actx, Event(kind, data))


def said(r: AuditRecord) -> str:
    return sentence(r, tz=NEW_YORK, names=NAMES)


def test_a_cancel_reads_with_the_person_channel_policy_and_local_final_day() -> None:
    cancel = record(
        EventKind.WORKFLOW_CANCEL_PENDING,
        # The end of Monday 2026-12-14 in New York is 05:00 UTC on the Tuesday.
        {"from": "active", "to": "cancel_pending", "final_at": "2026-12-15T05:00:00+00:00"},
        channel="phone",
        policy_version=1,
    )
    assert said(cancel) == (
        "Alex Agent cancelled the workflow via phone under policy v1 — "
        "final at the end of Mon 2026-12-14."
    )


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            EventKind.ELIGIBILITY_DECIDED,
            {"eligible": False, "rule_number": 1, "rule_text": "Beam or Concert", "facts": {}},
            "Alex Agent checked eligibility: not eligible in the console — rule 1: Beam or "
            "Concert.",
        ),
        (
            EventKind.VERIFICATION_CODE_REJECTED,
            {"request_id": "REQ-1", "reason": "wrong", "attempts_left": 1},
            "Alex Agent entered a code that was refused for request REQ-1 in the console — "
            "wrong; 1 attempt left.",
        ),
        (
            EventKind.WORKFLOW_RESTORED,
            {"from": "cancel_pending", "to": "active", "why": "homeowner changed mind"},
            "Alex Agent restored the workflow to active in the console — homeowner changed mind.",
        ),
        (
            EventKind.EMAIL_QUEUED,
            {"kind": "cancellation_notice", "to": ["ho@x.test"], "cc": []},
            "Alex Agent queued the cancellation notice email in the console — to ho@x.test.",
        ),
        (
            EventKind.FEED_COMMENTED,
            {"automatic": False, "body": "Called back"},
            "Alex Agent commented on the homeowner's feed in the console — “Called back”.",
        ),
    ],
)
def test_each_kind_reads_as_one_sentence_without_keys_or_booleans(
    kind: EventKind, data: dict[str, JSONValue], expected: str
) -> None:
    assert said(record(kind, data)) == expected


def test_the_sweep_and_unknown_people_are_named_in_words() -> None:
    assert person_name("system:sweep", NAMES) == "The end-of-window sweep"
    assert person_name("installer:sunny", NAMES) == "sunny (installer)"
    finalised = record(
        EventKind.WORKFLOW_CANCELLED,
        {"final_at": "2026-12-15T05:00:00+00:00"},
        actor="system:sweep",
        channel="system",
    )
    assert said(finalised) == (
        "The end-of-window sweep finalised the cancellation — "
        "the window ended at the end of Mon 2026-12-14."
    )


@given(
    st.sampled_from(list(EventKind)),
    st.dictionaries(
        st.sampled_from(["request_id", "final_at", "eligible", "to", "items", "why", "kind"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    ),
)
def test_any_record_reads_as_a_sentence_never_as_key_value_or_python_words(
    kind: EventKind, data: dict[str, JSONValue]
) -> None:
    text = said(record(kind, data))
    assert text.startswith("Alex Agent ")
    assert text.endswith(".")
    assert "=" not in text.replace("==", "") or "=" in str(data)
    for python_word in ("True", "False", "None"):
        assert python_word not in text or python_word in str(list(data.values()))
