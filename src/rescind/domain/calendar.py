"""Business days — the two calendars the SPEC names.

* `OperationsCalendar` drives our own deadlines (the 14-business-day Cancel Pending window, the
  48-hour due time of requests): Monday to Friday, less federal holidays *as observed*, less
  company holidays, in the company's time zone.
* `CoolingOffCalendar` is the FTC Cooling-Off Rule's (16 CFR 429) definition, which the law fixes
  differently: every day but Sunday and the federal holidays on their *actual* dates.

Both take their federal holidays from a `HolidaySource` so this module stays stdlib-only; the
adapter backed by the `holidays` package lives in `rescind.adapters.us_holidays`.
Instants go in and come out aware; every returned instant is UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from rescind.domain.wording import count

_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6


class HolidaySource(Protocol):
    """Where a calendar learns the holidays of one year (keyed by date, valued by name)."""

    def holidays_in(self, year: int) -> Mapping[date, str]: ...


def _nth_business_day_after(d: date, n: int, is_business_day: Callable[[date], bool]) -> date:
    """Both calendars count the same way — only what counts as a business day differs."""
    if n < 1:
        raise ValueError(f"need at least one business day, got {n}")
    while n:
        d += _ONE_DAY
        if is_business_day(d):
            n -= 1
    return d


@dataclass(frozen=True)
class OperationsCalendar:
    """The company's working days, in its time zone; `version` changes when an admin edits it."""

    tz: ZoneInfo
    federal: HolidaySource  # federal holidays as observed (Sat → Fri before, Sun → Mon after)
    company_holidays: Mapping[date, str] = field(default_factory=dict)
    version: int = 1

    def holiday_name(self, d: date) -> str | None:
        return self.federal.holidays_in(d.year).get(d) or self.company_holidays.get(d)

    def is_business_day(self, d: date) -> bool:
        return d.weekday() < _SATURDAY and self.holiday_name(d) is None

    def add_business_days(self, d: date, n: int) -> date:
        """The n-th business day strictly after d; d itself never counts."""
        return _nth_business_day_after(d, n, self.is_business_day)

    def local_date(self, at: datetime) -> date:
        """The company's calendar day at an instant — a late-evening cancel is not tomorrow's."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"need an aware datetime, got naive {at.isoformat()}")
        return at.astimezone(self.tz).date()

    def end_of_day(self, d: date) -> datetime:
        """The UTC instant local day d ends: local midnight starting d + 1.

        Going through zoneinfo keeps DST right (a 23- or 25-hour day ends at its real midnight);
        where midnight itself is skipped, fold=0 yields the instant the next day starts.
        """
        return datetime.combine(d + _ONE_DAY, time(0), tzinfo=self.tz).astimezone(UTC)

    def day_ended_by(self, end: datetime) -> date:
        """The local day whose end is ``end`` (the inverse of ``end_of_day``), for display."""
        return self.local_date(end - timedelta(microseconds=1))

    def window_end(self, start: datetime, business_days: int = 14) -> datetime:
        """A window from a cancel on local day D closes at the end of the n-th business day
        after D — whatever the hour of the cancel, and whether or not D is a business day."""
        last_day = self.add_business_days(self.local_date(start), business_days)
        return self.end_of_day(last_day)

    def add_business_hours(self, start: datetime, hours: int) -> datetime:
        """Elapsed hours that fall on local business days only (the 48-hour due time).

        Started on a non-business day, the clock starts at the next business day's midnight.
        Hours are real elapsed time, so a business day with a DST change holds 23 or 25 of them.
        """
        if hours < 0:
            raise ValueError(f"need a non-negative number of hours, got {hours}")
        remaining = timedelta(hours=hours)
        day = self.local_date(start)
        cursor = start.astimezone(UTC)
        if not self.is_business_day(day):
            day = self.add_business_days(day, 1)
            cursor = self.end_of_day(day - _ONE_DAY)
        while True:
            day_end = self.end_of_day(day)
            if remaining <= day_end - cursor:
                return cursor + remaining
            remaining -= day_end - cursor
            day = self.add_business_days(day, 1)
            cursor = self.end_of_day(day - _ONE_DAY)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The time from ``start`` to ``end`` that falls on local business days (the inverse of
        ``add_business_hours``); zero when ``end`` is not after ``start``."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            if self.is_business_day(day):
                begins, ends = self.end_of_day(day - _ONE_DAY), self.end_of_day(day)
                overlap = min(ends, end) - max(begins, start)
                if overlap > timedelta(0):
                    total += overlap
            day += _ONE_DAY
        return total


_HOUR = timedelta(hours=1)
_BUSINESS_DAY = timedelta(hours=24)  # as ``add_business_hours`` counts: a whole local day


def due_countdown(calendar: OperationsCalendar, now: datetime, due_at: datetime) -> str:
    """How long until (or since) a due time, in business time, as a person says it:
    "due in 6 business hours", "due in 2 business days", "overdue by 1 business day".

    Whole units, rounded down: "due in 1 business day" is 24 to 48 business hours away.
    A due time now or past is overdue; less than an hour either way says so.
    """
    overdue = due_at <= now
    left = (
        calendar.business_time_between(due_at, now)
        if overdue
        else calendar.business_time_between(now, due_at)
    )
    if left < _HOUR:
        amount = "less than 1 business hour"
    elif left < _BUSINESS_DAY:
        amount = count(left // _HOUR, "business hour")
    else:
        amount = count(left // _BUSINESS_DAY, "business day")
    return f"overdue by {amount}" if overdue else f"due in {amount}"


@dataclass(frozen=True)
class CoolingOffCalendar:
    """16 CFR 429's business days: Saturdays count; Sundays and actual-date holidays do not.

    The rule names holidays by their actual dates, so an observed Friday substitute counts.
    Dates here are the buyer's calendar dates (signing, postmark), so no time zone is involved.
    """

    federal_actual: HolidaySource  # federal holidays on their actual dates, not observed

    def is_business_day(self, d: date) -> bool:
        return d.weekday() != _SUNDAY and d not in self.federal_actual.holidays_in(d.year)

    def deadline(self, signed: date, business_days: int = 3) -> date:
        """The last day to send a notice: the buyer may cancel until midnight of this day."""
        return _nth_business_day_after(signed, business_days, self.is_business_day)

    def within(self, signed: date, sent: date) -> bool:
        """Whether a notice sent (postmarked) on `sent` is inside the cooling-off period;
        the notice takes effect when sent, so the received date does not matter here."""
        return signed <= sent <= self.deadline(signed)
