"""The 4-digit code and the address-on-file check, in the domain."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from rescind.domain.errors import InvalidInput
from rescind.domain.verification import (
    CODE_LIFETIME,
    MAX_ATTEMPTS,
    ChallengeStatus,
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
