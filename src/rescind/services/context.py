"""What every use case is handed: a way to open a unit of work, a clock and the calendars.

Built once by ``bootstrap`` from settings (or by tests from fakes), so services never read
the environment, the wall clock or the holiday package themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rescind.domain.calendar import CoolingOffCalendar, HolidaySource, OperationsCalendar
from rescind.domain.verification import CodeLimits
from rescind.services.ports import Clock, UnitOfWork, WebhookGuard


@dataclass(frozen=True)
class Context:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    tz: ZoneInfo
    federal_observed: HolidaySource
    federal_actual: HolidaySource
    code_limits: CodeLimits = field(default_factory=CodeLimits)
    public_url: str = "http://127.0.0.1:8000"  # the self-service links start with it
    # Checks a webhook URL's addresses when it is registered (None: no check, unit tests).
    webhook_guard: WebhookGuard | None = None

    def now(self) -> datetime:
        return self.clock.now()

    def operations_calendar(self, uow: UnitOfWork) -> OperationsCalendar:
        """The calendar as stored now: federal days off plus the admins' company holidays."""
        holidays, version = uow.calendar.snapshot()
        return OperationsCalendar(
            tz=self.tz, federal=self.federal_observed, company_holidays=holidays, version=version
        )

    def joining(self, uow: UnitOfWork) -> Context:
        """This context for a use case run as part of ``uow``, which is open: the use case's
        units of work join it (see ``UnitOfWork.joined``), so its work becomes durable when
        ``uow`` commits, together with whatever the caller adds."""
        return replace(self, uow=uow.joined)

    def with_clock_offset(self, offset: timedelta) -> Context:
        """The same context seen from another moment (demo data, replays of the past)."""
        return replace(self, clock=_OffsetClock(self.clock, offset))

    def cooling_off_calendar(self) -> CoolingOffCalendar:
        return CoolingOffCalendar(federal_actual=self.federal_actual)


@dataclass(frozen=True)
class _OffsetClock:
    base: Clock
    offset: timedelta

    def now(self) -> datetime:
        return self.base.now() + self.offset
