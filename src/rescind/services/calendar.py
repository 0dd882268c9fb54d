"""Company holidays, and what a change of them does to the windows still pending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditContext
from rescind.domain.errors import InvalidInput
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.workflow import recompute_window
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import record


@dataclass(frozen=True)
class CalendarChange:
    calendar_version: int
    windows_moved: int


def add_company_holiday(ctx: Context, day: date, name: str, *, actor: Actor) -> CalendarChange:
    if not name.strip():
        raise InvalidInput("name the holiday (e.g. 'Day after Thanksgiving')", field="name")
    require(actor, Permission.MANAGE_HOLIDAYS)
    with ctx.uow() as uow:
        uow.calendar.add_holiday(day, name.strip())
        change = _recompute(uow, ctx, actor, EventKind.HOLIDAY_ADDED, day, name.strip())
        uow.commit()
    return change


def remove_company_holiday(ctx: Context, day: date, *, actor: Actor) -> CalendarChange:
    require(actor, Permission.MANAGE_HOLIDAYS)
    with ctx.uow() as uow:
        name = uow.calendar.company_holidays().get(day, "")
        uow.calendar.remove_holiday(day)
        change = _recompute(uow, ctx, actor, EventKind.HOLIDAY_REMOVED, day, name)
        uow.commit()
    return change


def _recompute(
    uow: UnitOfWork, ctx: Context, actor: Actor, kind: EventKind, day: date, name: str
) -> CalendarChange:
    """Every still-open window is recomputed from its start; each one that moves says why."""
    now = ctx.now()
    version = uow.calendar.bump_version()
    calendar = ctx.operations_calendar(uow)
    actx = AuditContext(actor=actor.id, at=now, channel="admin")
    verb = "added" if kind is EventKind.HOLIDAY_ADDED else "removed"
    why = f"company holiday {iso(day)} ({name}) {verb}"
    moved = 0
    for job in uow.jobs.pending():
        before = job.calendar_version
        event = recompute_window(job, now=now, calendar=calendar, why=why)
        if event is not None:
            moved += 1
            record(uow, job.id, actx, [event])
        if event is not None or before != job.calendar_version:
            uow.jobs.save(job)
    record(
        uow,
        None,
        actx,
        [
            Event(
                kind,
                {
                    "date": iso(day),
                    "name": name,
                    "calendar_version": version,
                    "windows_moved": moved,
                },
            )
        ],
    )
    return CalendarChange(calendar_version=version, windows_moved=moved)
