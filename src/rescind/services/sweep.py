"""Finalizing every job whose Cancel Pending window has ended.

Batches of due jobs are claimed, finalized, audited and given their final-cancellation email
in one transaction per batch. The work follows the number of due jobs (an index on
status + final_at), and two sweeps at once cannot finalize a job twice: PostgreSQL skips rows
another sweep holds, and the version check refuses any stale write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rescind.domain.audit import AuditContext
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.errors import Conflict
from rescind.domain.events import iso
from rescind.domain.recipients import homeowner_only
from rescind.domain.workflow import finalize
from rescind.services.context import Context
from rescind.services.records import queue_email, record

SWEEP_ACTOR = "system:sweep"


@dataclass(frozen=True)
class SweepReport:
    finalized: int
    batches: int
    conflicts: int


def sweep(
    ctx: Context,
    *,
    batch_size: int = 500,
    max_conflicts: int = 10,
    stop: Callable[[], bool] | None = None,
) -> SweepReport:
    """Finalize every due job, a batch per transaction; ``stop`` is asked between batches, so a
    worker told to shut down does not first finish a sweep of thousands."""
    finalized = batches = conflicts = 0
    while True:
        if stop is not None and stop():
            return SweepReport(finalized, batches, conflicts)
        now = ctx.now()
        try:
            with ctx.uow() as uow:
                due = uow.jobs.due_for_finalization(now, batch_size)
                actx = AuditContext(actor=SWEEP_ACTOR, at=now, channel="system")
                for job in due:
                    event = finalize(job, now=now)
                    uow.jobs.save(job)
                    record(uow, job.id, actx, [event])
                    queue_email(
                        uow,
                        OutgoingEmail(
                            kind=EmailKind.FINAL_CANCELLATION,
                            recipients=homeowner_only(job),
                            job_id=job.id,
                            context={
                                "job_id": job.id,
                                "homeowner_name": job.homeowner.name,
                                "final_at": iso(job.final_at),
                            },
                        ),
                        actx,
                    )
                uow.commit()
        except Conflict:
            # Another sweep or a restore got there first; take a fresh look.
            conflicts += 1
            if conflicts > max_conflicts:
                raise
            continue
        if not due:
            return SweepReport(finalized, batches, conflicts)
        finalized += len(due)
        batches += 1
        if len(due) < batch_size:
            return SweepReport(finalized, batches, conflicts)
