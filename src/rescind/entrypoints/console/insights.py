"""The insights page: a period's figures as charts with their numbers, and a CSV of each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rescind.domain.errors import NotFound
from rescind.domain.insight_figures import Period, parse_period
from rescind.entrypoints.console.render import page
from rescind.entrypoints.console.session import Ctx, CurrentSession
from rescind.entrypoints.web.insight_charts import chart_image, csv_text
from rescind.services.insights import insights

router = APIRouter()


@router.get("/insights")
def insights_page(
    request: Request, ctx: Ctx, session: CurrentSession, period: str | None = None
) -> Response:
    figures = insights(ctx, parse_period(period), actor=session.actor)
    charts = {
        name: chart_image(table)
        for name, table in figures.tables.items()
        if name != "pending_strip"  # a calendar strip, drawn as one
    }
    return page(
        request, "insights.html", session, figures=figures, charts=charts, periods=list(Period)
    )


@router.get("/insights/{name}.csv")
def insights_csv(
    ctx: Ctx, session: CurrentSession, name: str, period: str | None = None
) -> Response:
    chosen = parse_period(period)
    figures = insights(ctx, chosen, actor=session.actor)
    table = figures.tables.get(name)
    if table is None:
        raise NotFound(f"no insights table named {name!r}")
    return Response(
        csv_text(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="insights-{name}-{chosen.value}.csv"',
            "Cache-Control": "no-store",
        },
    )
