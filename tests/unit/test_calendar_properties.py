"""Properties of the calendars that must hold for any instant and time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rescind.adapters.us_holidays import cooling_off_calendar, operations_calendar
from rescind.domain.calendar import OperationsCalendar

ZONES = ["America/New_York", "America/Los_Angeles", "UTC", "Pacific/Honolulu"]

calendars = st.sampled_from([operations_calendar(name) for name in ZONES])
instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def business_days_between(cal: OperationsCalendar, after: date, through: date) -> int:
    days = (after + timedelta(days=i) for i in range(1, (through - after).days + 1))
    return sum(cal.is_business_day(d) for d in days)


@given(cal=calendars, start=instants)
def test_window_end_is_after_the_start(cal: OperationsCalendar, start: datetime) -> None:
    assert cal.window_end(start) > start


@given(cal=calendars, start=instants)
def test_window_end_is_local_midnight_after_a_business_day(
    cal: OperationsCalendar, start: datetime
) -> None:
    end = cal.window_end(start)
    assert end.tzinfo is UTC
    assert end.astimezone(cal.tz).time() == time(0)
    assert cal.is_business_day(cal.local_date(end - timedelta(microseconds=1)))


@given(cal=calendars, start=instants)
def test_window_holds_exactly_14_business_days_after_the_cancel_day(
    cal: OperationsCalendar, start: datetime
) -> None:
    last_day = cal.local_date(cal.window_end(start) - timedelta(microseconds=1))
    assert business_days_between(cal, cal.local_date(start), last_day) == 14


@given(cal=calendars, start=instants, offset=st.integers(min_value=1, max_value=21))
def test_a_company_holiday_inside_the_window_never_moves_the_end_earlier(
    cal: OperationsCalendar, start: datetime, offset: int
) -> None:
    holiday = cal.local_date(start) + timedelta(days=offset)
    with_holiday = operations_calendar(cal.tz.key, {holiday: "Company day"})
    assert with_holiday.window_end(start) >= cal.window_end(start)


@given(signed=dates)
def test_cooling_off_deadline_is_never_a_sunday_and_3_to_5_days_after_signing(
    signed: date,
) -> None:
    cal = cooling_off_calendar()
    deadline = cal.deadline(signed)
    assert deadline.weekday() != 6
    # Days 1..5 after signing hold at most one Sunday and one actual-date federal holiday
    # (no two are within six days of each other), so three business days always fit.
    assert 3 <= (deadline - signed).days <= 5
    assert cal.within(signed, deadline)
    assert not cal.within(signed, deadline + timedelta(days=1))
