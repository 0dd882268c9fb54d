"""The 4-digit code process, and the "email from the address on file" check.

A 4-digit code has only 10 000 values, so its safety is the short life and the attempt limit,
not the hash; the hash (scrypt, salted) only keeps the code out of a database dump.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rescind.domain.errors import InvalidInput

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


def hash_code(code: str, salt: bytes) -> str:
    return hashlib.scrypt(code.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32).hex()


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

    def confirm(self, code: str, now: datetime) -> ConfirmResult:
        """Count the attempt before comparing, so a crash can never give a free guess."""
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            raise InvalidInput("the code is the 4 digits from the email, e.g. 0427", field="code")
        if self.status is not ChallengeStatus.OPEN:
            return ConfirmResult.NOT_OPEN
        if now >= self.expires_at:
            self.status = ChallengeStatus.EXPIRED
            return ConfirmResult.EXPIRED
        self.attempts += 1
        if hmac.compare_digest(hash_code(code, bytes.fromhex(self.salt)), self.code_hash):
            self.status = ChallengeStatus.VERIFIED
            return ConfirmResult.VERIFIED
        if self.attempts >= MAX_ATTEMPTS:
            self.status = ChallengeStatus.LOCKED
            return ConfirmResult.LOCKED
        return ConfirmResult.WRONG


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
