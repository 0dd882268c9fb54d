"""The hash-chained audit trail: seal links records, verify_stream finds every kind of tampering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from rescind.domain.audit import (
    GENESIS_HASH,
    AuditChannel,
    AuditContext,
    AuditRecord,
    job_stream,
    seal,
    verify_stream,
)
from rescind.domain.events import Event, EventKind

STREAM = job_stream("JOB-1")
AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def chain(n: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        actx = AuditContext(
            actor="agent:alex", at=AT + timedelta(seconds=seq), channel=AuditChannel.PHONE
        )
        record = seal(STREAM, seq, prev, actx, Event(EventKind.FEED_COMMENTED, {"n": seq}))
        records.append(record)
        prev = record.hash
    return records


def head_of(records: list[AuditRecord]) -> tuple[int, str]:
    return records[-1].seq, records[-1].hash


def test_a_job_stream_is_named_after_the_job() -> None:
    assert STREAM == "job:JOB-1"


def test_sealed_records_link_to_the_one_before() -> None:
    records = chain(3)
    assert records[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert len({r.hash for r in records}) == 3
    assert records[1].kind == "feed_commented"
    assert records[1].policy_version is None


def test_an_intact_stream_verifies_and_an_empty_one_needs_no_head() -> None:
    records = chain(4)
    assert verify_stream(STREAM, records, head_of(records)) == []
    assert verify_stream(STREAM, [], None) == []


def test_the_hash_does_not_depend_on_the_time_zone_the_moment_is_written_in() -> None:
    actx = AuditContext(actor="a", at=AT, policy_version=1)
    elsewhere = replace(actx, at=AT.astimezone(timezone(timedelta(hours=-5))))
    event = Event(EventKind.ELIGIBILITY_DECIDED, {"rule_number": 2})
    assert seal(STREAM, 1, GENESIS_HASH, actx, event).hash == (
        seal(STREAM, 1, GENESIS_HASH, elsewhere, event).hash
    )


def test_changed_data_is_detected() -> None:
    records = chain(3)
    records[1] = replace(records[1], data={"n": 99})
    assert verify_stream(STREAM, records, head_of(records)) == [
        f"{STREAM}: record 2 was changed after it was written"
    ]


def test_a_changed_actor_or_policy_version_is_detected() -> None:
    for change in ({"actor": "someone:else"}, {"policy_version": 7}, {"channel": "email"}):
        records = chain(2)
        records[0] = replace(records[0], **change)
        assert verify_stream(STREAM, records, head_of(chain(2))) == [
            f"{STREAM}: record 1 was changed after it was written"
        ]


def test_a_removed_middle_record_is_detected() -> None:
    records = chain(4)
    head = head_of(records)
    del records[1]
    problems = verify_stream(STREAM, records, head)
    assert f"{STREAM}: record 2 is missing (found 3 next)" in problems
    assert f"{STREAM}: record 3 does not link to the one before it" in problems


def test_a_removed_tail_is_detected_by_the_head() -> None:
    records = chain(4)
    head = head_of(records)
    assert verify_stream(STREAM, records[:-1], head) == [
        f"{STREAM}: the head says record 4 is last, but the trail ends at 3"
    ]


def test_a_resealed_last_record_does_not_match_the_head() -> None:
    records = chain(3)
    head = head_of(records)
    actx = AuditContext(actor="forger", at=AT)
    records[-1] = seal(STREAM, 3, records[1].hash, actx, Event(EventKind.FEED_COMMENTED, {}))
    assert verify_stream(STREAM, records, head) == [
        f"{STREAM}: the last record does not match the head"
    ]


def test_records_without_a_head_are_reported() -> None:
    assert verify_stream(STREAM, chain(1), None) == [f"{STREAM}: has records but no head"]
