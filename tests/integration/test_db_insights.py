"""The insights over a seeded history, on real SQLite and PostgreSQL: the counters written
with the audit trail (the sweep's batch included) add up to the figures, for everyone and for
one installer company; ``rebuild`` counts the same trail to the same counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rescind.adapters.db.repositories.insights import rebuild
from rescind.adapters.db.tables import InsightDayRow
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.domain.errors import NotEligible
from rescind.domain.insight_figures import Insights, Period
from rescind.domain.job import InstallerCompany, PartnerProgram
from rescind.domain.request import Channel, CloseReason, RequestDraft, RequesterRole
from rescind.services.cancellation import cancel_workflow, restore_workflow
from rescind.services.closing import close_with_reason
from rescind.services.context import Context
from rescind.services.insights import insights
from rescind.services.policy import seed_policy
from rescind.services.requests import file_request
from rescind.services.sweep import sweep
from tests.fakes import FixedClock, actor
from tests.integration.conftest import UowFactory
from tests.integration.test_procedure import add, eligible_job, verified_request

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
OTHER = InstallerCompany(id="inst-2", name="Cloudy Solar", email="ops@cloudy.test")
AGENT = actor("agent:alex")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def ctx(uow_factory: UowFactory, clock: FixedClock) -> Context:
    context = Context(
        uow=uow_factory,
        clock=clock,
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    seed_policy(context, load_policy_document(default_policy_path()))
    return context


def seed_history(ctx: Context, clock: FixedClock) -> None:
    """Four weeks from Monday 2026-11-23: a cancel finalized by the sweep, a refusal by rule 1
    (another company's), a withdrawal, a restore, a window still open, an overdue request."""
    add(
        ctx,
        eligible_job("job-final"),
        eligible_job("job-beam", partner_program=PartnerProgram.BEAM, installer=OTHER),
        eligible_job("job-withdrawn"),
        eligible_job("job-restored"),
        eligible_job("job-open"),
        eligible_job("job-late", installer=OTHER),
    )
    cancel_workflow(ctx, verified_request(ctx, "job-final"), actor=AGENT, reason="moved")
    with pytest.raises(NotEligible):
        cancel_workflow(ctx, verified_request(ctx, "job-beam"), actor=AGENT)
    withdrawn = file_request(
        ctx,
        RequestDraft(
            job_id="job-withdrawn",
            channel=Channel.CHAT,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Dana",
        ),
        actor=AGENT,
    )
    clock.advance(hours=3)
    close_with_reason(ctx, withdrawn.id, CloseReason.WITHDRAWN, actor=AGENT)
    cancel_workflow(ctx, verified_request(ctx, "job-restored"), actor=AGENT)
    clock.advance(days=1)
    restore_workflow(ctx, "job-restored", actor=AGENT, why="the homeowner changed their mind")
    clock.set(datetime(2026, 12, 1, 11, 0, tzinfo=NEW_YORK))
    cancel_workflow(ctx, verified_request(ctx, "job-open"), actor=AGENT)  # ends 2026-12-21
    file_request(
        ctx,
        RequestDraft(
            job_id="job-late",
            channel=Channel.EMAIL,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Dana",
        ),
        actor=AGENT,
    )
    clock.set(datetime(2026, 12, 15, 12, 0, tzinfo=NEW_YORK))
    sweep(ctx)  # job-final's window ended with 2026-12-14


def table(figures: Insights, name: str) -> dict[str | int, tuple[str | int, ...]]:
    return {row[0]: row[1:] for row in figures.tables[name].rows}


def test_the_figures_of_a_seeded_history_add_up_for_everyone(
    ctx: Context, clock: FixedClock
) -> None:
    seed_history(ctx, clock)

    figures = insights(ctx, Period.FOUR_WEEKS, actor=AGENT)

    assert (figures.first_day.isoformat(), figures.last_day.isoformat()) == (
        "2026-11-23",
        "2026-12-15",
    )
    assert table(figures, "funnel") == {
        "requested": (6,),
        "verified": (4,),
        "cancelled (cancel pending)": (3,),
        "final": (1,),
    }
    stops = table(figures, "stops")
    assert stops["refused: not eligible"] == (1,)
    assert stops["withdrawn"] == (1,)
    assert stops["restored inside the window"] == (1,)
    # requested, refused, cancel pending, restored, finalized
    assert table(figures, "by_reason")["rule 1"] == (0, 1, 0, 0, 0)
    assert table(figures, "by_installer") == {
        "inst-1": (4, 0, 3, 1, 1),
        "inst-2": (2, 1, 0, 0, 0),
    }
    assert table(figures, "by_channel")["chat"][0] == 1
    assert table(figures, "by_milestone") == {"M1": (6, 1, 3, 1, 1)}
    weeks = table(figures, "by_week")
    assert list(weeks) == ["2026-11-23", "2026-11-30", "2026-12-07", "2026-12-14"]
    assert weeks["2026-11-23"][:5] == (4, 1, 2, 1, 0)
    assert weeks["2026-12-14"][:5] == (0, 0, 0, 0, 1)
    # Five requests ended: four (cancels, the refusal) within the hour, the withdrawal at 3 h.
    assert figures.decision.decided == 5
    assert figures.decision.median_hours == 1
    assert figures.decision.p90_hours == 4
    assert figures.decision.late == 0
    assert figures.decision.overdue_open == 1  # job-late's, due 2026-12-03
    strip = table(figures, "pending_strip")
    assert next(iter(strip)) == "2026-12-15"
    assert len(strip) == 10
    assert strip["2026-12-21"] == (1,)
    assert sum(n for (n,) in strip.values()) == 1  # type: ignore[misc]


def test_an_installer_sees_only_its_own_companys_figures(ctx: Context, clock: FixedClock) -> None:
    seed_history(ctx, clock)

    figures = insights(ctx, Period.FOUR_WEEKS, actor=actor("installer:cloudy", "inst-2"))

    assert table(figures, "funnel") == {
        "requested": (2,),
        "verified": (1,),
        "cancelled (cancel pending)": (0,),
        "final": (0,),
    }
    assert "by_installer" not in figures.tables
    assert figures.decision.overdue_open == 1
    assert sum(n for (n,) in table(figures, "pending_strip").values()) == 0  # type: ignore[misc]


def test_this_week_counts_only_the_days_since_monday(ctx: Context, clock: FixedClock) -> None:
    seed_history(ctx, clock)

    figures = insights(ctx, Period.WEEK, actor=AGENT)

    assert figures.totals["finalized"] == 1
    assert figures.totals["requested"] == 0


def test_rebuilding_the_counters_from_the_trail_gives_the_same_counters(
    ctx: Context, clock: FixedClock, session_factory: sessionmaker[Session]
) -> None:
    seed_history(ctx, clock)
    with session_factory() as session:
        before = sorted(tuple(r) for r in session.execute(select(InsightDayRow.__table__)))
        counted = rebuild(session, NEW_YORK)
        session.commit()
        after = sorted(tuple(r) for r in session.execute(select(InsightDayRow.__table__)))

    assert counted > 0
    assert after == before


def test_a_late_evening_request_counts_on_the_company_s_day_not_utc_s(
    ctx: Context, clock: FixedClock
) -> None:
    add(ctx, eligible_job("job-night"))
    clock.set(datetime(2026, 12, 6, 23, 30, tzinfo=NEW_YORK))  # Sunday night; Monday in UTC
    assert clock.now().astimezone(UTC).date().isoformat() == "2026-12-07"
    file_request(
        ctx,
        RequestDraft(
            job_id="job-night",
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="Dana",
        ),
        actor=AGENT,
    )
    clock.advance(timedelta(days=1))

    figures = insights(ctx, Period.FOUR_WEEKS, actor=AGENT)

    assert table(figures, "by_week")["2026-11-30"][0] == 1
    assert table(figures, "by_week")["2026-12-07"][0] == 0
