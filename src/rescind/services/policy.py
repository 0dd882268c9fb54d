"""Publishing versions of the eligibility decision table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.eligibility import DecisionTable
from rescind.domain.errors import Conflict, InvalidInput, NotFound
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.policy_compare import RulePair, compare_tables
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import record


@dataclass(frozen=True)
class PolicyVersions:
    """Every published version, oldest first, and the one deciding now."""

    tables: tuple[DecisionTable, ...]
    in_force: int | None  # None before the first version takes effect

    def status(self, table: DecisionTable, now: datetime) -> str:
        if table.version == self.in_force:
            return "in force"
        return "scheduled" if table.effective_at > now else "superseded"


def policy_versions(ctx: Context, *, actor: Actor) -> PolicyVersions:
    require(actor, Permission.READ_JOBS)
    with ctx.uow() as uow:
        history = uow.policies.history()
    try:
        in_force: int | None = history.in_force_at(ctx.now()).version
    except NotFound:
        in_force = None
    return PolicyVersions(
        tables=tuple(sorted(history.tables, key=lambda t: t.version)), in_force=in_force
    )


def compare_policies(
    ctx: Context, left: int, right: int, *, actor: Actor
) -> tuple[DecisionTable, DecisionTable, tuple[RulePair, ...]]:
    """Two published versions and their rules paired by number (``left`` before ``right``)."""
    require(actor, Permission.READ_JOBS)
    with ctx.uow() as uow:
        history = uow.policies.history()
    a, b = history.version(left), history.version(right)
    return a, b, compare_tables(a, b)


# Version 1 is the policy the seeds describe; it stands for every moment before v2.
SEED_EFFECTIVE_AT = datetime(2020, 1, 1, tzinfo=UTC)


def publish_policy(
    ctx: Context,
    document: Mapping[str, object],
    *,
    effective_at: datetime | None,
    actor: Actor,
) -> DecisionTable:
    """A new version takes effect now or later, never in the past: replays must not change."""
    require(actor, Permission.PUBLISH_POLICY)
    now = ctx.now()
    effective = effective_at or now
    if effective.tzinfo is None:
        raise InvalidInput(
            "effective_at needs a time zone, e.g. 2026-12-01T00:00:00-05:00", field="effective_at"
        )
    if effective < now:
        raise InvalidInput(
            "a policy cannot take effect in the past (decisions already made must replay "
            "as they were); choose now or a later moment",
            field="effective_at",
        )
    with ctx.uow() as uow:
        try:
            version = uow.policies.history().latest().version + 1
        except NotFound:
            version = 1
        table = DecisionTable.from_document(document, version=version, effective_at=effective)
        _store(uow=uow, table=table, actor=actor, now=now)
        uow.commit()
    return table


def seed_policy(
    ctx: Context, document: Mapping[str, object], *, actor: Actor | None = None
) -> bool:
    """Store version 1 from the repository's file when the database has no policy yet.

    Several processes may start on a new database at once (two workers, a server): the one
    that loses the race finds version 1 stored by the other, which is all it wanted.
    """
    try:
        with ctx.uow() as uow:
            if uow.policies.history().tables:
                return False
            table = DecisionTable.from_document(document, version=1, effective_at=SEED_EFFECTIVE_AT)
            _store(uow=uow, table=table, actor=actor or Actor.system("seed"), now=ctx.now())
            uow.commit()
    except Conflict:
        with ctx.uow() as uow:
            if uow.policies.history().tables:
                return False
        raise
    return True


def _store(*, uow: UnitOfWork, table: DecisionTable, actor: Actor, now: datetime) -> None:
    uow.policies.add(table, published_by=actor.id, published_at=now)
    record(
        uow,
        None,
        AuditContext(
            actor=actor.id, at=now, channel=AuditChannel.ADMIN, policy_version=table.version
        ),
        [
            Event(
                EventKind.POLICY_PUBLISHED,
                {
                    "version": table.version,
                    "effective_at": iso(table.effective_at),
                    "rules": len(table.rules),
                },
            )
        ],
    )
