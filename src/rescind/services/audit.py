"""Checking the whole audit trail: every stream's chain and head, in one pass over it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Protocol

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditRecord, job_stream
from rescind.domain.checkpoint import SealedHead, missing_stream, verify_sealed_stream
from rescind.services.access import job_for
from rescind.services.context import Context
from rescind.services.paging import MAX_PAGE, Paged, read_page
from rescind.services.ports import UnitOfWork


@dataclass
class TrailCheck:
    streams: int = 0
    records: int = 0
    sealed: int = 0  # streams a checkpoint vouched for (0 without one)
    problems: list[str] = field(default_factory=list)
    # Which checkpoint, under which trusted key (empty without one), for the report.
    checkpoint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def _counted(
        self, records: Iterable[AuditRecord], progress: TrailProgress | None
    ) -> Iterator[AuditRecord]:
        for record in records:
            self.records += 1
            if progress is not None and not self.records % PROGRESS_EVERY:
                progress.checked(PROGRESS_EVERY)
            yield record


PROGRESS_EVERY = 10_000  # records between two reports: 1,000 reports over 10 M records


class TrailProgress(Protocol):
    """Who watches a long check (a bar on a terminal)."""

    def started(self, records: int) -> None:
        """The records the heads count: what the pass will read if nothing was removed."""

    def checked(self, records: int) -> None:
        """``records`` more were checked."""


def check_streams(
    uow: UnitOfWork,
    sealed: dict[str, SealedHead] | None = None,
    *,
    progress: TrailProgress | None = None,
) -> TrailCheck:
    """Every stream's chain and head, in one pass over the trail; with ``sealed``, also that
    each sealed stream still holds its sealed record (and still exists)."""
    sealed = sealed or {}
    check = TrailCheck(sealed=len(sealed))
    heads = {h.stream: (h.seq, h.hash) for h in uow.audit.heads()}
    if progress is not None:
        progress.started(sum(seq for seq, _ in heads.values()))
    seen: set[str] = set()
    for stream, records in groupby(
        check._counted(uow.audit.scan(), progress), key=attrgetter("stream")
    ):
        seen.add(stream)
        check.problems.extend(
            verify_sealed_stream(stream, records, heads.get(stream), sealed.get(stream))
        )
    if progress is not None:
        progress.checked(check.records % PROGRESS_EVERY)  # the last, partial stretch
    for stream in sorted(heads.keys() - seen):  # a head whose records are all gone
        seen.add(stream)
        check.problems.extend(verify_sealed_stream(stream, [], heads[stream], sealed.get(stream)))
    check.problems.extend(missing_stream(sealed[s]) for s in sorted(sealed.keys() - seen))
    check.streams = len(seen)
    return check


def verify_trail(
    ctx: Context,
    *,
    actor: Actor,
    progress: TrailProgress | None = None,
) -> TrailCheck:
    """The chains and heads alone: finds an edit or a removal, but not a stream cut back with
    its head moved to match (``verify_against_checkpoint`` finds that)."""
    require(actor, Permission.READ_AUDIT)
    with ctx.uow() as uow:
        return check_streams(uow, progress=progress)


def job_trail(ctx: Context, job_id: str, *, actor: Actor) -> list[AuditRecord]:
    with ctx.uow() as uow:
        job_for(uow, job_id, actor, Permission.READ_AUDIT)
        return uow.audit.records(job_stream(job_id))


def job_trail_page(
    ctx: Context, job_id: str, *, actor: Actor, after_seq: int = 0, limit: int = MAX_PAGE
) -> Paged[AuditRecord]:
    """A page of the job's trail in order, continuing after record ``after_seq``."""
    with ctx.uow() as uow:
        job_for(uow, job_id, actor, Permission.READ_AUDIT)
        stream = job_stream(job_id)
        return read_page(lambda n: uow.audit.records(stream, after_seq=after_seq, limit=n), limit)
