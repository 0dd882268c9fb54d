"""The 4-digit code and the address-on-file check, in the domain."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.errors import InvalidInput, VerificationLimitReached
from rescind.domain.verification import (
    CODE_LIFETIME,
    MAX_ATTEMPTS,
    ChallengeStatus,
    CodeLimits,
    ConfirmResult,
    VerificationChallenge,
    hash_code,
    issue_challenge,
    normalize_address,
    sent_from_address_on_file,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def challenge_with(code: str) -> VerificationChallenge:
    """A challenge for a known code, built as ``issue_challenge`` builds one."""
    salt = secrets.token_bytes(16)
    return VerificationChallenge(
        id="VC-1",
        request_id="REQ-1",
        code_hash=hash_code(code, salt),
        salt=salt.hex(),
        issued_at=NOW,
        expires_at=NOW + CODE_LIFETIME,
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


def test_a_code_is_4_digits_and_only_its_salted_hash_is_kept() -> None:
    challenge, code = issue_challenge("VC-1", "REQ-1", NOW)
    assert len(code) == 4
    assert code.isdigit()
    assert challenge.code_hash != code
    assert code not in challenge.code_hash
    assert challenge.code_hash == hash_code(code, bytes.fromhex(challenge.salt))
    assert challenge.expires_at == NOW + CODE_LIFETIME == NOW + timedelta(minutes=10)
    assert (challenge.attempts, challenge.status) == (0, ChallengeStatus.OPEN)


def test_codes_come_from_secrets_and_keep_their_leading_zeros(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []

    def randbelow(n: int) -> int:
        asked.append(n)
        return 42

    monkeypatch.setattr(secrets, "randbelow", randbelow)
    _, code = issue_challenge("VC-1", "REQ-1", NOW)
    assert asked == [10_000]
    assert code == "0042"


def test_codes_vary_and_salts_differ_for_the_same_code() -> None:
    codes = Counter(issue_challenge(f"VC-{n}", "REQ-1", NOW)[1] for n in range(60))
    assert len(codes) > 40
    first, second = challenge_with("1234"), challenge_with("1234")
    assert first.salt != second.salt
    assert first.code_hash != second.code_hash


def test_the_right_code_verifies_and_counts_as_an_attempt() -> None:
    challenge = challenge_with("0427")
    assert challenge.confirm("0427", NOW) is ConfirmResult.VERIFIED
    assert (challenge.status, challenge.attempts) == (ChallengeStatus.VERIFIED, 1)
    assert challenge.confirm("0427", NOW) is ConfirmResult.NOT_OPEN


def test_wrong_codes_count_down_and_the_fifth_locks() -> None:
    challenge = challenge_with("0427")
    results = [challenge.confirm(wrong("0427"), NOW) for _ in range(MAX_ATTEMPTS)]
    assert results == [ConfirmResult.WRONG] * (MAX_ATTEMPTS - 1) + [ConfirmResult.LOCKED]
    assert challenge.attempts_left == 0
    assert challenge.confirm("0427", NOW) is ConfirmResult.NOT_OPEN
    assert challenge.status is ChallengeStatus.LOCKED


def test_the_right_code_on_the_last_attempt_still_verifies() -> None:
    challenge = challenge_with("0427")
    for _ in range(MAX_ATTEMPTS - 1):
        challenge.confirm(wrong("0427"), NOW)
    assert challenge.confirm("0427", NOW) is ConfirmResult.VERIFIED


def test_a_code_expires_at_its_lifetime_without_using_an_attempt() -> None:
    challenge = challenge_with("0427")
    assert challenge.confirm("0427", NOW + CODE_LIFETIME) is ConfirmResult.EXPIRED
    assert (challenge.status, challenge.attempts) == (ChallengeStatus.EXPIRED, 0)


@pytest.mark.parametrize("typed", ["427", "04270", "04a7", "", "٠٤٢٧", "04.7"])
def test_input_that_is_not_4_ascii_digits_is_refused_without_counting(typed: str) -> None:
    challenge = challenge_with("0427")
    with pytest.raises(InvalidInput):
        challenge.confirm(typed, NOW)
    assert challenge.attempts == 0


@pytest.mark.parametrize(
    ("sender", "authenticated", "verified"),
    [
        ("pat@home.example", True, True),
        ("PAT@HOME.EXAMPLE", True, True),
        (" pat@home.example ", True, True),
        ("pat@home.example", False, False),
        ("pat@other.example", True, False),
        ("", True, False),
    ],
)
def test_an_email_verifies_only_from_the_address_on_file_and_authenticated(
    sender: str, authenticated: bool, verified: bool
) -> None:
    assert (
        sent_from_address_on_file(sender, "Pat@Home.example", authenticated=authenticated)
        is verified
    )


def test_addresses_are_compared_trimmed_and_lower_case() -> None:
    assert normalize_address("  Pat@Home.Example ") == "pat@home.example"


# --- the request's limits across its codes ---------------------------------------------------


def test_a_third_code_within_the_hour_is_allowed_and_a_fourth_is_not() -> None:
    limits = CodeLimits(sends_per_hour=3, sends_per_day=5, wrong_guesses=10)
    sent = [NOW - timedelta(minutes=m) for m in (59, 30)]
    limits.check_send(sent, 0, NOW)
    with pytest.raises(VerificationLimitReached) as refused:
        limits.check_send([*sent, NOW - timedelta(minutes=1)], 0, NOW)
    assert refused.value.retry_after == 60
    assert "at most 3 codes an hour" in refused.value.message
    assert "send again in 1 min" in refused.value.message


def test_a_code_sent_exactly_an_hour_ago_no_longer_counts_against_the_hour() -> None:
    limits = CodeLimits(sends_per_hour=1, sends_per_day=5, wrong_guesses=10)
    limits.check_send([NOW - timedelta(hours=1)], 0, NOW)
    with pytest.raises(VerificationLimitReached):
        limits.check_send([NOW - timedelta(hours=1, microseconds=-1)], 0, NOW)


def test_the_day_limit_waits_for_the_oldest_of_the_days_codes() -> None:
    limits = CodeLimits(sends_per_hour=3, sends_per_day=2, wrong_guesses=10)
    with pytest.raises(VerificationLimitReached) as refused:
        limits.check_send([NOW - timedelta(hours=h) for h in (30, 20, 2)], 0, NOW)
    assert refused.value.retry_after == 4 * 3600
    assert "send again in 4 h," in refused.value.message


def test_no_code_is_sent_once_the_requests_attempts_are_spent() -> None:
    limits = CodeLimits(sends_per_hour=3, sends_per_day=5, wrong_guesses=10)
    assert limits.guesses_left(9) == 1
    with pytest.raises(VerificationLimitReached) as refused:
        limits.check_send([], 10, NOW)
    assert refused.value.retry_after is None
    assert "email support from the address on file" in refused.value.message


def test_a_claimed_attempt_locks_the_code_on_the_fifth_wrong_one() -> None:
    challenge = challenge_with("0427")
    fourth = challenge.result_of(MAX_ATTEMPTS - 1, matched=False), challenge.status
    fifth = challenge.result_of(MAX_ATTEMPTS, matched=False), challenge.status
    assert fourth == (ConfirmResult.WRONG, ChallengeStatus.OPEN)
    assert fifth == (ConfirmResult.LOCKED, ChallengeStatus.LOCKED)
