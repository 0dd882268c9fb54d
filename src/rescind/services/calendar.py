"""Company holidays, and what a change of them does to the windows still pending."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from rescind.domain.access import Actor, Permission, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.errors import AlreadyExists, InvalidInput, NotFound
from rescind.domain.events import Event, EventKind, iso
from rescind.domain.workflow import moved_final_at, recompute_window
from rescind.services.context import Context
from rescind.services.ports import UnitOfWork
from rescind.services.records import record


@dataclass(frozen=True)
class CalendarChange:
    calendar_version: int
    windows_moved: int


@dataclass(frozen=True)
class WindowMove:
    """One pending window a holiday change would move: its job and both final moments."""

    job_id: str
    homeowner_name: str
    from_final_at: datetime
    to_final_at: datetime
    from_date: date  # the local day each final moment ends
    to_date: date


@dataclass(frozen=True)
class HolidayPreview:
    """What adding or removing a company holiday would do, before anyone confirms it."""

    day: date
    name: str
    adding: bool
    calendar_version: int  # the version the preview read; the change will make the next one
    moves: tuple[WindowMove, ...]


def add_company_holiday(ctx: Context, day: date, name: str, *, actor: Actor) -> CalendarChange:
    _check_name(name)
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


def preview_holiday_change(
    ctx: Context, day: date, *, name: str | None = "", remove: bool = False, actor: Actor
) -> HolidayPreview:
    """The pending windows that adding (or, with ``remove``, removing) the company holiday
    ``day`` would move, and to which final dates; nothing is written. The windows are
    computed by the same domain function the change itself runs. ``name=None`` previews an
    addition not named yet (the windows do not depend on the name); a given name must not be
    blank, as the change requires."""
    if not remove and name is not None:
        _check_name(name)
    name = name or ""
    require(actor, Permission.MANAGE_HOLIDAYS)
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        holidays = dict(calendar.company_holidays)
        if remove:
            if day not in holidays:
                raise NotFound(f"{iso(day)} is not a company holiday; the list shows them")
            name = holidays.pop(day)
        else:
            if day in holidays:
                raise AlreadyExists(
                    f"{iso(day)} is already a company holiday ({holidays[day]}); "
                    "remove it first to rename it",
                    field="day",
                )
            holidays[day] = name.strip()
        after = replace(calendar, company_holidays=holidays, version=calendar.version + 1)
        now = ctx.now()
        moves = []
        for job in uow.jobs.pending():
            to_final_at = moved_final_at(job, now=now, calendar=after)
            if to_final_at is None or job.final_at is None:
                continue
            moves.append(
                WindowMove(
                    job_id=job.id,
                    homeowner_name=job.homeowner.name,
                    from_final_at=job.final_at,
                    to_final_at=to_final_at,
                    from_date=calendar.day_ended_by(job.final_at),
                    to_date=after.day_ended_by(to_final_at),
                )
            )
    return HolidayPreview(
        day=day,
        name=name.strip(),
        adding=not remove,
        calendar_version=calendar.version,
        moves=tuple(moves),
    )


def _check_name(name: str) -> None:
    if not name.strip():
        raise InvalidInput("name the holiday (e.g. 'Day after Thanksgiving')", field="name")


def _recompute(
    uow: UnitOfWork, ctx: Context, actor: Actor, kind: EventKind, day: date, name: str
) -> CalendarChange:
    """Every still-open window is recomputed from its start; each one that moves says why."""
    now = ctx.now()
    version = uow.calendar.bump_version()
    calendar = ctx.operations_calendar(uow)
    actx = AuditContext(actor=actor.id, at=now, channel=AuditChannel.ADMIN)
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
