"""Company holidays in the console: the list, and adding or removing one after a preview of
the pending windows it moves (``services.calendar.preview_holiday_change``, which runs the
same domain function as the change itself); nothing moves until the admin confirms."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.errors import InvalidInput, RescindError
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session
from rescind.services.calendar import (
    add_company_holiday,
    preview_holiday_change,
    remove_company_holiday,
)
from rescind.services.context import Context
from rescind.services.queues import list_holidays

router = APIRouter()
PATH = "/admin/holidays"


def holidays_page(
    request: Request,
    ctx: Context,
    session: Session,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return page(
        request,
        "admin_holidays.html",
        session,
        status=status,
        problems=problems,
        values=values or {},
        holidays=list_holidays(ctx, actor=session.actor),
    )


@router.get(PATH)
def read_holidays(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    return holidays_page(request, ctx, session)


@router.get(PATH + "/preview")
def preview(
    request: Request,
    ctx: Ctx,
    session: CurrentSession,
    day: str = "",
    name: str = "",
    change: str = "add",
) -> Response:
    """Step 1 of 2: which windows would move, and to when; a form to confirm it."""
    remove = change == "remove"
    try:
        result = preview_holiday_change(
            ctx, _day(day), name=name, remove=remove, actor=session.actor
        )
    except RescindError as error:
        return holidays_page(
            request,
            ctx,
            session,
            status=status_of(error),
            problems=problems_of(error),
            values={"day": day, "name": name},
        )
    return page(request, "admin_holiday_preview.html", session, preview=result)


@router.post(PATH)
def add(
    request: Request,
    ctx: Ctx,
    session: PostSession,
    day: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        done = add_company_holiday(ctx, _day(day), name, actor=session.actor)
    except RescindError as error:
        return holidays_page(
            request,
            ctx,
            session,
            status=status_of(error),
            problems=problems_of(error),
            values={"day": day, "name": name},
        )
    return redirect(
        request,
        "/console" + PATH,
        f"Added {day} ({name.strip()}): {_moved(done.windows_moved)}.",
    )


@router.post(PATH + "/{day}/remove")
def remove(request: Request, ctx: Ctx, session: PostSession, day: str) -> Response:
    try:
        done = remove_company_holiday(ctx, _day(day), actor=session.actor)
    except RescindError as error:
        return holidays_page(
            request, ctx, session, status=status_of(error), problems=problems_of(error)
        )
    return redirect(request, "/console" + PATH, f"Removed {day}: {_moved(done.windows_moved)}.")


def _moved(n: int) -> str:
    return "1 pending window moved" if n == 1 else f"{n} pending windows moved"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("choose the day, e.g. 2026-12-24", field="day") from None
