"""The insights page's figures, computed from pre-counted rows: pure arithmetic, no storage.

A period is company-local days (this week, the last 4 weeks, this quarter); the counts come
summed per metric and dimension over it (per day for the totals, which make the weekly
series); the funnel, the median and p90 time to decision and the calendar strip of windows
ending soon are worked out here so every door shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from rescind.domain.calendar import OperationsCalendar
from rescind.domain.errors import InvalidInput
from rescind.domain.insights import COUNTED, LATE, ON_TIME, Dimension, Metric

STRIP_BUSINESS_DAYS = 10
PROMISE_HOURS = (24, 48)


class Period(StrEnum):
    WEEK = "week"
    FOUR_WEEKS = "4weeks"
    QUARTER = "quarter"

    @property
    def label(self) -> str:
        return {"week": "this week", "4weeks": "the last 4 weeks", "quarter": "this quarter"}[
            self.value
        ]


def parse_period(text: str | None) -> Period:
    try:
        return Period(text or Period.FOUR_WEEKS.value)
    except ValueError:
        choices = ", ".join(p.value for p in Period)
        raise InvalidInput(f"period must be one of {choices}", field="period") from None


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def period_days(period: Period, today: date) -> tuple[date, date]:
    """The first and last company-local day of the period (today is the last)."""
    match period:
        case Period.WEEK:
            return monday_of(today), today
        case Period.FOUR_WEEKS:
            return monday_of(today) - timedelta(weeks=3), today
        case Period.QUARTER:
            return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today


@dataclass(frozen=True)
class Count:
    """A pre-counted sum: ``day`` is set for the totals only (the weekly series)."""

    metric: str
    dimension: str
    value: str
    day: date | None
    count: int


@dataclass(frozen=True)
class Live:
    """What is true now rather than over the period."""

    overdue_open: int  # open requests past their due time
    pending_final_at: Sequence[tuple[datetime, int]]  # window ends and how many end then


@dataclass(frozen=True)
class Table:
    """One chart's numbers: a header row and the rows under it (also its CSV)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]


@dataclass(frozen=True)
class DecisionTime:
    decided: int
    median_hours: int | None
    p90_hours: int | None
    late: int
    overdue_open: int


@dataclass(frozen=True)
class Insights:
    period: Period
    first_day: date
    last_day: date
    totals: dict[str, int]
    tables: dict[str, Table] = field(default_factory=dict)
    decision: DecisionTime = DecisionTime(0, None, None, 0, 0)


def percentile_hours(histogram: dict[int, int], share: float) -> int | None:
    """Nearest-rank percentile over whole-hour buckets, as the bucket's upper edge: a decision
    counted in bucket h took less than h + 1 hours."""
    n = sum(histogram.values())
    if not n:
        return None
    rank, seen = math.ceil(share * n), 0
    for hours in sorted(histogram):
        seen += histogram[hours]
        if seen >= rank:
            return hours + 1
    raise AssertionError("unreachable: the ranks add up to n")


def strip_days(calendar: OperationsCalendar, today: date) -> list[date]:
    """Today (if a business day) and the business days after it, ten in all."""
    days: list[date] = []
    d = today
    if not calendar.is_business_day(d):
        d = calendar.add_business_days(d, 1)
    while len(days) < STRIP_BUSINESS_DAYS:
        days.append(d)
        d = calendar.add_business_days(d, 1)
    return days


_STOP_LABELS = {
    "not_eligible": "refused: not eligible",
    "not_verified": "not verified",
    "withdrawn": "withdrawn",
    "duplicate": "duplicate",
    "denied": "denied by Deal Processing",
    "written_request_required": "written request required",
    "escalated": "escalated",
    "approved": "approved (old rows)",
}
_METRIC_COLUMNS = tuple(m.value for m in COUNTED)


def summarize(
    period: Period,
    first_day: date,
    last_day: date,
    counts: Iterable[Count],
    live: Live,
    calendar: OperationsCalendar,
    *,
    today: date,
    with_installers: bool,
) -> Insights:
    rows = list(counts)
    total = {m.value: 0 for m in Metric}
    weekly: dict[date, dict[str, int]] = {}
    by: dict[str, dict[str, dict[str, int]]] = {d.value: {} for d in Dimension}
    for c in rows:
        if c.dimension == Dimension.TOTAL.value:
            total[c.metric] = total.get(c.metric, 0) + c.count
            if c.day is not None:
                week = weekly.setdefault(monday_of(c.day), {})
                week[c.metric] = week.get(c.metric, 0) + c.count
        else:
            cell = by[c.dimension].setdefault(c.value, {})
            cell[c.metric] = cell.get(c.metric, 0) + c.count
    weeks = []
    w = monday_of(first_day)
    while w <= last_day:
        weeks.append(w)
        w += timedelta(weeks=1)
    week_cols = (*_METRIC_COLUMNS, Metric.COOLING_OFF.value)
    tables = {
        "by_week": Table(
            "by_week",
            "By week",
            ("week of", *week_cols),
            tuple(
                (w.isoformat(), *(weekly.get(w, {}).get(m, 0) for m in week_cols)) for w in weeks
            ),
        )
    }
    for dimension, title, blank in (
        (Dimension.REASON, "By reason (refusals by rule)", "no reason given"),
        (Dimension.MILESTONE, "By milestone", "unknown"),
        (Dimension.CHANNEL, "By channel", "unknown"),
        (Dimension.INSTALLER, "By installer company", "unknown"),
    ):
        if dimension is Dimension.INSTALLER and not with_installers:
            continue
        cells = by[dimension.value]
        keep = sorted(v for v in cells if any(cells[v].get(m, 0) for m in _METRIC_COLUMNS))
        tables[f"by_{dimension.value}"] = Table(
            f"by_{dimension.value}",
            title,
            (dimension.value, *_METRIC_COLUMNS),
            tuple((v or blank, *(cells[v].get(m, 0) for m in _METRIC_COLUMNS)) for v in keep),
        )
    funnel = (
        ("requested", total[Metric.REQUESTED.value]),
        ("verified", total[Metric.VERIFIED.value]),
        ("cancelled (cancel pending)", total[Metric.CANCEL_PENDING.value]),
        ("final", total[Metric.FINALIZED.value]),
    )
    tables["funnel"] = Table("funnel", "Funnel", ("step", "count"), funnel)
    stops = by[Dimension.REASON.value]
    stopped = sorted(
        (
            (_STOP_LABELS.get(v, v or "unknown"), c[Metric.STOPPED.value])
            for v, c in stops.items()
            if c.get(Metric.STOPPED.value)
        ),
        key=lambda pair: (-pair[1], pair[0]),
    )
    stopped.append(("restored inside the window", total[Metric.RESTORED.value]))
    tables["stops"] = Table("stops", "Where requests stop", ("stopped as", "count"), tuple(stopped))
    histogram = {
        int(v): c.get(Metric.DECIDED.value, 0)
        for v, c in by[Dimension.HOURS.value].items()
        if c.get(Metric.DECIDED.value)
    }
    tables["decision_time"] = Table(
        "decision_time",
        "Hours from request to decision",
        ("hours", "requests decided"),
        tuple(_hour_bands(histogram)),
    )
    on_time = by[Dimension.REASON.value].get(ON_TIME, {}).get(Metric.DECIDED.value, 0)
    late = by[Dimension.REASON.value].get(LATE, {}).get(Metric.DECIDED.value, 0)
    ending: dict[date, int] = {}
    for final_at, n in live.pending_final_at:
        day = calendar.day_ended_by(final_at)
        ending[day] = ending.get(day, 0) + n
    tables["pending_strip"] = Table(
        "pending_strip",
        f"Pending windows ending in the next {STRIP_BUSINESS_DAYS} business days",
        ("day", "windows ending"),
        tuple((d.isoformat(), ending.get(d, 0)) for d in strip_days(calendar, today)),
    )
    return Insights(
        period=period,
        first_day=first_day,
        last_day=last_day,
        totals=total,
        tables=tables,
        decision=DecisionTime(
            decided=on_time + late,
            median_hours=percentile_hours(histogram, 0.5),
            p90_hours=percentile_hours(histogram, 0.9),
            late=late,
            overdue_open=live.overdue_open,
        ),
    )


_BANDS = ((0, 4), (4, 8), (8, 24), (24, 48), (48, 72), (72, 168), (168, None))


def _hour_bands(histogram: dict[int, int]) -> list[tuple[str, int]]:
    bands = []
    for low, high in _BANDS:
        n = sum(c for h, c in histogram.items() if h >= low and (high is None or h < high))
        bands.append((f"{low}–{high} h" if high is not None else f"{low} h or more", n))
    return bands
