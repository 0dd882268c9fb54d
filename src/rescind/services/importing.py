"""Importing jobs from Engine exports: good rows are kept, bad rows reported by line number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditContext
from rescind.domain.errors import RescindError
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
    batch that hits an existing id is retried row by row to name the line.
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
            AuditContext(actor=actor.id, at=now, channel="import"),
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
    if not batch:
        return
    seen: set[str] = set()
    fresh: list[tuple[int, Job]] = []
    with ctx.uow() as uow:
        for line, job in batch:
            if job.id in seen or uow.jobs.find(job.id) is not None:
                report.errors.append(RowError(line, f"job {job.id} already exists; row skipped"))
                continue
            seen.add(job.id)
            fresh.append((line, job))
            uow.jobs.add(job)
        uow.commit()
    report.imported += len(fresh)
    if progress:
        progress(len(batch))
