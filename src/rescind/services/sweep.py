"""Finalizing every job whose Cancel Pending window has ended.

Batches of due jobs are claimed, finalized, audited and given their final-cancellation email
in one transaction per batch, each kind of write one statement for the whole batch. The work
follows the number of due jobs (an index on status + final_at), and two sweeps at once cannot
finalize a job twice: PostgreSQL skips rows another sweep holds, and the version check refuses
any stale write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.email import EmailKind, OutgoingEmail, homeowner_language
from rescind.domain.errors import Conflict
from rescind.domain.events import iso
from rescind.domain.job import Job
from rescind.domain.recipients import homeowner_only
from rescind.domain.workflow import finalize
from rescind.services.context import Context
from rescind.services.records import queue_emails, record_many

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
                actx = AuditContext(actor=SWEEP_ACTOR, at=now, channel=AuditChannel.SYSTEM)
                # The rules stay per job (the domain's finalize); the writes go per batch.
                cancelled = [finalize(job, now=now) for job in due]
                uow.jobs.save_many(due)
                queued = queue_emails(uow, [_final_email(job) for job in due], actx)
                record_many(
                    uow,
                    actx,
                    [
                        (job.id, [done, email])
                        for job, done, email in zip(due, cancelled, queued, strict=True)
                    ],
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


def _final_email(job: Job) -> OutgoingEmail:
    return OutgoingEmail(
        kind=EmailKind.FINAL_CANCELLATION,
        recipients=homeowner_only(job),
        job_id=job.id,
        context={
            "job_id": job.id,
            "homeowner_name": job.homeowner.name,
            "final_at": iso(job.final_at),
            **homeowner_language(job),
        },
    )
