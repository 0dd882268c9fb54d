"""The worker's email, end to end in one process: real database (SQLite and PostgreSQL), the
real composer and SMTP client, and a real SMTP server (aiosmtpd) whose inbox we read."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from rescind.adapters.db.tables import OutboxMessageRow
from rescind.adapters.mail.compose import Composer
from rescind.adapters.mail.smtp import SmtpSender, SmtpSettings
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.email import DeliveryStatus, EmailKind, Mailbox, QueuedEmail
from rescind.domain.job import Job, Milestone, PartnerProgram, Phase, ProductModel
from rescind.domain.request import (
    Channel,
    RequestDraft,
    RequesterRole,
    StatementKind,
    WrittenStatement,
)
from rescind.entrypoints.processes.worker import Worker
from rescind.services.cancellation import cancel_workflow
from rescind.services.context import Context
from rescind.services.delivery import deliver_due
from rescind.services.policy import seed_policy
from rescind.services.requests import file_request
from rescind.services.sweep import sweep
from rescind.services.verification import confirm_verification_code, send_verification_code
from tests.fakes import FixedClock, actor
from tests.integration.conftest import UowFactory, a_job
from tests.mail.conftest import Inbox, Received, SmtpServer, free_port
from tests.worker.conftest import due_job

NEW_YORK = ZoneInfo("America/New_York")
# Monday 2026-11-23, 10:00 in New York: SPEC's example day; final at the end of 2026-12-14.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
SPEC_FINAL_AT = datetime(2026, 12, 15, 0, 0, tzinfo=NEW_YORK).astimezone(UTC)
ADDRESSES = {
    Mailbox.HO_OUTBOUND: "HO Outbound <ho-outbound@solar.example>",
    Mailbox.SUPPORT: "Support <support@solar.example>",
    Mailbox.NOTIFICATIONS: "Notifications <notifications@solar.example>",
}
HOMEOWNER = "dana@example.com"
INSTALLER = "ops@sunny.test"
SALES_REP = "sam@sales.test"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def ctx(uow_factory: UowFactory, clock: FixedClock) -> Context:
    context = Context(
        uow=uow_factory,
        clock=clock,
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(context, load_policy_document(default_policy_path()))
    return context


@pytest.fixture
def composer() -> Composer:
    return Composer(ADDRESSES, NEW_YORK)


def sender_for(port: int) -> SmtpSender:
    return SmtpSender(SmtpSettings(host="127.0.0.1", port=port, timeout=5))


@pytest.fixture
def worker(ctx: Context, composer: Composer, smtp_server: SmtpServer) -> Worker:
    return Worker(ctx, composer, sender_for(smtp_server.port))


def eligible_job(job_id: str, **changes: object) -> Job:
    fields: dict[str, object] = {
        "product_model": ProductModel.REGULAR,
        "milestone": Milestone.M1,
        "invoice_uploaded": False,
        "system_photos_uploaded": False,
        "partner_program": PartnerProgram.NONE,
        "phase": Phase.OPERATIONS,
        "installer_signed": False,
        "sales_rep_signed": False,
    }
    fields.update(changes)
    return a_job(job_id, **fields)


def add(ctx: Context, *jobs: Job) -> None:
    with ctx.uow() as uow:
        for job in jobs:
            uow.jobs.add(job)
        uow.commit()


def cancel_by_phone(ctx: Context, job_id: str) -> tuple[str, str]:
    """The whole procedure by phone: file, send the code, read it back, cancel.

    Returns the code and the code email's Message-ID (read before the worker blanks it)."""
    request = file_request(
        ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Dana Homeowner",
            statement=WrittenStatement(
                kind=StatementKind.CHAT_TRANSCRIPT, content="Cancel it please."
            ),
        ),
        actor=actor("agent:alex"),
    )
    sent = send_verification_code(ctx, request.id, actor=actor("agent:alex"))
    with ctx.uow() as uow:
        code = str(uow.outbox.get(sent.message_id).context["code"])
    confirm_verification_code(ctx, request.id, code, actor=actor("agent:alex"))
    cancel_workflow(ctx, request.id, actor=actor("agent:alex"), reason="changed their mind")
    return code, sent.message_id


def outbox_of(ctx: Context, job_id: str, kind: EmailKind) -> QueuedEmail:
    with ctx.uow() as uow:
        [email] = [e for e in uow.outbox.for_job(job_id) if e.kind is kind]
    return email


def received(inbox: Inbox, message_id: str) -> Received:
    [got] = [r for r in inbox.received if r.message["Message-ID"] == message_id]
    return got


def plain_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


# SPEC, step 6: To the homeowner; CC the installer only if it signed, the rep only if they did.
SIGNERS = [
    pytest.param(False, False, (), id="only-the-homeowner-signed"),
    pytest.param(True, False, (INSTALLER,), id="the-installer-signed"),
    pytest.param(False, True, (SALES_REP,), id="the-sales-rep-signed"),
    pytest.param(True, True, (INSTALLER, SALES_REP), id="both-signed"),
]


@pytest.mark.parametrize(("installer_signed", "sales_rep_signed", "cc"), SIGNERS)
def test_the_cancellation_notice_reaches_the_homeowner_with_cc_exactly_per_spec(
    ctx: Context,
    worker: Worker,
    smtp_server: SmtpServer,
    installer_signed: bool,
    sales_rep_signed: bool,
    cc: tuple[str, ...],
) -> None:
    add(
        ctx,
        eligible_job(
            "JOB-000001", installer_signed=installer_signed, sales_rep_signed=sales_rep_signed
        ),
    )
    cancel_by_phone(ctx, "JOB-000001")
    row = outbox_of(ctx, "JOB-000001", EmailKind.CANCELLATION_NOTICE)

    done = worker.run_once()

    assert done.delivered is not None
    assert len(done.delivered.sent) == 2  # the code email and the notice
    notice = received(smtp_server.inbox, row.message_id)
    message = notice.message
    assert message["To"] == HOMEOWNER
    if cc:
        assert message["Cc"] == ", ".join(cc)
    else:
        assert "Cc" not in message
    assert sorted(notice.rcpt_tos) == sorted([HOMEOWNER, *cc])
    assert message["From"] == ADDRESSES[Mailbox.SUPPORT]
    assert message["Subject"] == "Job JOB-000001 cancelled: Cancel Pending until 2026-12-14"
    assert message["Message-ID"] == row.message_id
    assert message["X-Rescind-Job"] == "JOB-000001"
    assert "Monday, December 14, 2026" in plain_body(message)
    assert "Monday, December 14, 2026" in html_body(message)
    assert "changed their mind" in plain_body(message)
    with ctx.uow() as uow:
        assert uow.outbox.get(row.message_id).status is DeliveryStatus.SENT


def test_the_code_email_leaves_from_ho_outbound_with_the_four_digit_code(
    ctx: Context, worker: Worker, smtp_server: SmtpServer
) -> None:
    add(ctx, eligible_job("JOB-000002", installer_signed=True, sales_rep_signed=True))
    code, message_id = cancel_by_phone(ctx, "JOB-000002")

    worker.run_once()

    got = received(smtp_server.inbox, message_id)
    assert re.fullmatch(r"\d{4}", code)
    assert got.message["From"] == ADDRESSES[Mailbox.HO_OUTBOUND]
    assert got.mail_from == "ho-outbound@solar.example"
    assert got.rcpt_tos == [HOMEOWNER]  # the code goes to the address on file only
    assert "Cc" not in got.message
    assert got.message["Subject"] == "Your verification code"
    assert f"Your verification code is: {code}" in plain_body(got.message)
    assert code in html_body(got.message)
    with ctx.uow() as uow:
        sent = uow.outbox.get(message_id)
    assert sent.status is DeliveryStatus.SENT
    assert sent.context["code"] == ""  # gone from the database once delivered


def test_after_the_window_the_final_cancellation_email_reaches_the_homeowner_only(
    ctx: Context, clock: FixedClock, worker: Worker, smtp_server: SmtpServer
) -> None:
    add(ctx, eligible_job("JOB-000003", installer_signed=True, sales_rep_signed=True))
    cancel_by_phone(ctx, "JOB-000003")
    worker.run_once()
    clock.set(SPEC_FINAL_AT - timedelta(microseconds=1))
    early = worker.run_once()
    clock.set(SPEC_FINAL_AT + timedelta(minutes=1))

    done = worker.run_once()

    assert early.swept.finalized == 0
    assert done.swept.finalized == 1
    row = outbox_of(ctx, "JOB-000003", EmailKind.FINAL_CANCELLATION)
    assert row.status is DeliveryStatus.SENT
    final = received(smtp_server.inbox, row.message_id)
    assert final.rcpt_tos == [HOMEOWNER]
    assert final.message["To"] == HOMEOWNER
    assert "Cc" not in final.message
    assert final.message["From"] == ADDRESSES[Mailbox.NOTIFICATIONS]
    assert final.message["Subject"] == "Job JOB-000003 is now fully cancelled"
    # The end of Monday 2026-12-14 in New York.
    assert "Tuesday December 15, 2026 at 12:00 AM EST" in plain_body(final.message)
    assert len(smtp_server.inbox.received) == 3  # code, notice, final: nothing twice
    assert worker.run_once().swept.finalized == 0


def next_attempts(engine: Engine) -> dict[str, datetime]:
    """When each row is next due (the typed column gives aware UTC on both databases)."""
    statement = select(OutboxMessageRow.message_id, OutboxMessageRow.next_attempt_at)
    with engine.connect() as connection:
        return dict(connection.execute(statement).all())


def test_with_the_smtp_server_down_then_up_every_message_arrives_exactly_once(
    ctx: Context, clock: FixedClock, composer: Composer, engine: Engine
) -> None:
    add(ctx, *(eligible_job(f"JOB-00001{n}", installer_signed=True) for n in range(3)))
    for n in range(3):
        cancel_by_phone(ctx, f"JOB-00001{n}")
    port = free_port()  # nothing listens here yet
    sender = sender_for(port)
    with ctx.uow() as uow:
        queued = [e.message_id for _, e in uow.outbox.list()]
    assert len(queued) == 6

    down = deliver_due(ctx, composer, sender)

    assert sorted(down.retrying) == sorted(queued)
    tried_at = clock.now()
    with ctx.uow() as uow:
        rows = [e for _, e in uow.outbox.list()]
    assert {e.status for e in rows} == {DeliveryStatus.QUEUED}
    assert all(f"cannot reach 127.0.0.1:{port}" in e.last_error for e in rows)
    assert set(next_attempts(engine).values()) == {tried_at + timedelta(seconds=30)}

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(seconds=29)
        assert deliver_due(ctx, composer, sender).handled == 0  # not before the retry time
        clock.advance(seconds=1)
        up = deliver_due(ctx, composer, sender)
        clock.advance(hours=1)
        after = deliver_due(ctx, composer, sender)
    finally:
        controller.stop()

    assert sorted(up.sent) == sorted(queued)
    assert after.handled == 0
    arrived = [str(r.message["Message-ID"]) for r in inbox.received]
    assert sorted(arrived) == sorted(queued)  # every one, each exactly once
    with ctx.uow() as uow:
        rows = [e for _, e in uow.outbox.list()]
    assert {(e.status, e.attempts) for e in rows} == {(DeliveryStatus.SENT, 2)}


def test_a_5xx_answer_fails_the_row_for_good_and_it_shows_in_the_failed_list(
    ctx: Context, clock: FixedClock, worker: Worker, smtp_server: SmtpServer
) -> None:
    add(ctx, eligible_job("JOB-000020"))
    _, message_id = cancel_by_phone(ctx, "JOB-000020")
    smtp_server.inbox.refuse_with = "554 5.7.1 mailbox unavailable"

    done = worker.run_once()

    assert done.delivered is not None
    assert len(done.delivered.failed) == 2
    with ctx.uow() as uow:
        failed = [e for _, e in uow.outbox.list(status=DeliveryStatus.FAILED)]
        queued = uow.outbox.list(status=DeliveryStatus.QUEUED)
    assert message_id in [e.message_id for e in failed]
    assert {e.kind for e in failed} == {EmailKind.VERIFICATION_CODE, EmailKind.CANCELLATION_NOTICE}
    assert all("SMTP 554" in e.last_error for e in failed)
    assert queued == []
    smtp_server.inbox.refuse_with = None
    clock.advance(days=1)
    assert worker.run_once().delivered is not None
    assert smtp_server.inbox.received == []  # a failed row is not retried behind anyone's back


def test_a_4xx_answer_keeps_the_row_queued_for_a_later_attempt(
    ctx: Context, clock: FixedClock, worker: Worker, smtp_server: SmtpServer
) -> None:
    add(ctx, eligible_job("JOB-000021"))
    cancel_by_phone(ctx, "JOB-000021")
    smtp_server.inbox.refuse_with = "451 4.3.0 try again later"

    first = worker.run_once()
    smtp_server.inbox.refuse_with = None
    clock.advance(seconds=30)
    second = worker.run_once()

    assert first.delivered is not None
    assert second.delivered is not None
    assert (len(first.delivered.retrying), len(second.delivered.sent)) == (2, 2)
    assert len(smtp_server.inbox.received) == 2


def test_the_worker_without_a_sender_finalizes_and_leaves_email_queued(
    ctx: Context, clock: FixedClock, composer: Composer
) -> None:
    add(ctx, eligible_job("JOB-000022"))
    cancel_by_phone(ctx, "JOB-000022")
    clock.set(SPEC_FINAL_AT)

    done = Worker(ctx, composer, None).run_once()

    assert (done.swept.finalized, done.delivered) == (1, None)
    with ctx.uow() as uow:
        assert {e.status for _, e in uow.outbox.list()} == {DeliveryStatus.QUEUED}


def test_a_sweep_asked_to_stop_ends_after_the_batch_in_hand_and_leaves_the_rest(
    ctx: Context,
) -> None:
    add(ctx, *(due_job(n) for n in range(1, 6)))
    asked: list[bool] = []

    def stop_after_one_batch() -> bool:
        asked.append(True)
        return len(asked) > 1

    stopped = sweep(ctx, batch_size=2, stop=stop_after_one_batch)
    rest = sweep(ctx, batch_size=2)

    assert (stopped.finalized, stopped.batches) == (2, 1)
    assert (rest.finalized, rest.batches) == (3, 2)


def test_a_worker_told_to_stop_starts_no_new_work(ctx: Context, worker: Worker) -> None:
    add(ctx, due_job(1))
    worker.stopping.set()

    done = worker.run_once()

    assert (done.swept.finalized, done.delivered) == (0, None)
