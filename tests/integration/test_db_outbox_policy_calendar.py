"""The outbox, published policy versions and the company calendar in storage."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine, select, text

from rescind.adapters.db.tables import OutboxMessageRow
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.eligibility import DecisionTable
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import AlreadyExists, Conflict, NotFound
from rescind.domain.recipients import Recipients
from tests.integration.conftest import UowFactory, a_job, utc


def test_queued_emails_get_distinct_message_ids_and_keep_their_recipients(
    uow_factory: UowFactory,
) -> None:
    email = OutgoingEmail(
        kind=EmailKind.CANCELLATION_NOTICE,
        recipients=Recipients(to=("dana@example.com",), cc=("ops@sunny.test", "sam@sales.test")),
        job_id="job-1",
        context={"final_at": "2026-12-14", "code": "0427"},
        secret_keys=("code",),
    )
    queued_at = utc(2026, 11, 23, 15)
    with uow_factory() as uow:
        ids = [uow.outbox.add(email, queued_at=queued_at) for _ in range(3)]
        uow.commit()

    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"<[0-9a-f]{32}@rescind\.invalid>", i) for i in ids)
    with uow_factory() as uow:
        statement = select(OutboxMessageRow).where(OutboxMessageRow.message_id == ids[0])
        row = uow.session.scalars(statement).one()
        assert (row.sender, row.kind, row.job_id) == ("support", "cancellation_notice", "job-1")
        assert row.to_addrs == ["dana@example.com"]
        assert row.cc_addrs == ["ops@sunny.test", "sam@sales.test"]
        assert row.context == {"final_at": "2026-12-14", "code": "0427"}
        assert row.secret_keys == ["code"]
        assert (row.status, row.attempts, row.sent_at, row.last_error) == ("queued", 0, None, "")
        assert row.next_attempt_at == row.queued_at == queued_at


def test_published_policy_versions_come_back_as_the_same_tables(uow_factory: UowFactory) -> None:
    document = load_policy_document(default_policy_path())
    v1 = DecisionTable.from_document(document, version=1, effective_at=utc(2026, 1, 1))
    v2 = DecisionTable.from_document(document, version=2, effective_at=utc(2026, 12, 1, 5))
    with uow_factory() as uow:
        assert uow.policies.history().tables == ()
        uow.policies.add(v2, published_by="admin:ops", published_at=utc(2026, 11, 23))
        uow.policies.add(v1, published_by="admin:ops", published_at=utc(2026, 1, 1))
        uow.commit()

    with uow_factory() as uow:
        history = uow.policies.history()
    assert history.tables == (v1, v2)
    assert history.in_force_at(utc(2026, 11, 30)) == v1
    assert history.latest() == v2
    assert history.latest().decide(a_job()).rule_number == 1


def test_publishing_a_version_number_twice_is_a_conflict(uow_factory: UowFactory) -> None:
    document = load_policy_document(default_policy_path())
    table = DecisionTable.from_document(document, version=1, effective_at=utc(2026, 1, 1))
    with uow_factory() as uow:
        uow.policies.add(table, published_by="admin:ops", published_at=utc(2026, 1, 1))
        uow.commit()
    with uow_factory() as uow, pytest.raises(Conflict, match="already published"):
        uow.policies.add(table, published_by="admin:ops", published_at=utc(2026, 1, 2))


def test_company_holidays_can_be_added_and_removed_and_bump_the_calendar_version(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        assert uow.calendar.version() == 1
        assert uow.calendar.company_holidays() == {}
        uow.calendar.add_holiday(date(2026, 12, 24), "Christmas Eve")
        uow.calendar.add_holiday(date(2026, 11, 27), "Day after Thanksgiving")
        assert uow.calendar.bump_version() == 2
        uow.commit()

    with uow_factory() as uow:
        assert list(uow.calendar.company_holidays().items()) == [
            (date(2026, 11, 27), "Day after Thanksgiving"),
            (date(2026, 12, 24), "Christmas Eve"),
        ]
        with pytest.raises(AlreadyExists, match="already a company holiday"):
            uow.calendar.add_holiday(date(2026, 12, 24), "Again")
        uow.calendar.remove_holiday(date(2026, 12, 24))
        with pytest.raises(NotFound, match="not a company holiday"):
            uow.calendar.remove_holiday(date(2026, 12, 31))
        assert uow.calendar.bump_version() == 3
        uow.commit()

    with uow_factory() as uow:
        assert uow.calendar.company_holidays() == {date(2026, 11, 27): "Day after Thanksgiving"}
        assert uow.calendar.version() == 3


def test_the_calendar_snapshot_is_the_holidays_and_version_read_together(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        assert uow.calendar.snapshot() == ({}, 1)  # no revision row yet: version 1
        uow.calendar.add_holiday(date(2026, 12, 24), "Christmas Eve")
        uow.calendar.add_holiday(date(2026, 11, 27), "Day after Thanksgiving")
        uow.calendar.bump_version()
        uow.commit()

    with uow_factory() as uow:
        holidays, version = uow.calendar.snapshot()
        assert (holidays, version) == (uow.calendar.company_holidays(), uow.calendar.version())
    assert list(holidays) == [date(2026, 11, 27), date(2026, 12, 24)]
    assert all(type(day) is date for day in holidays)  # parsed as dates on SQLite too
    assert version == 2


def test_a_naive_datetime_is_refused_before_it_reaches_the_database(
    uow_factory: UowFactory, engine: Engine
) -> None:
    email = OutgoingEmail(
        kind=EmailKind.FINAL_CANCELLATION, recipients=Recipients(to=("a@b.test",)), job_id=None
    )
    with uow_factory() as uow, pytest.raises(Exception, match="naive datetime"):
        # Refused as the row is written (at once: the outbox is not staged for the flush).
        uow.outbox.add(email, queued_at=utc(2026, 1, 1).replace(tzinfo=None))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outbox_message")).scalar_one() == 0
