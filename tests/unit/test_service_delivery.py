"""Delivering the outbox: sent and recorded once, retried with backoff, failed for good, leased.

The store and the clock are fakes; the composer is the real one (pure rendering); the sender is
a fake that records what it was given and raises whatever a test queues up for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.mail.compose import Composer
from rescind.domain.email import DeliveryStatus, EmailKind, Mailbox, OutgoingEmail, QueuedEmail
from rescind.domain.events import JSONValue
from rescind.domain.recipients import Recipients
from rescind.services.context import Context
from rescind.services.delivery import LEASE, MAX_ATTEMPTS, Carry, deliver_due
from rescind.services.ports import UnitOfWork
from rescind.services.sending import PermanentFailure, TransientFailure
from tests.fakes import World

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ADDRESSES = {
    Mailbox.HO_OUTBOUND: "HO Outbound <ho-outbound@solar.example>",
    Mailbox.SUPPORT: "Support <support@solar.example>",
    Mailbox.NOTIFICATIONS: "Notifications <notifications@solar.example>",
}
composer = Composer(ADDRESSES, ZoneInfo("America/New_York"))

NOTICE_CONTEXT: dict[str, JSONValue] = {
    "job_id": "JOB-000001",
    "homeowner_name": "Pat",
    "final_date": "2026-12-14",
    "reason": "changed their mind",
}
CODE_CONTEXT: dict[str, JSONValue] = {
    "code": "0427",
    "homeowner_name": "Pat",
    "expires_at": "2026-11-23T15:10:00+00:00",
}


@dataclass
class FakeSender:
    """Records every message; raises the queued failures first, one per send, in order."""

    sent: list[EmailMessage] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    always: Exception | None = None
    refuse: list[str] = field(default_factory=list)

    def send(self, message: EmailMessage) -> list[str]:
        if self.always is not None:
            raise self.always
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return list(self.refuse)

    @property
    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.sent]


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


def queue(
    world: World,
    kind: EmailKind = EmailKind.CANCELLATION_NOTICE,
    context: dict[str, JSONValue] | None = None,
    *,
    secret_keys: tuple[str, ...] = (),
    cc: tuple[str, ...] = (),
) -> str:
    email = OutgoingEmail(
        kind=kind,
        recipients=Recipients(to=("pat@home.example",), cc=cc),
        job_id="JOB-000001",
        context=NOTICE_CONTEXT if context is None else context,
        secret_keys=secret_keys,
    )
    with world.ctx.uow() as uow:
        message_id = uow.outbox.add(email, queued_at=world.clock.now())
        uow.commit()
    return message_id


def row(world: World, message_id: str) -> QueuedEmail:
    with world.ctx.uow() as uow:
        return uow.outbox.get(message_id)


def next_attempt_at(world: World, message_id: str) -> datetime | None:
    return world.store.tables.outbox[message_id].next_attempt_at


def test_due_messages_are_sent_and_marked_sent_once(world: World, sender: FakeSender) -> None:
    ids = [queue(world) for _ in range(3)]
    world.clock.advance(seconds=5)

    report = deliver_due(world.ctx, composer, sender)

    assert sorted(report.sent) == sorted(ids)
    assert (report.retrying, report.failed) == ([], [])
    assert sorted(sender.message_ids) == sorted(ids)
    for message_id in ids:
        sent = row(world, message_id)
        assert sent.status is DeliveryStatus.SENT
        assert sent.sent_at == world.clock.now()
        assert sent.attempts == 1
        assert sent.last_error == ""

    world.clock.advance(hours=2)
    again = deliver_due(world.ctx, composer, sender)
    assert again.handled == 0
    assert len(sender.sent) == 3


def test_the_message_sent_carries_the_rows_message_id_recipients_and_sender(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world, cc=("ops@sunny.example",))

    deliver_due(world.ctx, composer, sender)

    [message] = sender.sent
    assert message["Message-ID"] == message_id
    assert message["To"] == "pat@home.example"
    assert message["Cc"] == "ops@sunny.example"
    assert message["From"] == ADDRESSES[Mailbox.SUPPORT]
    assert message["Subject"] == "Job JOB-000001 cancelled: Cancel Pending until 2026-12-14"


def test_only_a_batch_is_sent_per_call_and_the_rest_waits_for_the_next(
    world: World, sender: FakeSender
) -> None:
    ids = [queue(world) for _ in range(5)]

    first = deliver_due(world.ctx, composer, sender, batch_size=2)
    second = deliver_due(world.ctx, composer, sender, batch_size=2)
    third = deliver_due(world.ctx, composer, sender, batch_size=2)

    assert [len(first.sent), len(second.sent), len(third.sent)] == [2, 2, 1]
    assert sender.message_ids == ids  # oldest first, each once


def test_the_code_is_blanked_from_the_context_once_the_code_email_is_sent(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world, EmailKind.VERIFICATION_CODE, CODE_CONTEXT, secret_keys=("code",))
    sender.failures.append(TransientFailure("connection refused"))

    deliver_due(world.ctx, composer, sender)
    # Still queued: the code must survive until the message has really left.
    assert row(world, message_id).context["code"] == "0427"

    world.clock.advance(seconds=30)
    deliver_due(world.ctx, composer, sender)

    [message] = sender.sent
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "0427" in body.get_content()
    assert message["From"] == ADDRESSES[Mailbox.HO_OUTBOUND]
    sent = row(world, message_id)
    assert sent.status is DeliveryStatus.SENT
    assert sent.context["code"] == ""
    assert sent.context["homeowner_name"] == "Pat"  # only the secret goes


def test_a_transient_failure_retries_after_30_s_then_60_s_doubling_until_it_gives_up(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world)
    sender.always = TransientFailure("cannot reach 127.0.0.1:25: connection refused")
    delays: list[timedelta] = []

    for attempt in range(1, MAX_ATTEMPTS):
        tried_at = world.clock.now()
        report = deliver_due(world.ctx, composer, sender)
        assert report.retrying == [message_id], f"attempt {attempt}"
        queued = row(world, message_id)
        assert queued.status is DeliveryStatus.QUEUED
        assert queued.attempts == attempt
        assert "connection refused" in queued.last_error
        retry_at = next_attempt_at(world, message_id)
        assert retry_at is not None
        delays.append(retry_at - tried_at)
        # Not a moment early...
        world.clock.set(retry_at - timedelta(microseconds=1))
        assert deliver_due(world.ctx, composer, sender).handled == 0
        # ...and due again right on time.
        world.clock.set(retry_at)

    report = deliver_due(world.ctx, composer, sender)

    assert delays == [timedelta(seconds=30 * 2**n) for n in range(MAX_ATTEMPTS - 1)]
    assert report.failed == [message_id]
    failed = row(world, message_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.attempts == MAX_ATTEMPTS
    assert failed.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert "connection refused" in failed.last_error
    with world.ctx.uow() as uow:
        listed = [q.message_id for _, q in uow.outbox.list(status=DeliveryStatus.FAILED)]
    assert listed == [message_id]
    # A failed row is kept, not retried.
    world.clock.advance(days=1)
    sender.always = None
    assert deliver_due(world.ctx, composer, sender).handled == 0
    assert sender.sent == []


def test_a_message_that_fails_once_and_then_goes_through_is_sent_once(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world)
    sender.failures.append(TransientFailure("451 4.3.0 try again later"))

    deliver_due(world.ctx, composer, sender)
    world.clock.advance(seconds=30)
    report = deliver_due(world.ctx, composer, sender)

    assert report.sent == [message_id]
    assert sender.message_ids == [message_id]
    sent = row(world, message_id)
    assert (sent.status, sent.attempts) == (DeliveryStatus.SENT, 2)


def test_a_permanent_failure_marks_the_row_failed_at_once_with_the_error(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world)
    sender.failures.append(PermanentFailure("SMTP 554: '5.7.1 rejected'"))

    report = deliver_due(world.ctx, composer, sender)

    assert report.failed == [message_id]
    failed = row(world, message_id)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert failed.last_error == "SMTP 554: '5.7.1 rejected'"
    world.clock.advance(days=1)
    assert deliver_due(world.ctx, composer, sender).handled == 0


def test_a_row_missing_its_template_data_fails_at_once_and_the_others_still_go(
    world: World, sender: FakeSender
) -> None:
    broken = queue(world, context={"job_id": "JOB-000001", "homeowner_name": "Pat"})
    fine = queue(world)

    report = deliver_due(world.ctx, composer, sender)

    assert report.failed == [broken]
    assert report.sent == [fine]
    assert sender.message_ids == [fine]
    failed = row(world, broken)
    assert failed.status is DeliveryStatus.FAILED
    assert "cannot render cancellation_notice" in failed.last_error
    assert "final_date" in failed.last_error


def test_recipients_the_server_refused_are_noted_on_a_sent_row(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world, cc=("gone@sunny.example",))
    sender.refuse = ["gone@sunny.example"]

    deliver_due(world.ctx, composer, sender)

    sent = row(world, message_id)
    assert sent.status is DeliveryStatus.SENT
    assert sent.last_error == "refused by the server for: gone@sunny.example"


def claim_and_die(world: World) -> list[QueuedEmail]:
    """A worker that leased the due rows and died before sending anything."""
    with world.ctx.uow() as uow:
        leased = uow.outbox.claim(world.clock.now(), 50, LEASE)
        uow.commit()
    return leased


def test_a_leased_row_is_not_claimed_again_before_its_lease_ends(
    world: World, sender: FakeSender
) -> None:
    queue(world)
    [leased] = claim_and_die(world)
    assert leased.attempts == 1

    world.clock.advance(LEASE - timedelta(microseconds=1))
    report = deliver_due(world.ctx, composer, sender)

    assert report.handled == 0
    assert sender.sent == []


def test_a_row_whose_lease_ended_is_sent_again_with_the_same_message_id(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world)
    [leased] = claim_and_die(world)

    world.clock.advance(LEASE)
    report = deliver_due(world.ctx, composer, sender)

    assert report.sent == [leased.message_id] == [message_id]
    assert sender.message_ids == [message_id]
    sent = row(world, message_id)
    assert (sent.status, sent.attempts) == (DeliveryStatus.SENT, 2)


def test_two_deliveries_at_once_never_take_the_same_row(world: World) -> None:
    ids = [queue(world) for _ in range(4)]
    first_claim = claim_and_die(world)  # the first worker holds every row...
    second, first = FakeSender(), FakeSender()

    during = deliver_due(world.ctx, composer, second)  # ...so the second finds none
    for leased in first_claim:  # the first one finishes its sends
        first.send(composer.compose(leased, now=world.clock.now()))
        with world.ctx.uow() as uow:
            uow.outbox.mark_sent(leased.message_id, world.clock.now())
            uow.commit()

    assert during.handled == 0
    assert second.sent == []
    assert sorted(first.message_ids) == sorted(ids)
    world.clock.advance(LEASE * 2)
    assert deliver_due(world.ctx, composer, second).handled == 0


def test_a_message_sent_again_after_a_lost_lease_keeps_its_first_record(
    world: World, sender: FakeSender
) -> None:
    message_id = queue(world)
    claim_and_die(world)  # that worker did send, but died before recording it
    first_sent_at = world.clock.advance(LEASE)
    deliver_due(world.ctx, composer, sender)

    world.clock.advance(minutes=1)
    with world.ctx.uow() as uow:  # the first worker comes back and records it late
        uow.outbox.mark_sent(message_id, world.clock.now())
        uow.commit()

    assert row(world, message_id).sent_at == first_sent_at


def test_an_address_with_a_line_break_fails_its_row_and_the_others_still_go(
    world: World, sender: FakeSender
) -> None:
    # A quoted CSV field can carry a line break into an address; it must not jam the outbox.
    with world.ctx.uow() as uow:
        broken = uow.outbox.add(
            OutgoingEmail(
                kind=EmailKind.CANCELLATION_NOTICE,
                recipients=Recipients(to=("pat@home.example\nBcc: all@evil.example",)),
                job_id="JOB-000001",
                context=NOTICE_CONTEXT,
            ),
            queued_at=world.clock.now(),
        )
        uow.commit()
    fine = queue(world)

    report = deliver_due(world.ctx, composer, sender)

    assert (report.failed, report.sent) == ([broken], [fine])
    assert sender.message_ids == [fine]
    assert row(world, broken).status is DeliveryStatus.FAILED
    assert "line" in row(world, broken).last_error


@dataclass
class Outage:
    """The database, as the delivery sees it: gone while ``down``."""

    down: bool = False

    def around(self, world: World) -> Context:
        def uow() -> UnitOfWork:
            if self.down:
                raise ConnectionError("the database went away")
            return world.ctx.uow()

        return replace(world.ctx, uow=uow)


@dataclass
class DroppingSender(FakeSender):
    """Takes the database down right after its first message is out (once)."""

    outage: Outage = field(default_factory=Outage)
    dropped: bool = False

    def send(self, message: EmailMessage) -> list[str]:
        refused = super().send(message)
        if not self.dropped:
            self.outage.down = self.dropped = True
        return refused


def test_what_was_sent_while_the_database_went_away_is_recorded_when_it_is_back(
    world: World,
) -> None:
    ids = [queue(world) for _ in range(3)]
    sender = DroppingSender()
    ctx, carry = sender.outage.around(world), Carry()

    with pytest.raises(ConnectionError):
        deliver_due(ctx, composer, sender, carry=carry)
    [first] = sender.message_ids
    assert [o.message_id for o in carry.outcomes] == [first]
    assert {e.message_id for e in carry.leased} == set(ids) - {first}
    assert all(row(world, m).status is DeliveryStatus.QUEUED for m in ids)

    sender.outage.down = False
    world.clock.advance(seconds=10)
    back = deliver_due(ctx, composer, sender, carry=carry)

    assert back.sent[0] == first  # recorded before anything else
    assert sorted(back.sent) == sorted(ids)
    assert sorted(sender.message_ids) == sorted(ids)  # each sent once, none again
    assert {(row(world, m).status, row(world, m).attempts) for m in ids} == {
        (DeliveryStatus.SENT, 1)
    }
    assert (carry.outcomes, carry.leased) == ([], [])


def test_after_the_lease_ran_out_the_carried_rows_are_claimed_again_and_the_send_recorded(
    world: World,
) -> None:
    ids = [queue(world) for _ in range(3)]
    sender = DroppingSender()
    ctx, carry = sender.outage.around(world), Carry()
    with pytest.raises(ConnectionError):
        deliver_due(ctx, composer, sender, carry=carry)
    [first] = sender.message_ids

    world.clock.advance(LEASE + timedelta(minutes=1))
    sender.outage.down = False
    back = deliver_due(ctx, composer, sender, carry=carry)

    assert sorted(back.sent) == sorted(ids)
    assert sorted(sender.message_ids) == sorted(ids)
    assert row(world, first).attempts == 1
    # The others were leased again, as any due row is, since the first lease had ended.
    assert {row(world, m).attempts for m in ids if m != first} == {2}
