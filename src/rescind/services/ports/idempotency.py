"""The API's Idempotency-Key store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoredResponse:
    """The first answer to an idempotent request, replayed to its retries."""

    status_code: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass(frozen=True)
class IdempotencyEntry:
    fingerprint: str
    response: StoredResponse | None  # None while the first attempt is still running
    reserved_at: datetime


class IdempotencyStore(Protocol):
    """Keys are per user; each unit of work here is its own short transaction."""

    def reserve(
        self, user_id: str, key: str, fingerprint: str, at: datetime
    ) -> IdempotencyEntry | None:
        """Claim the key; None if it was free, else the existing entry (nothing changed)."""
        ...

    def complete(self, user_id: str, key: str, response: StoredResponse) -> None: ...

    def take_over(self, user_id: str, key: str, reserved_at: datetime, at: datetime) -> bool:
        """Claim a reservation whose attempt never reported back (its process died): True if
        it was still the one reserved at ``reserved_at``, unanswered, and is now ours."""
        ...

    def release(self, user_id: str, key: str) -> None:
        """Forget a reservation whose attempt should be retried (a transient failure)."""
        ...
