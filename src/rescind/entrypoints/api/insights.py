"""GET /insights: a period's figures, as JSON or one table as CSV (scoped like every read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rescind.domain.errors import NotFound
from rescind.domain.insight_figures import Insights, parse_period
from rescind.entrypoints.api.deps import CurrentActor, State
from rescind.entrypoints.web.insight_charts import csv_text
from rescind.services.insights import insights

router = APIRouter()
PeriodQuery = Annotated[
    Literal["week", "4weeks", "quarter"],
    Query(description="this week, the last 4 weeks (from Monday 3 weeks ago), or this quarter"),
]


class TableOut(BaseModel):
    name: str
    title: str
    columns: list[str]
    rows: list[list[str | int]]


class DecisionOut(BaseModel):
    decided: int
    median_hours: int | None = Field(description="Under this many hours (whole-hour buckets).")
    p90_hours: int | None
    late: int = Field(description="Decided after their due time (48 business hours).")
    overdue_open: int = Field(description="Open requests past their due time now.")


class InsightsOut(BaseModel):
    period: str
    first_day: date
    last_day: date
    totals: dict[str, int]
    decision: DecisionOut
    tables: list[TableOut]

    @classmethod
    def of(cls, figures: Insights) -> InsightsOut:
        d = figures.decision
        return cls(
            period=figures.period.value,
            first_day=figures.first_day,
            last_day=figures.last_day,
            totals=figures.totals,
            decision=DecisionOut(
                decided=d.decided,
                median_hours=d.median_hours,
                p90_hours=d.p90_hours,
                late=d.late,
                overdue_open=d.overdue_open,
            ),
            tables=[
                TableOut(
                    name=t.name,
                    title=t.title,
                    columns=list(t.columns),
                    rows=[list(r) for r in t.rows],
                )
                for t in figures.tables.values()
            ],
        )


@router.get(
    "/insights",
    tags=["insights"],
    summary="Cancellations over a period: counts, the funnel, time to decision, windows ending",
    description="An installer gets its own company's figures; days are the company's.",
)
def read_insights(state: State, actor: CurrentActor, period: PeriodQuery = "4weeks") -> InsightsOut:
    return InsightsOut.of(insights(state.ctx, parse_period(period), actor=actor))


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
