"""A homeowner's email becomes a request on the right job, verified only from the address on file;
anything else waits in triage with the reason, and nothing received is dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rescind.domain.inbound import InboundEmail, InboundRecord, InboundStatus, Malformed
from rescind.domain.job import Homeowner, Job, JobStatus
from rescind.domain.request import (
    CancellationRequest,
    Channel,
    RequesterRole,
    StatementKind,
    VerificationMethod,
)
from rescind.domain.sender_authentication import SenderAuthentication
from rescind.services.inbound import MAIL_ACTOR, receive_email
from tests.fakes import World

# Monday 2026-11-23, 10:00 in New York.
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
# 48 business hours later; Thanksgiving (Thursday) is not in the way yet.
DUE_AT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
RAW = b"From: someone\r\n\r\nthe bytes as received\r\n"
DMARC_PASS = SenderAuthentication(True, "DMARC pass for home.example by mx.solar.example")


@pytest.fixture
def world() -> World:
    return World.start(MONDAY)


def homeowner(n: int, email: str) -> Homeowner:
    return Homeowner(id=f"HO-9{n}", name=f"Pat {n}", email=email, phone="555-0100")


def an_email(
    from_address: str,
    *,
    subject: str = "Cancel my solar contract",
    text: str = "Please cancel my solar contract. I changed my mind.",
    authentication: SenderAuthentication = DMARC_PASS,
    references: tuple[str, ...] = (),
    message_id: str = "<m1@mail.home.example>",
) -> InboundEmail:
    return InboundEmail(
        message_id=message_id,
        from_address=from_address,
        from_name="Pat Homeowner",
        subject=subject,
        text=text,
        sent_at=MONDAY,
        authentication=authentication,
        job_references=references,
    )


def records(world: World) -> list[InboundRecord]:
    return sorted(world.store.tables.inbound.values(), key=lambda r: r.received_at)


def requests_of(world: World, job_id: str) -> list[CancellationRequest]:
    return [r for r in world.store.tables.requests.values() if r.job_id == job_id]


def test_mail_from_the_address_on_file_of_a_homeowner_with_one_open_job_is_filed_and_verified(
    world: World,
) -> None:
    job = world.add(id="JOB-000101")
    email = an_email(job.homeowner.email)

    received = receive_email(world.ctx, email, RAW)

    assert received.status is InboundStatus.FILED
    assert (received.job_id, received.verified, received.reason) == (job.id, True, "")
    request = world.store.request(str(received.request_id))
    assert request.job_id == job.id
    assert request.channel is Channel.EMAIL
    assert request.requester_role is RequesterRole.HOMEOWNER
    assert request.requester_name == "Pat Homeowner"
    assert request.filed_by == MAIL_ACTOR.id
    assert request.verified
    assert request.verification_method is VerificationMethod.ADDRESS_ON_FILE
    assert request.verified_at == MONDAY
    assert request.verification_note == DMARC_PASS.reason
    kinds = world.store.kinds(job.id)
    assert kinds[-3:] == ["request_filed", "statement_attached", "request_verified"]
    [stored] = records(world)
    assert (stored.status, stored.job_id, stored.request_id) == (
        InboundStatus.FILED,
        job.id,
        request.id,
    )
    assert stored.raw == RAW
    assert stored.message_id == email.message_id
    assert stored.authentication == DMARC_PASS


def test_the_message_itself_is_the_written_statement_with_its_message_id_as_source(
    world: World,
) -> None:
    job = world.add(id="JOB-000102")
    email = an_email(job.homeowner.email, message_id="<cancel-42@mail.home.example>")

    received = receive_email(world.ctx, email, RAW)

    statement = world.store.request(str(received.request_id)).statement
    assert statement is not None
    assert statement.kind is StatementKind.EMAIL
    assert statement.content == (
        "Subject: Cancel my solar contract\n\nPlease cancel my solar contract. I changed my mind."
    )
    assert statement.source_ref == "<cancel-42@mail.home.example>"
    assert statement.from_address == job.homeowner.email
    assert statement.received_at == MONDAY


def test_the_request_is_due_in_48_business_hours_and_flagged_inside_the_cooling_off_window(
    world: World,
) -> None:
    # Signed Friday: Saturday, Monday and Tuesday are the three cooling-off business days.
    recent = world.add(id="JOB-000103", contract_signed_date=date(2026, 11, 20))
    old = world.add(id="JOB-000104", contract_signed_date=date(2026, 10, 1))

    inside = receive_email(world.ctx, an_email(recent.homeowner.email, message_id="<a@x>"), RAW)
    outside = receive_email(world.ctx, an_email(old.homeowner.email, message_id="<b@x>"), RAW)

    flagged = world.store.request(str(inside.request_id))
    plain = world.store.request(str(outside.request_id))
    assert (flagged.within_cooling_off, plain.within_cooling_off) == (True, False)
    assert flagged.due_at == plain.due_at == DUE_AT


@pytest.mark.parametrize(
    "why",
    [
        "DMARC fail for home.example by mx.solar.example",
        "no Authentication-Results from a trusted server (mx.solar.example)",
    ],
)
def test_mail_from_the_address_on_file_whose_sender_is_not_authenticated_is_filed_unverified(
    world: World, why: str
) -> None:
    job = world.add(id="JOB-000105")
    email = an_email(job.homeowner.email, authentication=SenderAuthentication(False, why))

    received = receive_email(world.ctx, email, RAW)

    assert received.status is InboundStatus.FILED
    assert (received.job_id, received.verified) == (job.id, False)
    assert received.reason == f"filed unverified: {why}"
    request = world.store.request(str(received.request_id))
    assert not request.verified
    assert request.verification_note == why
    assert request.statement is not None  # kept as evidence all the same
    assert "request_verified" not in world.store.kinds(job.id)
    assert records(world)[0].reason == received.reason


def test_mail_naming_a_job_from_another_address_is_filed_on_that_job_unverified(
    world: World,
) -> None:
    job = world.add(id="JOB-000106")

    received = receive_email(
        world.ctx,
        an_email("spouse@elsewhere.example", subject="Cancel JOB-000106", references=(job.id,)),
        RAW,
    )

    assert received.status is InboundStatus.FILED
    assert (received.job_id, received.verified) == (job.id, False)
    assert received.reason == (
        "filed unverified: spouse@elsewhere.example is not the address on file for job JOB-000106"
    )
    assert not world.store.request(str(received.request_id)).verified


def test_a_job_reference_wins_over_the_senders_other_job(world: World) -> None:
    mine = world.add(id="JOB-000107", homeowner=homeowner(7, "two@home.example"))
    other = world.add(id="JOB-000108", homeowner=homeowner(8, "two-b@home.example"))

    received = receive_email(world.ctx, an_email("two@home.example", references=(other.id,)), RAW)

    assert received.job_id == other.id
    assert not received.verified  # the sender is not the other job's homeowner
    assert requests_of(world, mine.id) == []


def test_mail_from_an_unknown_sender_naming_no_job_waits_in_triage_with_the_reason(
    world: World,
) -> None:
    world.add(id="JOB-000109")

    received = receive_email(world.ctx, an_email("stranger@nowhere.example"), RAW)

    assert received.status is InboundStatus.TRIAGE
    assert received.reason == (
        "no job found: stranger@nowhere.example is not a homeowner's address on file and the "
        "message names no job"
    )
    assert (received.job_id, received.request_id) == (None, None)
    assert world.store.tables.requests == {}
    with world.ctx.uow() as uow:
        [waiting] = uow.inbound.triage()
    assert (waiting.status, waiting.reason, waiting.raw) == (
        InboundStatus.TRIAGE,
        received.reason,
        RAW,
    )
    assert waiting.from_address == "stranger@nowhere.example"
    assert waiting.subject == "Cancel my solar contract"


def test_a_reference_to_no_known_job_waits_in_triage_naming_the_reference(world: World) -> None:
    received = receive_email(
        world.ctx, an_email("stranger@nowhere.example", references=("JOB-999999",)), RAW
    )

    assert received.status is InboundStatus.TRIAGE
    assert "JOB-999999 matched no job" in received.reason


def test_a_sender_with_several_open_jobs_waits_in_triage_listing_them(world: World) -> None:
    shared = "busy@home.example"
    first = world.add(id="JOB-000110", homeowner=homeowner(10, shared))
    second = world.add(id="JOB-000111", homeowner=homeowner(11, shared))

    received = receive_email(world.ctx, an_email(shared), RAW)

    assert received.status is InboundStatus.TRIAGE
    assert received.reason == (
        f"{shared} has several open jobs ({first.id}, {second.id}); which one is meant?"
    )
    assert world.store.tables.requests == {}


def test_a_sender_whose_other_job_is_already_cancelled_is_filed_on_the_open_one(
    world: World,
) -> None:
    shared = "again@home.example"
    world.add(id="JOB-000112", homeowner=homeowner(12, shared), status=JobStatus.CANCELLED)
    open_job = world.add(id="JOB-000113", homeowner=homeowner(13, shared))

    received = receive_email(world.ctx, an_email(shared), RAW)

    assert (received.status, received.job_id, received.verified) == (
        InboundStatus.FILED,
        open_job.id,
        True,
    )


def test_the_same_message_id_again_is_kept_as_a_duplicate_and_files_nothing_new(
    world: World,
) -> None:
    job = world.add(id="JOB-000114")
    email = an_email(job.homeowner.email, message_id="<resent@mail.home.example>")
    first = receive_email(world.ctx, email, RAW)
    world.clock.advance(minutes=5)

    again = receive_email(world.ctx, email, RAW + b"(resent)")

    assert first.status is InboundStatus.FILED
    assert again.status is InboundStatus.DUPLICATE
    assert again.reason == "already received <resent@mail.home.example>"
    assert again.request_id is None
    assert len(requests_of(world, job.id)) == 1
    kept = records(world)
    assert [r.status for r in kept] == [InboundStatus.FILED, InboundStatus.DUPLICATE]
    assert kept[1].raw == RAW + b"(resent)"


def test_mail_without_a_message_id_is_a_duplicate_by_its_sender_and_text(world: World) -> None:
    job = world.add(id="JOB-000115")

    first = receive_email(world.ctx, an_email(job.homeowner.email, message_id=""), RAW)
    world.clock.advance(minutes=10)
    second = receive_email(world.ctx, an_email(job.homeowner.email, message_id=""), RAW)

    assert (first.status, second.status) == (InboundStatus.FILED, InboundStatus.DUPLICATE)
    assert second.reason.startswith(f"the same email from {job.homeowner.email} arrived at")
    assert second.request_id == first.request_id
    assert len(requests_of(world, job.id)) == 1


def test_another_email_while_the_homeowners_request_is_open_files_no_second_one(
    world: World,
) -> None:
    job = world.add(id="JOB-000116")
    first = receive_email(world.ctx, an_email(job.homeowner.email, message_id="<a@x>"), RAW)
    world.clock.advance(hours=2)  # past the resend window: not the same email sent twice

    later = receive_email(world.ctx, an_email(job.homeowner.email, message_id="<b@x>"), RAW)

    assert later.status is InboundStatus.DUPLICATE
    assert (
        later.reason
        == f"the homeowner already has open request {first.request_id} for job {job.id}"
    )
    assert later.request_id == first.request_id
    assert len(requests_of(world, job.id)) == 1


def test_malformed_mail_waits_in_triage_with_the_reason_and_its_bytes(world: World) -> None:
    raw = b"\xff\xfe not an email at all"

    received = receive_email(
        world.ctx, Malformed("no usable From address", message_id="<junk@x>"), raw
    )

    assert received.status is InboundStatus.TRIAGE
    assert received.reason == "malformed: no usable From address"
    [kept] = records(world)
    assert (kept.raw, kept.message_id, kept.status) == (raw, "<junk@x>", InboundStatus.TRIAGE)


def test_an_address_on_file_differing_only_in_case_still_matches_and_verifies(
    world: World,
) -> None:
    job: Job = world.add(id="JOB-000116", homeowner=homeowner(16, "Pat.Case@Home.Example"))

    received = receive_email(world.ctx, an_email("pat.case@home.example"), RAW)

    assert (received.status, received.job_id, received.verified) == (
        InboundStatus.FILED,
        job.id,
        True,
    )
