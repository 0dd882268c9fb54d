"""The 4-digit code process, and the "email from the address on file" check.

A 4-digit code has only 10 000 values, so its safety is the short life and the attempt limit,
not the hash; the hash (scrypt, salted) only keeps the code out of a database dump.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rescind.domain.errors import InvalidInput, VerificationLimitReached
from rescind.domain.wording import count as count_of

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODE_DIGITS = 4


class ChallengeStatus(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"
    LOCKED = "locked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class ConfirmResult(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"
    NOT_OPEN = "not_open"


# SPEC step 2's way out, said by every refusal that no new code can fix.
EMAIL_SUPPORT_INSTEAD = "the homeowner must email support from the address on file instead"


@dataclass(frozen=True)
class CodeLimits:
    """How much one request may use the code process: resending a code is no fresh budget.

    A code has ``MAX_ATTEMPTS`` of its own; these bound the request across all its codes.
    """

    sends_per_hour: int = 3
    sends_per_day: int = 5
    wrong_guesses: int = 10

    def check_send(self, issued: Sequence[datetime], attempts_used: int, now: datetime) -> None:
        """Refuse another code for a request whose earlier codes were ``issued`` then."""
        if self.guesses_left(attempts_used) == 0:
            raise self.guesses_spent()
        for count, window, per, last in (
            (self.sends_per_day, timedelta(days=1), "a day", "day"),
            (self.sends_per_hour, timedelta(hours=1), "an hour", "hour"),
        ):
            recent = sorted(at for at in issued if at > now - window)
            if len(recent) >= count:
                # The send that frees a place is the oldest of the ``count`` most recent.
                frees_at = recent[-count] + window
                wait = max(1, math.ceil((frees_at - now).total_seconds()))
                raise VerificationLimitReached(
                    f"this request has had {count_of(len(recent), 'code')} in the last {last}, "
                    f"and at most {count_of(count, 'code')} {per} are sent for one request: "
                    f"send again in {_duration(wait)}, or {EMAIL_SUPPORT_INSTEAD}",
                    retry_after=wait,
                )

    def guesses_left(self, attempts_used: int) -> int:
        """Attempts the request still has across all its codes (a right code is one too)."""
        return max(0, self.wrong_guesses - attempts_used)

    def guesses_spent(self) -> VerificationLimitReached:
        return VerificationLimitReached(
            f"this request has had its {self.wrong_guesses} wrong codes: no code can verify it "
            f"now, and no new code is sent; {EMAIL_SUPPORT_INSTEAD}",
            retry_after=None,
        )


def _duration(seconds: int) -> str:
    """``3480`` → "58 min", ``50400`` → "14 h": a wait said the way an agent repeats it."""
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def hash_code(code: str, salt: bytes) -> str:
    return hashlib.scrypt(code.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32).hex()


def check_code_format(code: str) -> None:
    """Refuse what cannot be a code before any attempt is counted for it."""
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
        raise InvalidInput("the code is the 4 digits from the email, e.g. 0427", field="code")


@dataclass
class VerificationChallenge:
    id: str
    request_id: str
    code_hash: str
    salt: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0
    status: ChallengeStatus = ChallengeStatus.OPEN

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_ATTEMPTS - self.attempts)

    def refusal(self, now: datetime) -> ConfirmResult | None:
        """Why no attempt may be counted at this code now; None when one may."""
        if self.status is ChallengeStatus.LOCKED or (
            self.status is ChallengeStatus.OPEN and self.attempts >= MAX_ATTEMPTS
        ):
            return ConfirmResult.LOCKED
        if self.status is not ChallengeStatus.OPEN:
            return ConfirmResult.NOT_OPEN
        if now >= self.expires_at:
            self.status = ChallengeStatus.EXPIRED
            return ConfirmResult.EXPIRED
        return None

    def matches(self, code: str) -> bool:
        check_code_format(code)
        return hmac.compare_digest(hash_code(code, bytes.fromhex(self.salt)), self.code_hash)

    def result_of(self, attempt: int, *, matched: bool) -> ConfirmResult:
        """What the ``attempt``-th counted attempt did; the code's new status goes with it."""
        if matched:
            self.status = ChallengeStatus.VERIFIED
            return ConfirmResult.VERIFIED
        if attempt >= MAX_ATTEMPTS:
            self.status = ChallengeStatus.LOCKED
            return ConfirmResult.LOCKED
        return ConfirmResult.WRONG

    def confirm(self, code: str, now: datetime) -> ConfirmResult:
        """Count the attempt before comparing, so a crash can never give a free guess.

        The single-threaded form; the service counts the attempt in the database first
        (``ChallengeRepository.claim_attempt``) and then uses ``matches`` and ``result_of``.
        """
        check_code_format(code)
        refused = self.refusal(now)
        if refused is not None:
            return ConfirmResult.NOT_OPEN if refused is ConfirmResult.LOCKED else refused
        self.attempts += 1
        return self.result_of(self.attempts, matched=self.matches(code))


def issue_challenge(
    challenge_id: str, request_id: str, now: datetime
) -> tuple[VerificationChallenge, str]:
    """A fresh code from ``secrets`` (never ``random``); the caller emails it and forgets it."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_bytes(16)
    challenge = VerificationChallenge(
        id=challenge_id,
        request_id=request_id,
        code_hash=hash_code(code, salt),
        salt=salt.hex(),
        issued_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return challenge, code


def normalize_address(address: str) -> str:
    return address.strip().lower()


def sent_from_address_on_file(sender: str, address_on_file: str, *, authenticated: bool) -> bool:
    """An email verifies only from the address on file, and only with its sender authenticated.

    ``authenticated``: our receiving server showed a DMARC pass or an SPF/DKIM pass aligned
    with the From domain (``sender_authentication``). A From header alone is easy to forge, so
    an email with no such result — unknown included — never verifies.
    """
    if not authenticated:
        return False
    return bool(sender.strip()) and normalize_address(sender) == normalize_address(address_on_file)
