"""Step 2: the 4-digit code process and the address-on-file check, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.email import EmailKind
from rescind.domain.errors import (
    InvalidInput,
    NotAllowed,
    NotVerified,
    VerificationFailed,
    VerificationLimitReached,
)
from rescind.domain.job import Homeowner
from rescind.domain.request import Channel, RequestDraft, RequesterRole, VerificationMethod
from rescind.domain.verification import MAX_ATTEMPTS, ChallengeStatus
from rescind.services.requests import file_request
from rescind.services.verification import (
    confirm_verification_code,
    send_verification_code,
    verify_by_address_on_file,
)
from tests.fakes import FakeChallengeRepository, World, actor

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World.start(NOW)


def new_request(
    world: World,
    *,
    channel: Channel = Channel.PHONE,
    role: RequesterRole = RequesterRole.HOMEOWNER,
    email: str = "pat@home.example",
) -> str:
    job = world.add(homeowner=Homeowner(id="HO-V", name="Pat Homeowner", email=email))
    return file_request(
        world.ctx,
        RequestDraft(
            job_id=job.id, channel=channel, requester_role=role, requester_name="Pat Homeowner"
        ),
        actor=actor("agent:alex"),
    ).id


def sent_code(world: World) -> str:
    code = world.store.emails(EmailKind.VERIFICATION_CODE)[-1].email.context["code"]
    assert isinstance(code, str)
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


def test_the_code_is_emailed_to_the_address_on_file_and_marked_secret(world: World) -> None:
    request_id = new_request(world)
    sent = send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    [queued] = world.store.emails(EmailKind.VERIFICATION_CODE)
    assert sent.sent_to == "pat@home.example"
    assert sent.expires_at == NOW + timedelta(minutes=10)
    assert queued.email.secret_keys == ("code",)
    with world.ctx.uow() as uow:
        shown = uow.outbox.get(sent.message_id)
        assert shown.context["code"] == sent_code(world)
        assert [q.message_id for q in uow.outbox.for_job(queued.email.job_id or "")] == [
            sent.message_id
        ]
    [challenge] = world.store.challenges_of(request_id)
    assert challenge.code_hash != sent_code(world)
    assert sent_code(world) not in str(world.store.trail(world.store.request(request_id).job_id))


def test_the_right_code_verifies_the_request(world: World) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    request = confirm_verification_code(
        world.ctx, request_id, sent_code(world), actor=actor("agent:alex")
    )
    assert request.verified
    assert request.verification_method is VerificationMethod.CODE
    assert request.verified_at == NOW
    stored = world.store.request(request_id)
    assert stored.verified
    assert world.store.kinds(stored.job_id)[-1] == "request_verified"


def test_a_wrong_code_fails_with_fewer_attempts_left_and_the_attempt_is_kept(
    world: World,
) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    bad = wrong(sent_code(world))

    left = []
    for _ in range(3):
        with pytest.raises(VerificationFailed) as failed:
            confirm_verification_code(world.ctx, request_id, bad, actor=actor("agent:alex"))
        assert failed.value.reason == "wrong"
        left.append(failed.value.attempts_left)

    assert left == [MAX_ATTEMPTS - 1, MAX_ATTEMPTS - 2, MAX_ATTEMPTS - 3]
    [challenge] = world.store.challenges_of(request_id)
    assert challenge.attempts == 3
    assert not world.store.request(request_id).verified
    job_id = world.store.request(request_id).job_id
    assert world.store.kinds(job_id).count("verification_code_rejected") == 3


def test_five_wrong_codes_lock_the_challenge_and_then_even_the_right_code_fails(
    world: World,
) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    code = sent_code(world)
    reasons = []
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(VerificationFailed) as failed:
            confirm_verification_code(world.ctx, request_id, wrong(code), actor=actor("agent:alex"))
        reasons.append(failed.value.reason)
    assert reasons == ["wrong"] * (MAX_ATTEMPTS - 1) + ["locked"]
    assert world.store.challenges_of(request_id)[0].status is ChallengeStatus.LOCKED

    with pytest.raises(VerificationFailed) as failed:
        confirm_verification_code(world.ctx, request_id, code, actor=actor("agent:alex"))
    assert failed.value.attempts_left == 0
    assert not world.store.request(request_id).verified


def test_a_code_expires_after_10_minutes(world: World) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    world.clock.advance(minutes=10)
    with pytest.raises(VerificationFailed) as failed:
        confirm_verification_code(
            world.ctx, request_id, sent_code(world), actor=actor("agent:alex")
        )
    assert failed.value.reason == "expired"
    assert world.store.challenges_of(request_id)[0].status is ChallengeStatus.EXPIRED


def test_a_code_still_works_just_before_10_minutes(world: World) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    world.clock.advance(minutes=10, microseconds=-1)
    request = confirm_verification_code(
        world.ctx, request_id, sent_code(world), actor=actor("agent:alex")
    )
    assert request.verified


def test_a_new_code_supersedes_the_old_one(world: World) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    old = sent_code(world)
    # Two random codes are equal once in 10 000 sends; ask again until they differ.
    for _ in range(10):
        world.clock.advance(seconds=1)
        send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
        if sent_code(world) != old:
            break
    new = sent_code(world)
    assert new != old
    first, *_, last = world.store.challenges_of(request_id)
    assert first.status is ChallengeStatus.SUPERSEDED
    assert last.status is ChallengeStatus.OPEN

    with pytest.raises(VerificationFailed):
        confirm_verification_code(world.ctx, request_id, old, actor=actor("agent:alex"))
    assert confirm_verification_code(world.ctx, request_id, new, actor=actor("agent:alex")).verified


@pytest.mark.parametrize("typed", ["123", "12345", "12a4", "", " 1234", "１２３４"])
def test_input_that_is_not_4_digits_is_refused_and_not_counted(world: World, typed: str) -> None:
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    with pytest.raises(InvalidInput):
        confirm_verification_code(world.ctx, request_id, typed, actor=actor("agent:alex"))
    assert world.store.challenges_of(request_id)[0].attempts == 0


def test_confirming_without_any_code_sent_fails(world: World) -> None:
    request_id = new_request(world)
    with pytest.raises(VerificationFailed) as failed:
        confirm_verification_code(world.ctx, request_id, "1234", actor=actor("agent:alex"))
    assert failed.value.reason == "not_open"


def test_only_a_homeowner_request_can_get_a_code(world: World) -> None:
    request_id = new_request(world, role=RequesterRole.SALES_REP)
    with pytest.raises(NotAllowed, match="only the homeowner"):
        send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    assert world.store.emails(EmailKind.VERIFICATION_CODE) == []


@pytest.mark.parametrize("sender", ["pat@home.example", "PAT@Home.Example", "  pat@home.example "])
def test_an_email_from_the_address_on_file_verifies_whatever_its_case(
    world: World, sender: str
) -> None:
    request_id = new_request(world, channel=Channel.EMAIL)
    request = verify_by_address_on_file(
        world.ctx, request_id, sender=sender, authenticated=True, actor=actor("agent:alex")
    )
    assert request.verified
    assert request.verification_method is VerificationMethod.ADDRESS_ON_FILE
    assert world.store.request(request_id).verified


def test_an_email_from_another_address_is_not_verified(world: World) -> None:
    request_id = new_request(world, channel=Channel.EMAIL)
    with pytest.raises(NotVerified, match="not the homeowner's address"):
        verify_by_address_on_file(
            world.ctx, request_id, sender="pat@evil.example", authenticated=True, actor=actor("a")
        )
    assert not world.store.request(request_id).verified


def test_an_email_that_failed_authentication_is_not_verified_even_from_the_right_address(
    world: World,
) -> None:
    request_id = new_request(world, channel=Channel.EMAIL)
    with pytest.raises(NotVerified, match="SPF/DKIM/DMARC"):
        verify_by_address_on_file(
            world.ctx, request_id, sender="pat@home.example", authenticated=False, actor=actor("a")
        )
    assert not world.store.request(request_id).verified


def test_an_email_with_no_authentication_results_is_not_trusted_even_from_the_right_address(
    world: World,
) -> None:
    """A From header alone is easy to forge: "not known" is not authenticated."""
    request_id = new_request(world, channel=Channel.EMAIL)
    with pytest.raises(NotVerified, match="a From header alone is no proof"):
        verify_by_address_on_file(
            world.ctx, request_id, sender="pat@home.example", authenticated=None, actor=actor("a")
        )
    assert not world.store.request(request_id).verified


def test_an_attempt_the_store_did_not_count_is_never_evaluated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a parallel guess took the code's last attempt between our read and our write:
    even the right code is refused, and the request stays unverified."""
    request_id = new_request(world)
    send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    monkeypatch.setattr(FakeChallengeRepository, "claim_attempt", lambda *_, **__: None)

    with pytest.raises(VerificationFailed) as failed:
        confirm_verification_code(
            world.ctx, request_id, sent_code(world), actor=actor("agent:alex")
        )

    assert (failed.value.reason, failed.value.attempts_left) == ("locked", 0)
    assert not world.store.request(request_id).verified
    assert world.store.challenges_of(request_id)[0].status is ChallengeStatus.OPEN


def test_the_requests_attempts_are_counted_across_its_codes(world: World) -> None:
    request_id = new_request(world)
    for _ in range(2):
        world.clock.advance(seconds=1)
        send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(VerificationFailed):
                confirm_verification_code(
                    world.ctx, request_id, wrong(sent_code(world)), actor=actor("agent:alex")
                )

    with pytest.raises(VerificationLimitReached, match="10 wrong codes"):
        send_verification_code(world.ctx, request_id, actor=actor("agent:alex"))
    with pytest.raises(VerificationLimitReached, match="email support from the address on file"):
        confirm_verification_code(world.ctx, request_id, "1234", actor=actor("agent:alex"))
    assert len(world.store.challenges_of(request_id)) == 2
