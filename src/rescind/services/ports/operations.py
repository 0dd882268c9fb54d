"""What readiness checks and metrics ask the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Backlog:
    """What is waiting, counted for monitoring: each number is one indexed count."""

    open_requests: int
    back_office_queue: int
    deal_processing_queue: int
    email_triage: int
    outbox_queued: int
    outbox_failed: int
    cancel_pending_jobs: int


class DatabaseProbe(Protocol):
    """The operations view of the database, outside any unit of work (health checks and
    metrics must not take the locks or the audit trail a use case does)."""

    def problems(self) -> list[str]:
        """Why the database cannot serve now (unreachable, schema behind); empty when ready."""
        ...

    def backlog(self) -> Backlog: ...
