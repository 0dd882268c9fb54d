"""Restores of a job, as people read them on the job and request pages: who, when and why.

Read from the job's audit trail, the one place a restore is recorded (the job row keeps only
its current status), by the page's overview that has checked the reader may see the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.audit import AuditRecord
from rescind.domain.events import EventKind


@dataclass(frozen=True)
class Restore:
    at: datetime
    by: str
    channel: str
    why: str
    window_was_final_at: str


def restores_in(records: list[AuditRecord]) -> list[Restore]:
    """The restores recorded in a job's trail (``records``, oldest first)."""
    return [
        Restore(
            at=r.occurred_at,
            by=r.actor,
            channel=r.channel,
            why=str(r.data.get("why") or ""),
            window_was_final_at=str(r.data.get("window_was_final_at") or ""),
        )
        for r in records
        if r.kind == EventKind.WORKFLOW_RESTORED.value
    ]
