"""US federal holidays from the `holidays` package, as the domain's `HolidaySource`.

What `holidays.US(years=y, observed=...)` returns (checked against holidays 0.109):
* without `subdiv`, the default `public` category is exactly the federal holidays of
  5 U.S.C. 6103 (Juneteenth from 2021) — no state or unofficial days;
* `observed=True` keeps the actual date *and* adds the substitute ("Independence Day
  (observed)"): 2026-07-04 (Sat) and 2026-07-03 (Fri) are both present. The weekend actual
  date is harmless to the operations calendar, which skips weekends anyway;
* `observed=False` holds the actual dates only;
* a substitute belongs to the year it falls in: New Year's Day 2028 (Sat) is observed on
  2027-12-31, which is listed under 2027, not 2028 — just what a per-year lookup needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from rescind.domain.calendar import CoolingOffCalendar, OperationsCalendar


@cache
def _federal_holidays(year: int, observed: bool) -> Mapping[date, str]:
    # Built once per (year, observed); read-only because every caller shares it.
    days = holidays.country_holidays("US", years=year, observed=observed)
    return MappingProxyType({d: str(name) for d, name in days.items() if d.year == year})


@dataclass(frozen=True)
class FederalHolidays:
    """observed=True: the days off as observed (for operations); False: actual dates only."""

    observed: bool

    def holidays_in(self, year: int) -> Mapping[date, str]:
        return _federal_holidays(year, self.observed)


def operations_calendar(
    tz_name: str, company_holidays: Mapping[date, str] = MappingProxyType({}), version: int = 1
) -> OperationsCalendar:
    return OperationsCalendar(
        tz=ZoneInfo(tz_name),
        federal=FederalHolidays(observed=True),
        company_holidays=company_holidays,
        version=version,
    )


def cooling_off_calendar() -> CoolingOffCalendar:
    return CoolingOffCalendar(federal_actual=FederalHolidays(observed=False))
