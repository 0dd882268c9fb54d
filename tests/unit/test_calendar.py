"""The two business-day calendars at their edges: weekends, observed holidays, late-evening
local time versus the UTC date, DST, company holidays."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.us_holidays import (
    FederalHolidays,
    cooling_off_calendar,
    operations_calendar,
)
from rescind.domain.calendar import OperationsCalendar

NEW_YORK = ZoneInfo("America/New_York")


class FakeHolidays:
    """A HolidaySource with exactly the days a test names."""

    def __init__(self, days: Mapping[date, str]) -> None:
        self.days = days

    def holidays_in(self, year: int) -> Mapping[date, str]:
        return {d: name for d, name in self.days.items() if d.year == year}


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def ops() -> OperationsCalendar:
    return operations_calendar("America/New_York")


# --- the SPEC example and where the cancel day starts -------------------------------------


@pytest.mark.parametrize("hour", [0, 9, 17])
def test_cancel_on_2026_11_23_is_final_at_end_of_2026_12_14_skipping_thanksgiving(
    ops: OperationsCalendar, hour: int
) -> None:
    end = ops.window_end(ny(2026, 11, 23, hour))
    assert end == utc(2026, 12, 15, 5)
    assert end.tzinfo is UTC
    assert ops.local_date(end) == date(2026, 12, 15)


def test_cancel_at_23_30_local_monday_counts_from_monday_though_utc_says_tuesday(
    ops: OperationsCalendar,
) -> None:
    late = ny(2026, 11, 23, 23, 30)
    assert late.astimezone(UTC).date() == date(2026, 11, 24)
    assert ops.local_date(late) == date(2026, 11, 23)
    assert ops.window_end(late) == utc(2026, 12, 15, 5)


def test_cancel_given_in_utc_just_after_local_midnight_counts_from_the_next_local_day(
    ops: OperationsCalendar,
) -> None:
    assert ops.window_end(utc(2026, 11, 23, 5)) == utc(2026, 12, 15, 5)  # Mon 00:00 local
    assert ops.window_end(utc(2026, 11, 23, 4, 59)) == utc(2026, 12, 12, 5)  # Sun 23:59 local


@pytest.mark.parametrize("cancel_day", [21, 22])
def test_cancel_on_a_weekend_counts_from_the_monday_after(
    ops: OperationsCalendar, cancel_day: int
) -> None:
    # Nov 23, 24, 25, 27; Nov 30 – Dec 4; Dec 7 – 11: the 14th is Friday Dec 11.
    assert ops.window_end(ny(2026, 11, cancel_day, 12)) == utc(2026, 12, 12, 5)


def test_a_naive_datetime_is_refused(ops: OperationsCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        ops.window_end(datetime(2026, 11, 23, 12))  # noqa: DTZ001 - naive on purpose


def test_zero_business_days_is_refused(ops: OperationsCalendar) -> None:
    with pytest.raises(ValueError, match="at least one"):
        ops.add_business_days(date(2026, 11, 23), 0)


# --- observed federal holidays --------------------------------------------------------------


def test_a_saturday_holiday_is_off_on_the_friday_before(ops: OperationsCalendar) -> None:
    assert date(2026, 7, 4).weekday() == 5
    assert not ops.is_business_day(date(2026, 7, 3))
    assert ops.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"
    assert ops.add_business_days(date(2026, 7, 2), 1) == date(2026, 7, 6)


def test_a_window_over_an_observed_friday_holiday_ends_a_day_later(
    ops: OperationsCalendar,
) -> None:
    # Jul 6 – 10, 13 – 17, 20 – 23: without the observed Friday the 14th would be Jul 22.
    assert ops.window_end(ny(2026, 7, 2, 10)) == utc(2026, 7, 24, 4)


def test_a_sunday_holiday_is_off_on_the_monday_after(ops: OperationsCalendar) -> None:
    assert date(2022, 12, 25).weekday() == 6
    assert not ops.is_business_day(date(2022, 12, 26))
    assert ops.add_business_days(date(2022, 12, 23), 1) == date(2022, 12, 27)


def test_a_saturday_new_years_day_is_observed_on_december_31_of_the_year_before(
    ops: OperationsCalendar,
) -> None:
    assert date(2028, 1, 1).weekday() == 5
    assert not ops.is_business_day(date(2027, 12, 31))
    assert ops.add_business_days(date(2027, 12, 30), 1) == date(2028, 1, 3)


def test_observed_source_keeps_the_actual_date_and_actual_source_drops_the_substitute() -> None:
    observed = FederalHolidays(observed=True).holidays_in(2026)
    actual = FederalHolidays(observed=False).holidays_in(2026)
    assert date(2026, 7, 3) in observed
    assert date(2026, 7, 4) in observed
    assert date(2026, 7, 3) not in actual
    assert date(2026, 7, 4) in actual
    assert set(actual) < set(observed)


def test_the_federal_source_holds_only_the_federal_holidays_of_a_year() -> None:
    assert len(FederalHolidays(observed=False).holidays_in(2026)) == 11
    assert len(FederalHolidays(observed=False).holidays_in(2020)) == 10  # before Juneteenth


# --- company holidays -----------------------------------------------------------------------


def test_a_company_holiday_inside_the_window_moves_the_end_one_business_day() -> None:
    cal = operations_calendar("America/New_York", {date(2026, 11, 27): "Day after Thanksgiving"})
    assert cal.holiday_name(date(2026, 11, 27)) == "Day after Thanksgiving"
    assert cal.window_end(ny(2026, 11, 23, 9)) == utc(2026, 12, 16, 5)


def test_a_company_holiday_outside_the_window_changes_nothing() -> None:
    cal = operations_calendar("America/New_York", {date(2026, 12, 24): "Christmas Eve"})
    assert cal.window_end(ny(2026, 11, 23, 9)) == utc(2026, 12, 15, 5)


def test_a_company_holiday_on_a_weekend_changes_nothing() -> None:
    cal = operations_calendar("America/New_York", {date(2026, 11, 28): "Picnic"})
    assert cal.window_end(ny(2026, 11, 23, 9)) == utc(2026, 12, 15, 5)


def test_a_fake_holiday_source_is_honoured_like_the_real_one() -> None:
    cal = OperationsCalendar(tz=NEW_YORK, federal=FakeHolidays({date(2026, 11, 24): "Test Day"}))
    assert not cal.is_business_day(date(2026, 11, 24))
    assert cal.is_business_day(date(2026, 11, 26))  # no Thanksgiving in this fake
    # Nov 25 – 27, Nov 30 – Dec 4, Dec 7 – 11, Dec 14: the 14th is Monday Dec 14.
    assert cal.window_end(ny(2026, 11, 23, 9)) == utc(2026, 12, 15, 5)


# --- DST --------------------------------------------------------------------------------------


def test_a_window_across_the_fall_dst_change_ends_at_local_midnight_est(
    ops: OperationsCalendar,
) -> None:
    # Cancelled Mon Oct 26 (EDT); Veterans Day Wed Nov 11 is off; the 14th is Mon Nov 16.
    end = ops.window_end(ny(2026, 10, 26, 18))
    assert end == utc(2026, 11, 17, 5)
    assert end.astimezone(NEW_YORK) == ny(2026, 11, 17, 0)


def test_a_window_across_the_spring_dst_change_ends_at_local_midnight_edt(
    ops: OperationsCalendar,
) -> None:
    # Cancelled Mon Mar 2 (EST); the 14th is Fri Mar 20, in EDT.
    assert ops.window_end(ny(2026, 3, 2, 18)) == utc(2026, 3, 21, 4)


def test_end_of_day_is_local_midnight_whatever_the_length_of_the_day(
    ops: OperationsCalendar,
) -> None:
    assert ops.end_of_day(date(2026, 3, 7)) == utc(2026, 3, 8, 5)  # ends in EST
    assert ops.end_of_day(date(2026, 3, 8)) - ops.end_of_day(date(2026, 3, 7)) == (
        utc(2026, 3, 9, 4) - utc(2026, 3, 8, 5)
    )
    assert ops.end_of_day(date(2026, 3, 8)) == utc(2026, 3, 9, 4)  # 23-hour day, ends in EDT


# --- business hours (48-hour due time) --------------------------------------------------------


def test_48_business_hours_from_friday_afternoon_is_tuesday_afternoon(
    ops: OperationsCalendar,
) -> None:
    assert ops.add_business_hours(ny(2026, 11, 20, 15), 48) == ny(2026, 11, 24, 15)


def test_48_business_hours_skip_thanksgiving_and_the_weekend(ops: OperationsCalendar) -> None:
    # Wed 14h, Thu off, Fri 24h, weekend off, Mon 10h.
    due = ops.add_business_hours(ny(2026, 11, 25, 10), 48)
    assert due == ny(2026, 11, 30, 10)
    assert due.tzinfo is UTC


def test_business_hours_started_on_a_weekend_start_at_monday_midnight(
    ops: OperationsCalendar,
) -> None:
    assert ops.add_business_hours(ny(2026, 11, 21, 12), 48) == ny(2026, 11, 25, 0)


def test_business_hours_started_on_a_holiday_start_at_the_next_business_day(
    ops: OperationsCalendar,
) -> None:
    assert ops.add_business_hours(ny(2026, 11, 26, 9), 24) == ny(2026, 11, 28, 0)


def test_zero_business_hours_on_a_business_day_is_the_start_itself(
    ops: OperationsCalendar,
) -> None:
    assert ops.add_business_hours(ny(2026, 11, 23, 9), 0) == ny(2026, 11, 23, 9)


# --- cooling-off (16 CFR 429) -----------------------------------------------------------------


def test_cooling_off_counts_saturday_but_not_sunday() -> None:
    cal = cooling_off_calendar()
    assert cal.is_business_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_business_day(date(2026, 11, 22))  # Sunday
    # Signed Thu Nov 19: Fri 20, Sat 21, (Sun 22 skipped), Mon 23.
    assert cal.deadline(date(2026, 11, 19)) == date(2026, 11, 23)


def test_cooling_off_skips_the_actual_holiday_but_counts_its_observed_substitute() -> None:
    cal = cooling_off_calendar()
    # Signed Thu Jul 2 2026: Fri Jul 3 (observed only) counts, Sat Jul 4 (actual) does not,
    # Sun Jul 5 does not, then Mon Jul 6 and Tue Jul 7.
    assert cal.is_business_day(date(2026, 7, 3))
    assert not cal.is_business_day(date(2026, 7, 4))
    assert cal.deadline(date(2026, 7, 2)) == date(2026, 7, 7)


def test_cooling_off_skips_thanksgiving() -> None:
    # Signed Wed Nov 25 2026: Thu 26 off, Fri 27, Sat 28, Sun off, Mon 30.
    assert cooling_off_calendar().deadline(date(2026, 11, 25)) == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("sent", "inside"),
    [
        (date(2026, 7, 1), False),  # before signing
        (date(2026, 7, 2), True),  # the signing day itself
        (date(2026, 7, 7), True),  # on the deadline (until its midnight)
        (date(2026, 7, 8), False),  # the day after
    ],
)
def test_cooling_off_within_is_inclusive_of_signing_day_and_deadline(
    sent: date, inside: bool
) -> None:
    assert cooling_off_calendar().within(signed=date(2026, 7, 2), sent=sent) is inside
