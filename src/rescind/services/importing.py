"""Importing jobs from Engine exports: good rows are kept, bad rows reported by line number."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
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


@dataclass(frozen=True)
class _Written:
    imported: int
    skipped: list[RowError]
    rows: int


def import_jobs(
    ctx: Context,
    rows: Iterable[ParsedRow],
    *,
    actor: Actor,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    writers: int = 1,
) -> ImportReport:
    """Add parsed jobs in batches; a row that failed to parse or already exists is reported.

    Each batch is its own transaction so a million-row file does not hold one giant one; a
    row whose id is already stored (or came earlier in the file) is reported by its line.
    With ``writers`` above one, that many batches are written at once, each in its own unit
    of work (a server database does the work of each on its own core while the next rows
    are parsed). An id is claimed by its first row in the file before any batch is written,
    so which of two rows is kept never depends on which batch commits first; the errors are
    reported in line order.
    """
    require(actor, Permission.IMPORT_JOBS)
    report = ImportReport()
    claimed: set[str] = set()
    batch: list[tuple[int, Job]] = []
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="import-writer") as pool:
        writing: deque[Future[_Written]] = deque()

        def done(written: _Written) -> None:
            report.errors.extend(written.skipped)
            report.imported += written.imported
            if progress:
                progress(written.rows)

        def write(batch: list[tuple[int, Job]]) -> None:
            if writers == 1:  # in this thread, as an embedded database's connection wants
                done(_flush(ctx, batch))
                return
            if len(writing) >= writers:
                done(writing.popleft().result())
            writing.append(pool.submit(_flush, ctx, batch))

        try:
            for line, parsed in rows:
                if isinstance(parsed, RescindError):
                    report.errors.append(RowError(line, parsed.message))
                    continue
                if parsed.id in claimed:
                    report.errors.append(RowError(line, _taken(parsed.id)))
                    continue
                claimed.add(parsed.id)
                batch.append((line, parsed))
                if len(batch) >= batch_size:
                    write(batch)
                    batch = []
            if batch:
                write(batch)
            while writing:
                done(writing.popleft().result())
        except BaseException:
            pool.shutdown(cancel_futures=True)  # the batch being written still ends first
            raise
    report.errors.sort(key=lambda error: error.line)
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


def _taken(job_id: str) -> str:
    return f"job {job_id} already exists; row skipped"


def _flush(ctx: Context, batch: list[tuple[int, Job]]) -> _Written:
    """One transaction: one query for which ids exist, then the new jobs added at once.

    Another import adding the same id between that query and commit fails the commit with
    ``Conflict``; the batch is then checked again, and the row it lost names its line.
    """
    for attempt in range(_ATTEMPTS):
        skipped: list[RowError] = []
        fresh: list[Job] = []
        with ctx.uow() as uow:
            taken = uow.jobs.existing({job.id for _, job in batch})
            for line, job in batch:
                if job.id in taken:
                    skipped.append(RowError(line, _taken(job.id)))
                    continue
                fresh.append(job)
            uow.jobs.add_many(fresh)
            try:
                uow.commit()
            except Conflict:
                if attempt + 1 == _ATTEMPTS:
                    raise
                continue
        break
    return _Written(imported=len(fresh), skipped=skipped, rows=len(batch))
