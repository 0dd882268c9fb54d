"""The insights: a period's figures for one reader, from the pre-counted rows, in one read.

An installer reads its own company's figures (its ``Actor.scope``); the unscoped roles read
everyone's, with the by-installer table. The arithmetic is ``domain.insight_figures``'.
"""

from __future__ import annotations

from rescind.domain.access import Actor, Permission, require
from rescind.domain.errors import Forbidden
from rescind.domain.insight_figures import Insights, Period, period_days, strip_days, summarize
from rescind.services.context import Context


def insights(ctx: Context, period: Period, *, actor: Actor) -> Insights:
    require(actor, Permission.READ_INSIGHTS)
    scope = actor.scope
    if scope.sales_rep_id is not None or scope.homeowner_id is not None:
        # The counters are kept for everyone and per installer company only.
        raise Forbidden("insights are kept per installer company, not per person")
    now = ctx.now()
    with ctx.uow() as uow:
        calendar = ctx.operations_calendar(uow)
        today = calendar.local_date(now)
        first_day, last_day = period_days(period, today)
        strip = strip_days(calendar, today)
        counts, live = uow.audit.insight_counts(
            scope, first_day, last_day, now=now, strip_ends_at=calendar.end_of_day(strip[-1])
        )
    return summarize(
        period,
        first_day,
        last_day,
        counts,
        live,
        calendar,
        today=today,
        with_installers=scope.every_job,
    )
