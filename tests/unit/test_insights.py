"""The insights' arithmetic: which records count for what, periods in company days, the
median and p90 from whole-hour buckets, the strip of business days, and the CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.calendar import OperationsCalendar
from rescind.domain.errors import Forbidden, InvalidInput
from rescind.domain.insight_figures import (
    Count,
    Live,
    Period,
    parse_period,
    percentile_hours,
    period_days,
    strip_days,
    summarize,
)
from rescind.domain.insights import EVERYONE, Counted, Metric, RequestFacts, count_keys, facts
from rescind.entrypoints.web.insight_charts import csv_text
from rescind.services.insights import insights
from tests.fakes import World, actor

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = OperationsCalendar(NEW_YORK, FederalHolidays(observed=True))
FILED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def closed(outcome: str, after: timedelta, **data: object) -> Counted:
    return Counted(
        kind="request_closed",
        data={"request_id": "REQ-1", "outcome": outcome, **data},  # type: ignore[dict-item]
        occurred_at=FILED + after,
        channel="phone",
        installer_id="INST-1",
        milestone="M1",
        request=RequestFacts(FILED, FILED + timedelta(hours=48), "milestone_aged", False),
    )


def test_a_refusal_counts_as_refused_by_its_rule_as_a_stop_and_as_a_decision_on_time() -> None:
    found = facts(closed("not_eligible", timedelta(hours=2, minutes=59), rule_number=1))

    assert [(f.metric, f.reason, f.hours) for f in found] == [
        (Metric.REFUSED, "rule 1", None),
        (Metric.STOPPED, "not_eligible", None),
        (Metric.DECIDED, "on_time", 2),
    ]


def test_a_cancel_is_a_decision_but_not_a_stop_and_one_past_its_due_time_is_late() -> None:
    found = facts(closed("cancel_pending", timedelta(hours=50)))

    assert [(f.metric, f.reason, f.hours) for f in found] == [(Metric.DECIDED, "late", 50)]


def test_each_fact_is_counted_for_everyone_and_for_its_company_under_every_dimension() -> None:
    record = closed("withdrawn", timedelta(hours=1))

    counts = count_keys([record], NEW_YORK)

    day = date(2026, 11, 23)
    assert counts[(day, EVERYONE, "stopped", "reason", "withdrawn")] == 1
    assert counts[(day, "INST-1", "stopped", "reason", "withdrawn")] == 1
    assert counts[(day, EVERYONE, "stopped", "installer", "INST-1")] == 1
    assert counts[(day, EVERYONE, "decided", "hours", "1")] == 1
    assert counts[(day, "INST-1", "decided", "milestone", "M1")] == 1
    assert (day, "INST-1", "stopped", "installer", "INST-1") not in counts


def test_a_record_late_on_sunday_evening_counts_on_sunday_in_new_york() -> None:
    record = Counted(
        kind="workflow_cancelled",
        data={},
        occurred_at=datetime(2026, 12, 7, 3, 30, tzinfo=UTC),  # Sunday 22:30 in New York
        channel="system",
        installer_id="INST-1",
        milestone="M2",
    )

    (key,) = {k for k in count_keys([record], NEW_YORK) if k[3] == "total" and k[1] == "*"}

    assert key[0] == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("period", "first"),
    [
        (Period.WEEK, date(2026, 11, 30)),
        (Period.FOUR_WEEKS, date(2026, 11, 9)),
        (Period.QUARTER, date(2026, 10, 1)),
    ],
)
def test_periods_end_today_and_start_on_a_monday_or_the_quarters_first_day(
    period: Period, first: date
) -> None:
    assert period_days(period, date(2026, 12, 3)) == (first, date(2026, 12, 3))


def test_an_unknown_period_names_the_choices() -> None:
    with pytest.raises(InvalidInput, match="week, 4weeks, quarter"):
        parse_period("year")
    assert parse_period(None) is Period.FOUR_WEEKS


def test_median_and_p90_are_nearest_rank_over_hour_buckets_as_upper_edges() -> None:
    histogram = {0: 4, 3: 1, 30: 5}

    assert percentile_hours(histogram, 0.5) == 4  # the 5th of 10 is in bucket 3
    assert percentile_hours(histogram, 0.9) == 31
    assert percentile_hours({}, 0.5) is None


def test_the_strip_is_ten_business_days_from_today_skipping_christmas_and_weekends() -> None:
    days = strip_days(CALENDAR, date(2026, 12, 19))  # a Saturday

    assert days[0] == date(2026, 12, 21)
    assert date(2026, 12, 25) not in days
    assert len(days) == 10
    assert all(d.weekday() < 5 for d in days)


def test_windows_ending_at_local_midnight_land_on_the_day_they_end() -> None:
    end_of_dec_21 = CALENDAR.end_of_day(date(2026, 12, 21))

    figures = summarize(
        Period.WEEK,
        date(2026, 12, 14),
        date(2026, 12, 15),
        [Count("requested", "total", "", date(2026, 12, 15), 3)],
        Live(overdue_open=2, pending_final_at=[(end_of_dec_21, 4)]),
        CALENDAR,
        today=date(2026, 12, 15),
        with_installers=False,
    )

    strip = {str(row[0]): int(row[1]) for row in figures.tables["pending_strip"].rows}
    assert strip["2026-12-21"] == 4
    assert sum(strip.values()) == 4
    assert figures.tables["by_week"].rows == (("2026-12-14", 3, 0, 0, 0, 0, 0),)
    assert figures.decision.overdue_open == 2
    assert "by_installer" not in figures.tables


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    table = summarize(
        Period.WEEK,
        date(2026, 12, 14),
        date(2026, 12, 15),
        [Count("requested", "installer", "=HYPERLINK(1)", None, 1)],
        Live(0, ()),
        CALENDAR,
        today=date(2026, 12, 15),
        with_installers=True,
    ).tables["by_installer"]

    assert csv_text(table).splitlines()[1].startswith("'=HYPERLINK(1),1")


def test_insights_are_for_support_and_installers_not_for_sales_reps_or_homeowners() -> None:
    world = World.start(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))

    for who in (actor("rep:sam", "REP-1"), actor("ho:dana", "HO-1")):
        with pytest.raises(Forbidden):
            insights(world.ctx, Period.WEEK, actor=who)
    own = insights(world.ctx, Period.WEEK, actor=actor("installer:sunny", "INST-1"))
    everyone = insights(world.ctx, Period.WEEK, actor=actor("agent:alex"))
    assert "by_installer" not in own.tables
    assert "by_installer" in everyone.tables
