"""Importing jobs: good rows kept, bad rows reported by their line number."""

from __future__ import annotations

from datetime import UTC, datetime

from rescind.domain.audit import SYSTEM_STREAM
from rescind.domain.errors import InvalidInput, RescindError
from rescind.domain.job import Job
from rescind.services.importing import RowError, import_jobs
from tests.fakes import World, actor, job_factory

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_duplicates_and_parse_errors_are_reported_by_line_and_good_rows_are_kept() -> None:
    world = World.start(NOW)
    existing = world.add(id="JOB-OLD")
    rows: list[tuple[int, Job | RescindError]] = [
        (2, job_factory(id="JOB-A")),
        (3, InvalidInput("milestone 'M9' is not one of: M1, M2, M3")),
        (4, job_factory(id="JOB-B")),
        (5, job_factory(id="JOB-A")),
        (6, job_factory(id=existing.id)),
        (7, job_factory(id="JOB-C")),
    ]

    report = import_jobs(world.ctx, rows, actor=actor("admin:ada"), batch_size=2)

    assert report.imported == 3
    assert sorted(report.errors, key=lambda e: e.line) == [
        RowError(3, "milestone 'M9' is not one of: M1, M2, M3"),
        RowError(5, "job JOB-A already exists; row skipped"),
        RowError(6, "job JOB-OLD already exists; row skipped"),
    ]
    assert set(world.store.tables.jobs) == {"JOB-OLD", "JOB-A", "JOB-B", "JOB-C"}
    summary = world.store.tables.audit[SYSTEM_STREAM][-1]
    assert summary.kind == "job_imported"
    assert summary.data == {"imported": 3, "rejected": 3}


def test_a_duplicate_inside_one_batch_keeps_the_first_row() -> None:
    world = World.start(NOW)
    first = job_factory(id="JOB-X", installer_signed=True)
    rows: list[tuple[int, Job | RescindError]] = [(2, first), (3, job_factory(id="JOB-X"))]

    report = import_jobs(world.ctx, rows, actor=actor("admin:ada"))

    assert report.imported == 1
    assert report.errors == [RowError(3, "job JOB-X already exists; row skipped")]
    assert world.store.job("JOB-X").installer_signed


def test_progress_is_reported_per_batch() -> None:
    world = World.start(NOW)
    seen: list[int] = []
    rows: list[tuple[int, Job | RescindError]] = [
        (n, job_factory(id=f"JOB-P{n}")) for n in range(2, 7)
    ]
    import_jobs(world.ctx, rows, actor=actor("admin:ada"), batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]
