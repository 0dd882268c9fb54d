"""The homeowner's one-time link: how the self-service page proves possession of the mailbox.

A link carries a 256-bit random token (``secrets``); storage keeps only its SHA-256, so a
database dump opens nothing. A link is bound to one job and to the address on file it was
sent to, lasts ``LINK_LIFETIME`` and opens once: opening it is the same proof the 4-digit
code gives (the homeowner read what we sent to the address on file), and it starts a short
page session of its own (another random token, kept hashed too) for the steps that follow.

A token needs no slow hash: 256 random bits cannot be guessed, unlike a 4-digit code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rescind.domain.events import Event, EventKind, iso

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=1)
TOKEN_BYTES = 32  # 256 bits
# URL-safe base64 of 32 bytes without padding: 43 characters of [A-Za-z0-9_-].
TOKEN_LENGTH = 43
LINKS_PER_JOB_PER_HOUR = 3
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class LinkRefusal(StrEnum):
    """Why a link does not open; each is said to the homeowner, with a new link offered."""

    USED = "used"
    EXPIRED = "expired"
    TAMPERED = "tampered"  # not a token we issued (changed, cut short), or no longer bound


def new_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def well_formed(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and set(token) <= _ALPHABET


def token_digest(token: str) -> str:
    """What storage keeps and looks a token up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def digests_match(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)


def normalize_address(address: str) -> str:
    return address.strip().lower()


@dataclass
class SelfServiceLink:
    id: str
    job_id: str
    address: str  # the homeowner's address on file it was sent to
    token_digest: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    session_digest: str | None = None
    session_expires_at: datetime | None = None

    def refusal(self, now: datetime, address_on_file: str) -> LinkRefusal | None:
        """Why this link may not open now for a job whose address on file is that; None: it may."""
        if normalize_address(address_on_file) != normalize_address(self.address):
            return LinkRefusal.TAMPERED  # the address changed since: the link proves nothing
        if self.used_at is not None:
            return LinkRefusal.USED
        if now >= self.expires_at:
            return LinkRefusal.EXPIRED
        return None

    def open(self, now: datetime) -> tuple[str, Event]:
        """Use the link (once): the page session's token and the verification event."""
        session = new_token()
        self.used_at = now
        self.session_digest = token_digest(session)
        self.session_expires_at = now + SESSION_LIFETIME
        return session, Event(
            EventKind.SELF_SERVICE_LINK_OPENED,
            {
                "link_id": self.id,
                "address": self.address,
                "method": "email_link",
                "session_expires_at": iso(self.session_expires_at),
            },
        )

    def session_open(self, session: str, now: datetime) -> bool:
        """The page session this link started is the one shown, and still running."""
        return (
            self.session_digest is not None
            and self.session_expires_at is not None
            and now < self.session_expires_at
            and digests_match(session, self.session_digest)
        )

    def refused(self, reason: LinkRefusal) -> Event:
        return Event(EventKind.SELF_SERVICE_LINK_REFUSED, {"link_id": self.id, "reason": reason})


def issue_link(
    link_id: str, job_id: str, address: str, now: datetime
) -> tuple[SelfServiceLink, str, Event]:
    """A fresh link for the job, to the address on file; the caller emails the token and
    forgets it."""
    token = new_token()
    link = SelfServiceLink(
        id=link_id,
        job_id=job_id,
        address=normalize_address(address),
        token_digest=token_digest(token),
        issued_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    event = Event(
        EventKind.SELF_SERVICE_LINK_SENT,
        {"link_id": link.id, "address": link.address, "expires_at": iso(link.expires_at)},
    )
    return link, token, event


def may_send_another(issued: list[datetime], now: datetime) -> bool:
    """At most ``LINKS_PER_JOB_PER_HOUR`` links for one job an hour: a form filled in again and
    again with someone's job id does not flood their mailbox (and the answer stays the same)."""
    recent = [at for at in issued if at > now - timedelta(hours=1)]
    return len(recent) < LINKS_PER_JOB_PER_HOUR
