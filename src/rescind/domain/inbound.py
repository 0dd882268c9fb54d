"""Email that arrives for support, as the procedure sees it, and where it ends up.

Every message received is kept: it either becomes a cancellation request on a job (its text
is the homeowner's written statement) or waits in the triage queue with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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


@dataclass(frozen=True)
class Malformed:
    reason: str
    message_id: str = ""
    from_address: str = ""


class InboundStatus(StrEnum):
    FILED = "filed"  # became a cancellation request
    TRIAGE = "triage"  # waits for a person, with the reason
    DUPLICATE = "duplicate"  # the same Message-ID arrived before


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
