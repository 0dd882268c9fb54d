"""Checking the whole audit trail: every stream's chain and head."""

from __future__ import annotations

from dataclasses import dataclass, field

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditRecord, job_stream, verify_stream
from rescind.services.access import job_for
from rescind.services.context import Context


@dataclass
class TrailCheck:
    streams: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_trail(ctx: Context, *, actor: Actor) -> TrailCheck:
    require(actor, Permission.READ_AUDIT)
    check = TrailCheck()
    with ctx.uow() as uow:
        for stream in sorted(uow.audit.streams()):
            records = uow.audit.records(stream)
            check.streams += 1
            check.records += len(records)
            check.problems.extend(verify_stream(stream, records, uow.audit.head(stream)))
    return check


def job_trail(ctx: Context, job_id: str, *, actor: Actor) -> list[AuditRecord]:
    with ctx.uow() as uow:
        job_for(uow, job_id, actor, Permission.READ_AUDIT)
        return uow.audit.records(job_stream(job_id))
