"""The company calendar: its holidays, and the version that goes up with each change."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Date, Integer, String, null, select, union_all, update
from sqlalchemy import cast as cast_to
from sqlalchemy.orm import Session

from rescind.adapters.db.repositories.by_version import (
    CALENDAR_REVISION_ID,
    FIRST_CALENDAR_VERSION,
    Kept,
    cached,
    calendar_version,
    changed,
)
from rescind.adapters.db.tables import CalendarRevisionRow, CompanyHolidayRow
from rescind.domain.errors import AlreadyExists, NotFound

_REVISION_ID = CALENDAR_REVISION_ID
_FIRST_VERSION = FIRST_CALENDAR_VERSION


class SqlCalendarRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def company_holidays(self) -> dict[date, str]:
        rows = self._session.execute(
            select(CompanyHolidayRow.holiday_date, CompanyHolidayRow.name).order_by(
                CompanyHolidayRow.holiday_date
            )
        )
        return {row.holiday_date: row.name for row in rows}

    def add_holiday(self, day: date, name: str) -> None:
        changed(self._session)
        existing = self._session.get(CompanyHolidayRow, day, populate_existing=True)
        if existing is not None:
            raise AlreadyExists(
                f"{day.isoformat()} is already a company holiday ({existing.name}); "
                "remove it first to rename it",
                field="day",
            )
        self._session.add(CompanyHolidayRow(holiday_date=day, name=name))

    def remove_holiday(self, day: date) -> None:
        changed(self._session)
        existing = self._session.get(CompanyHolidayRow, day, populate_existing=True)
        if existing is None:
            raise NotFound(
                f"{day.isoformat()} is not a company holiday; `rescind holiday list` shows them"
            )
        self._session.delete(existing)

    def snapshot(self) -> tuple[dict[date, str], int]:
        holidays, version = cached(self._session, Kept.CALENDAR, self._load_snapshot)
        return dict(holidays), version

    def _load_snapshot(self) -> tuple[tuple[int, int], tuple[dict[date, str], int]]:
        # The holidays, then one row carrying the version (holiday columns NULL); the first
        # branch gives the result its column types, so dates still parse on SQLite.
        holidays = select(
            CompanyHolidayRow.holiday_date,
            CompanyHolidayRow.name,
            cast_to(null(), Integer).label("version"),
        )
        revision = select(
            cast_to(null(), Date), cast_to(null(), String), CalendarRevisionRow.version
        ).where(CalendarRevisionRow.id == _REVISION_ID)
        found: dict[date, str] = {}
        version = _FIRST_VERSION
        for row in self._session.execute(union_all(holidays, revision)):
            if row.holiday_date is not None:
                found[row.holiday_date] = row.name
            elif row.version is not None:
                version = row.version
        return calendar_version(version, len(found)), (dict(sorted(found.items())), version)

    def version(self) -> int:
        statement = select(CalendarRevisionRow.version).where(
            CalendarRevisionRow.id == _REVISION_ID
        )
        found = self._session.scalar(statement)
        return _FIRST_VERSION if found is None else found

    def bump_version(self) -> int:
        changed(self._session)
        # An UPDATE takes the row lock at once, so concurrent bumps queue on PostgreSQL.
        result = cast(
            CursorResult[Any],
            self._session.execute(
                update(CalendarRevisionRow)
                .where(CalendarRevisionRow.id == _REVISION_ID)
                .values(version=CalendarRevisionRow.version + 1)
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount == 0:
            self._session.add(CalendarRevisionRow(id=_REVISION_ID, version=_FIRST_VERSION + 1))
            self._session.flush()
        return self.version()
