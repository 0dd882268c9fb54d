"""Restores of a job, as people read them on the job and request pages: who, when and why.

Read from the job's audit trail, the one place a restore is recorded (the job row keeps only
its current status), with the reader's permission to see the job checked first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rescind.domain.access import Actor, Permission
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.events import EventKind
from rescind.services.access import job_for
from rescind.services.context import Context


@dataclass(frozen=True)
class Restore:
    at: datetime
    by: str
    channel: str
    why: str
    window_was_final_at: str


def restores_of(ctx: Context, job_id: str, *, actor: Actor) -> list[Restore]:
    """The job's restores, oldest first."""
    with ctx.uow() as uow:
        job = job_for(uow, job_id, actor, Permission.READ_JOBS)
        records = uow.audit.records(job_stream(job.id))
    return restores_in(records)


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
