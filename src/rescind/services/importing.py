"""Importing jobs from Engine exports: good rows are kept, bad rows reported by line number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.errors import Conflict, RescindError
from rescind.domain.events import Event, EventKind
from rescind.domain.job import Job
from rescind.services.context import Context
from rescind.services.records import record


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)


ParsedRow = tuple[int, Job | RescindError]
# Tries of a batch that raced another import for the same ids (see ``_flush``).
_ATTEMPTS = 3


def import_jobs(
    ctx: Context,
    rows: Iterable[ParsedRow],
    *,
    actor: Actor,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add parsed jobs in batches; a row that failed to parse or already exists is reported.

    Each batch is its own transaction so a million-row file does not hold one giant one; a
    row whose id is already stored (or came earlier in the file) is reported by its line.
    """
    require(actor, Permission.IMPORT_JOBS)
    report = ImportReport()
    batch: list[tuple[int, Job]] = []
    for line, parsed in rows:
        if isinstance(parsed, RescindError):
            report.errors.append(RowError(line, parsed.message))
            continue
        batch.append((line, parsed))
        if len(batch) >= batch_size:
            _flush(ctx, batch, report, progress)
            batch = []
    _flush(ctx, batch, report, progress)
    now = ctx.now()
    with ctx.uow() as uow:
        record(
            uow,
            None,
            AuditContext(actor=actor.id, at=now, channel=AuditChannel.IMPORT),
            [
                Event(
                    EventKind.JOB_IMPORTED,
                    {"imported": report.imported, "rejected": len(report.errors)},
                )
            ],
        )
        uow.commit()
    return report


def _flush(
    ctx: Context,
    batch: list[tuple[int, Job]],
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    """One transaction: one query for which ids exist, then the new jobs added at once.

    Another import adding the same id between that query and commit fails the commit with
    ``Conflict``; the batch is then checked again, and the row it lost names its line.
    """
    if not batch:
        return
    for attempt in range(_ATTEMPTS):
        skipped: list[RowError] = []
        fresh: list[Job] = []
        with ctx.uow() as uow:
            taken = uow.jobs.existing({job.id for _, job in batch})
            for line, job in batch:
                if job.id in taken:
                    skipped.append(RowError(line, f"job {job.id} already exists; row skipped"))
                    continue
                taken.add(job.id)  # a second row with the same id in this batch
                fresh.append(job)
            uow.jobs.add_many(fresh)
            try:
                uow.commit()
            except Conflict:
                if attempt + 1 == _ATTEMPTS:
                    raise
                continue
        break
    report.errors.extend(skipped)
    report.imported += len(fresh)
    if progress:
        progress(len(batch))
