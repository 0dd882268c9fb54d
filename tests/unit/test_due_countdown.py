"""Due times count down in business time (the operations calendar) at their edges: over a
weekend, over Thanksgiving, late in the evening local time when the UTC date is tomorrow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.calendar import OperationsCalendar, due_countdown

NEW_YORK = ZoneInfo("America/New_York")


def ny(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def calendar() -> OperationsCalendar:
    return OperationsCalendar(tz=NEW_YORK, federal=FederalHolidays(observed=True))


def test_a_request_due_later_today_counts_down_in_business_hours(
    calendar: OperationsCalendar,
) -> None:
    assert due_countdown(calendar, ny(12, 1, 10), ny(12, 1, 16)) == "due in 6 business hours"


def test_a_request_due_in_two_days_counts_down_in_business_days(
    calendar: OperationsCalendar,
) -> None:
    filed = ny(12, 1, 9)  # a Tuesday: due 48 business hours later, Thursday 09:00
    due = calendar.add_business_hours(filed, 48)

    assert due_countdown(calendar, filed, due) == "due in 2 business days"
    assert due_countdown(calendar, due - timedelta(hours=1), due) == "due in 1 business hour"


def test_the_weekend_does_not_count_down(calendar: OperationsCalendar) -> None:
    friday_evening, monday_morning = ny(12, 4, 22), ny(12, 7, 4)

    # 2 hours of Friday and 4 of Monday; Saturday and Sunday are no business time.
    assert due_countdown(calendar, friday_evening, monday_morning) == "due in 6 business hours"
    saturday = ny(12, 5, 12)
    assert due_countdown(calendar, saturday, monday_morning) == "due in 4 business hours"


def test_thanksgiving_does_not_count_down(calendar: OperationsCalendar) -> None:
    wednesday_noon = ny(11, 25, 12)
    friday_noon = ny(11, 27, 12)

    # Wednesday's last 12 hours and Friday's first 12: Thanksgiving (Thursday) is off.
    assert due_countdown(calendar, wednesday_noon, friday_noon) == "due in 1 business day"
    assert calendar.business_time_between(wednesday_noon, friday_noon) == timedelta(hours=24)


def test_late_evening_local_time_counts_on_the_local_day_not_the_utc_one(
    calendar: OperationsCalendar,
) -> None:
    # Friday 23:00 in New York is already Saturday in UTC: the last hour of Friday counts.
    friday_late = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    assert friday_late.astimezone(NEW_YORK).weekday() == 4
    monday_morning = ny(12, 7, 2)

    assert due_countdown(calendar, friday_late, monday_morning) == "due in 3 business hours"


def test_a_past_due_time_is_overdue_by_business_time(calendar: OperationsCalendar) -> None:
    due = ny(12, 3, 9)  # Thursday
    assert due_countdown(calendar, ny(12, 4, 10), due) == "overdue by 1 business day"
    assert due_countdown(calendar, ny(12, 3, 11), due) == "overdue by 2 business hours"
    # Over a weekend an overdue request does not grow older.
    assert due_countdown(calendar, ny(12, 6, 20), ny(12, 4, 20)) == "overdue by 4 business hours"


def test_the_moment_of_the_due_time_and_the_last_minutes_say_so(
    calendar: OperationsCalendar,
) -> None:
    due = ny(12, 3, 9)
    assert due_countdown(calendar, due, due) == "overdue by less than 1 business hour"
    assert due_countdown(calendar, due - timedelta(minutes=20), due) == (
        "due in less than 1 business hour"
    )
