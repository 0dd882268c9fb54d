"""Filing requests: due times, the installer's 24–48 h promise, the cooling-off flag."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rescind.domain.email import EmailKind
from rescind.domain.errors import InvalidInput
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.services.requests import attach_statement, file_request
from tests.fakes import World, actor

# Friday 2026-11-20, 10:00 in New York.
FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(FRIDAY)


def test_an_installer_request_saying_the_homeowner_emailed_promises_a_resolution(
    world: World,
) -> None:
    job = world.add()

    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.INSTALLER,
            requester_name="Ivy Installer",
            homeowner_emailed=True,
        ),
        actor=actor("agent:alex"),
    )

    # 48 business hours from Friday 10:00 is Tuesday 10:00 (the weekend does not count).
    assert request.due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    [email] = world.store.emails(EmailKind.EXPECT_RESOLUTION)
    assert email.email.recipients.to == (job.installer.email,)
    assert email.email.context["due_at"] == request.due_at.isoformat()
    assert world.store.kinds(job.id) == ["request_filed", "email_queued"]


def test_a_homeowner_request_gets_a_due_time_but_no_promise_email(world: World) -> None:
    job = world.add()
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
            homeowner_emailed=True,
        ),
        actor=actor("agent:alex"),
    )
    assert request.due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert world.store.emails() == []


def test_a_request_needs_the_name_of_who_is_asking(world: World) -> None:
    job = world.add()
    with pytest.raises(InvalidInput):
        file_request(
            world.ctx,
            RequestDraft(
                job_id=job.id,
                channel=Channel.PHONE,
                requester_role=RequesterRole.HOMEOWNER,
                requester_name="  ",
            ),
            actor=actor("agent:alex"),
        )
    assert world.store.tables.requests == {}


def test_a_request_filed_within_three_cooling_off_days_of_signing_is_flagged(
    world: World,
) -> None:
    # Signed Tuesday 11-17: Wed, Thu, Fri are the three days, so Friday is the last.
    job = world.add(contract_signed_date=date(2026, 11, 17))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
        ),
        actor=actor("agent:alex"),
    )
    assert request.within_cooling_off
    assert world.store.request(request.id).within_cooling_off


def test_saturday_counts_as_a_cooling_off_day(world: World) -> None:
    # Signed Wednesday 11-18: Thu, Fri, Sat; a request on Monday is outside.
    world.clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    job = world.add(contract_signed_date=date(2026, 11, 18))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
        ),
        actor=actor("agent:alex"),
    )
    assert not request.within_cooling_off


def test_a_request_long_after_signing_is_not_flagged(world: World) -> None:
    job = world.add(contract_signed_date=date(2026, 10, 1))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
        ),
        actor=actor("agent:alex"),
    )
    assert not request.within_cooling_off


def test_a_mailed_notice_counts_from_its_postmark_not_from_when_it_arrived(
    world: World,
) -> None:
    # Signed Monday 11-16; sent Thursday 11-19 (3rd day), received Friday 11-20 (4th day).
    job = world.add(contract_signed_date=date(2026, 11, 16))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.MAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
            statement=WrittenStatement(
                kind=StatementKind.MAIL_NOTICE,
                source_ref="scan-0042.pdf",
                sent_date=date(2026, 11, 19),
            ),
        ),
        actor=actor("agent:alex"),
    )
    assert request.within_cooling_off
    assert request.statement is not None
    assert request.statement.sent_date == date(2026, 11, 19)
    assert request.statement.received_at == FRIDAY
    attached = world.store.trail(job.id)[1]
    assert attached.kind == "statement_attached"
    assert attached.data["sent_date"] == "2026-11-19"


def test_a_telegram_sent_after_the_window_is_not_flagged(world: World) -> None:
    job = world.add(contract_signed_date=date(2026, 11, 13))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.TELEGRAM,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
            statement=WrittenStatement(
                kind=StatementKind.TELEGRAM_NOTICE,
                content="CANCEL CONTRACT STOP",
                sent_date=date(2026, 11, 19),
            ),
        ),
        actor=actor("agent:alex"),
    )
    assert not request.within_cooling_off


def test_a_notice_attached_later_with_an_early_postmark_sets_the_flag(world: World) -> None:
    # Filed on Monday 11-23 (outside), but the attached notice was postmarked on 11-18.
    world.clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    job = world.add(contract_signed_date=date(2026, 11, 16))
    request = file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id,
            channel=Channel.MAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Pat",
        ),
        actor=actor("agent:alex"),
    )
    assert not request.within_cooling_off

    attached = attach_statement(
        world.ctx,
        request.id,
        WrittenStatement(
            kind=StatementKind.MAIL_NOTICE, content="I cancel.", sent_date=date(2026, 11, 18)
        ),
        actor=actor("agent:alex"),
    )

    assert attached.within_cooling_off
    assert world.store.request(request.id).within_cooling_off


def test_a_notice_without_its_postmark_date_is_refused(world: World) -> None:
    job = world.add()
    with pytest.raises(InvalidInput, match="sent"):
        file_request(
            world.ctx,
            RequestDraft(
                job_id=job.id,
                channel=Channel.MAIL,
                requester_role=RequesterRole.HOMEOWNER,
                requester_name="Pat",
                statement=WrittenStatement(kind=StatementKind.MAIL_NOTICE, content="I cancel."),
            ),
            actor=actor("agent:alex"),
        )
    assert world.store.tables.requests == {}
