"""Email that arrives for support, as the procedure sees it, and where it ends up.

Every message received is kept: it either becomes a cancellation request on a job (its text
is the homeowner's written statement) or waits in the triage queue with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rescind.domain.errors import Conflict, InvalidInput
from rescind.domain.events import Event, EventKind
from rescind.domain.sender_authentication import SenderAuthentication


@dataclass(frozen=True)
class InboundEmail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str
    sent_at: datetime | None
    authentication: SenderAuthentication  # is the From the sender? and why (or why not)
    job_references: tuple[str, ...]


# The same sender and text again within this long is the same email sent twice (a client's
# retry, a forward of one's own message), whatever its Message-ID says.
RESENT_WITHIN = timedelta(minutes=30)


def content_digest(email: InboundEmail) -> str:
    """The sender and the text (white space collapsed, case kept), hashed: two deliveries of
    one message compare equal though their Message-IDs and headers differ."""
    text = " ".join(f"{email.subject}\n{email.text}".split())
    return hashlib.sha256(f"{email.from_address.lower()}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Malformed:
    reason: str
    message_id: str = ""
    from_address: str = ""


class InboundStatus(StrEnum):
    FILED = "filed"  # became a cancellation request
    TRIAGE = "triage"  # waits for a person, with the reason
    DUPLICATE = "duplicate"  # the same message arrived before (Message-ID, or sender and text)
    DISMISSED = "dismissed"  # a person read it and set it aside, with the reason


@dataclass(frozen=True)
class InboundRecord:
    id: str
    received_at: datetime
    message_id: str
    from_address: str
    subject: str
    raw: bytes
    status: InboundStatus
    reason: str = ""
    job_id: str | None = None
    request_id: str | None = None
    authentication: SenderAuthentication | None = None  # None: unreadable, nothing to judge
    content_digest: str = ""  # ``content_digest`` of the parsed message; "" when malformed

    def _require_waiting(self) -> None:
        if self.status is not InboundStatus.TRIAGE:
            raise Conflict(f"email {self.id} no longer waits in triage (it is {self.status.value})")

    def attach(self, job_id: str, request_id: str) -> tuple[InboundRecord, Event]:
        """A person filed the message on a job: it leaves triage as filed."""
        self._require_waiting()
        filed = replace(
            self, status=InboundStatus.FILED, reason="", job_id=job_id, request_id=request_id
        )
        return filed, Event(
            EventKind.INBOUND_ATTACHED,
            {"inbound_id": self.id, "message_id": self.message_id, "request_id": request_id},
        )

    def dismiss(self, reason: str) -> tuple[InboundRecord, Event]:
        """A person set the message aside; the reason is required so the trail says why."""
        why = reason.strip()
        if not why:
            raise InvalidInput("say why the email is dismissed (reason)", field="reason")
        self._require_waiting()
        return replace(self, status=InboundStatus.DISMISSED, reason=why), Event(
            EventKind.INBOUND_DISMISSED,
            {"inbound_id": self.id, "message_id": self.message_id, "reason": why},
        )
