"""The audit trail in storage: it round-trips exactly, notices tampering, and never forks."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from rescind.domain.audit import AuditChannel, AuditContext, job_stream, verify_stream
from rescind.domain.errors import Conflict
from rescind.domain.events import Event, EventKind
from tests.integration.conftest import UowFactory, utc

STREAM = job_stream("job-1")


def ctx(minute: int = 0) -> AuditContext:
    return AuditContext(
        actor="agent:alex",
        at=utc(2026, 11, 23, 14, minute, 654321),
        channel=AuditChannel.PHONE,
        policy_version=1,
    )


def events(count: int, start: int = 0) -> list[Event]:
    return [
        Event(
            EventKind.REQUEST_FILED,
            {"n": start + i, "ratio": 0.1, "who": "Zoë", "nested": {"b": [1, None, True]}},
        )
        for i in range(count)
    ]


def problems(uow_factory: UowFactory, stream: str = STREAM) -> list[str]:
    with uow_factory() as uow:
        return verify_stream(stream, uow.audit.records(stream), uow.audit.head(stream))


def append_committed(uow_factory: UowFactory, count: int) -> None:
    with uow_factory() as uow:
        uow.audit.append(STREAM, ctx(), events(count))
        uow.commit()


def test_appended_records_come_back_exactly_and_verify_clean(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        first = uow.audit.append(STREAM, ctx(1), events(2))
        # A second append in the same unit of work continues after the first, unflushed.
        second = uow.audit.append(STREAM, ctx(2), events(1, start=2))
        uow.audit.append("system", ctx(3), [Event(EventKind.HOLIDAY_ADDED, {"day": "x"})])
        uow.commit()
    with uow_factory() as uow:
        uow.audit.append(STREAM, ctx(4), events(1, start=3))
        uow.commit()

    with uow_factory() as uow:
        stored = uow.audit.records(STREAM)
        head = uow.audit.head(STREAM)
        streams = list(uow.audit.streams())
    assert stored[:3] == first + second
    assert [r.seq for r in stored] == [1, 2, 3, 4]
    assert stored[0].occurred_at == utc(2026, 11, 23, 14, 1, 654321)
    assert head == (4, stored[-1].hash)
    assert streams == [STREAM, "system"]
    assert verify_stream(STREAM, stored, head) == []
    assert problems(uow_factory, "system") == []


def test_records_staged_in_a_unit_of_work_are_read_back_in_it_and_the_chain_goes_on(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        first = uow.audit.append(STREAM, ctx(1), events(2))
        assert uow.audit.records(STREAM) == first  # written before the read
        assert uow.audit.head(STREAM) == (2, first[-1].hash)
        # The sweep's batch append continues the same chain, and is written at commit.
        more = uow.audit.append_many(ctx(2), [(STREAM, events(1, start=2)), ("other", events(1))])
        uow.commit()
    assert [r.seq for r in more] == [3, 1]
    assert more[0].prev_hash == first[-1].hash
    assert problems(uow_factory) == []
    assert problems(uow_factory, "other") == []


def test_a_unit_of_work_left_without_commit_writes_none_of_its_records(
    uow_factory: UowFactory,
) -> None:
    append_committed(uow_factory, 1)
    with uow_factory() as uow:
        uow.audit.append(STREAM, ctx(1), events(2, start=1))
        uow.audit.append_many(ctx(1), [("other", events(1))])
    with uow_factory() as uow:
        assert [r.seq for r in uow.audit.records(STREAM)] == [1]
        assert uow.audit.head(STREAM) is not None
        assert list(uow.audit.streams()) == [STREAM]


def test_audit_rows_name_their_job_and_leave_it_empty_for_other_streams(
    uow_factory: UowFactory, engine: Engine
) -> None:
    with uow_factory() as uow:
        uow.audit.append(STREAM, ctx(), events(1))
        uow.audit.append("system", ctx(), events(1))
        uow.commit()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT stream, job_id FROM audit_event ORDER BY stream"))
        assert rows.all() == [(STREAM, "job-1"), ("system", None)]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            "UPDATE audit_event SET data = :data WHERE stream = :s AND seq = 2",
            "record 2 was changed after it was written",
        ),
        ("DELETE FROM audit_event WHERE stream = :s AND seq = 2", "record 2 is missing"),
        ("DELETE FROM audit_event WHERE stream = :s AND seq = 3", "the trail ends at 2"),
    ],
    ids=["changed-data", "deleted-middle-row", "deleted-last-row"],
)
def test_tampering_with_rows_behind_the_service_is_detected(
    uow_factory: UowFactory, engine: Engine, tamper: str, expected: str
) -> None:
    append_committed(uow_factory, 3)
    assert problems(uow_factory) == []

    with engine.begin() as connection:
        connection.execute(text(tamper), {"s": STREAM, "data": '{"n": 99}'})

    found = problems(uow_factory)
    assert any(expected in p for p in found), found


def test_two_units_of_work_appending_to_one_stream_at_once_cannot_both_commit(
    uow_factory: UowFactory, engine: Engine
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip(
            "SQLite takes the write lock at BEGIN (IMMEDIATE): the second unit of work cannot "
            "read the head until the first ends, so the two never overlap"
        )
    append_committed(uow_factory, 1)
    with uow_factory() as first, uow_factory() as second:
        first.audit.append(STREAM, ctx(), events(1))
        second.audit.append(STREAM, ctx(), events(1))
        first.commit()
        with pytest.raises(Conflict, match="audit trail"):
            second.commit()

    with uow_factory() as uow:
        assert [r.seq for r in uow.audit.records(STREAM)] == [1, 2]
    assert problems(uow_factory) == []


def test_the_first_append_to_a_new_stream_also_lets_only_one_commit(
    uow_factory: UowFactory, engine: Engine
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises whole transactions; see the threaded test")
    with uow_factory() as first, uow_factory() as second:
        first.audit.append(STREAM, ctx(), events(1))
        second.audit.append(STREAM, ctx(), events(2))
        first.commit()
        with pytest.raises(Conflict):
            second.commit()
    assert problems(uow_factory) == []


def test_concurrent_appends_from_threads_keep_one_unbroken_chain(
    uow_factory: UowFactory,
) -> None:
    append_committed(uow_factory, 1)
    start = threading.Barrier(4)
    committed: list[int] = []
    conflicts: list[Conflict] = []

    def writer(n: int) -> Callable[[], None]:
        def run() -> None:
            start.wait(timeout=10)
            try:
                with uow_factory() as uow:
                    uow.audit.append(STREAM, ctx(n), events(2, start=10 * n))
                    uow.commit()
                committed.append(n)
            except Conflict as exc:
                conflicts.append(exc)

        return run

    threads = [threading.Thread(target=writer(n)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # Every writer either committed on top of the others or was told to retry; none forked.
    assert len(committed) + len(conflicts) == 4
    assert committed
    with uow_factory() as uow:
        assert len(uow.audit.records(STREAM)) == 1 + 2 * len(committed)
    assert problems(uow_factory) == []
