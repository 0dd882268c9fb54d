"""The outbox: email queued with the change that causes it, sent after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from rescind.domain.email import DeliveryStatus, OutgoingEmail, QueuedEmail
from rescind.domain.recipients import Recipients


class Outbox(Protocol):
    def add(self, email: OutgoingEmail, *, queued_at: datetime) -> str:
        """Queue a message; returns its Message-ID, fixed now so a resend is recognisable."""
        ...

    def add_many(self, emails: Sequence[OutgoingEmail], *, queued_at: datetime) -> list[str]:
        """``add`` for every message of a batch; their Message-IDs, in order."""
        ...

    def get(self, message_id: str) -> QueuedEmail:
        """A queued message, or ``NotFound``."""
        ...

    def for_job(self, job_id: str) -> list[QueuedEmail]:
        """A job's messages, oldest first."""
        ...

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[QueuedEmail]:
        """Lease queued messages due by ``now`` to the caller: their next attempt moves to
        ``now + lease`` and their attempt count goes up, so other workers skip them (on
        PostgreSQL rows another transaction holds are skipped too). Oldest due first."""
        ...

    def mark_sent(self, message_id: str, at: datetime, *, note: str = "") -> None:
        """Record delivery once; blanks the context keys marked secret (the code)."""
        ...

    def mark_attempt_failed(
        self, message_id: str, at: datetime, error: str, *, retry_at: datetime | None
    ) -> None:
        """Note the error; queue again at ``retry_at``, or mark failed for good when None."""
        ...

    def requeue(self, message_id: str, now: datetime, recipients: Recipients) -> None:
        """A failed message is due again at ``now`` with a fresh count of attempts, to
        ``recipients`` (the same Message-ID: it is the same message)."""
        ...

    def list(
        self, *, status: DeliveryStatus | None = None, limit: int = 50, after: int | None = None
    ) -> list[tuple[int, QueuedEmail]]:
        """Messages with their row number (for keyset paging), oldest first."""
        ...
