"""GET /insights: a period's figures, as JSON or one table as CSV (scoped like every read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BeforeValidator, Field

from rescind.domain.errors import NotFound
from rescind.domain.insight_figures import Period, parse_period
from rescind.entrypoints.api.deps import CurrentActor, State
from rescind.entrypoints.api.models import Out
from rescind.entrypoints.web.insight_charts import csv_text
from rescind.services.insights import insights

router = APIRouter()
PeriodQuery = Annotated[
    Literal["week", "4weeks", "quarter"],
    Query(description="this week, the last 4 weeks (from Monday 3 weeks ago), or this quarter"),
]


class TableOut(Out):
    name: str
    title: str
    columns: list[str]
    rows: list[list[str | int]]


class DecisionTimesOut(Out):
    decided: int
    median_hours: int | None = Field(description="Under this many hours (whole-hour buckets).")
    p90_hours: int | None
    late: int = Field(description="Decided after their due time (48 business hours).")
    overdue_open: int = Field(description="Open requests past their due time now.")


class InsightsOut(Out):
    period: Period
    first_day: date
    last_day: date
    totals: dict[str, int]
    decision: DecisionTimesOut
    # The figures keep their tables by name; each table says its name too.
    tables: Annotated[list[TableOut], BeforeValidator(lambda named: list(named.values()))]


@router.get(
    "/insights",
    tags=["insights"],
    summary="Cancellations over a period: counts, the funnel, time to decision, windows ending",
    description="An installer gets its own company's figures; days are the company's.",
)
def read_insights(state: State, actor: CurrentActor, period: PeriodQuery = "4weeks") -> InsightsOut:
    return InsightsOut.model_validate(insights(state.ctx, parse_period(period), actor=actor))


@router.get(
    "/insights/{name}.csv",
    tags=["insights"],
    summary="One insights table as CSV (the numbers of one chart)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def read_insights_csv(
    state: State, actor: CurrentActor, name: str, period: PeriodQuery = "4weeks"
) -> Response:
    chosen = parse_period(period)
    table = insights(state.ctx, chosen, actor=actor).tables.get(name)
    if table is None:
        raise NotFound(f"no insights table named {name!r}")
    return Response(
        csv_text(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="insights-{name}-{chosen.value}.csv"'
        },
    )
