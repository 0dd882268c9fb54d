"""GET /insights over HTTP, on SQLite and PostgreSQL: the figures, one table as CSV, scoped."""

from __future__ import annotations

import csv
import io
from typing import Any

from rescind.domain.access import Role
from tests.api.conftest import API, Api, verified_request
from tests.api.test_api_admin import assert_problem
from tests.api.test_api_procedure import cancel, job_etag


def tables(body: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    return {t["name"]: {str(r[0]): r[1:] for r in t["rows"]} for t in body["tables"]}


def two_cancels_of_two_companies(api: Api) -> None:
    agent = api.client(Role.AGENT)
    for job_id, email in (("JOB-002", "ben@example.com"), ("JOB-006", "fay@example.com")):
        with api.uow() as uow:
            email = uow.jobs.get(job_id).homeowner.email
        request_id = verified_request(api, job_id, email)
        answer = cancel(agent, request_id, job_etag(agent, job_id))
        assert answer.status_code == 200, answer.text


def test_an_agent_reads_everyones_figures_and_an_installer_only_its_companys(api: Api) -> None:
    two_cancels_of_two_companies(api)

    everyone = api.client(Role.AGENT).get(f"{API}/insights", params={"period": "week"})
    own = api.client(Role.INSTALLER).get(f"{API}/insights", params={"period": "week"})

    assert everyone.status_code == 200, everyone.text
    body = everyone.json()
    assert (body["period"], body["first_day"], body["last_day"]) == (
        "week",
        "2026-11-23",
        "2026-11-23",
    )
    assert body["totals"]["requested"] == 2
    assert body["totals"]["cancel_pending"] == 2
    assert tables(body)["funnel"]["cancelled (cancel pending)"] == [2]
    assert set(tables(body)["by_installer"]) == {"INST-1", "INST-2"}
    assert body["decision"]["decided"] == 2
    mine = own.json()
    assert mine["totals"]["cancel_pending"] == 1
    assert "by_installer" not in tables(mine)
    assert tables(mine)["by_channel"] == {"email": [1, 0, 1, 0, 0]}


def test_each_table_downloads_as_csv_with_the_same_numbers(api: Api) -> None:
    two_cancels_of_two_companies(api)
    agent = api.client(Role.AGENT)

    answer = agent.get(f"{API}/insights/funnel.csv", params={"period": "4weeks"})

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="insights-funnel-4weeks.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["step", "count"]
    assert rows[1:] == [
        ["requested", "2"],
        ["verified", "2"],
        ["cancelled (cancel pending)", "2"],
        ["final", "0"],
    ]
    assert_problem(agent.get(f"{API}/insights/nothing.csv"), 404, "not_found")


def test_insights_are_refused_to_sales_reps_and_homeowners_and_a_bad_period_is_named(
    api: Api,
) -> None:
    for role in (Role.SALES_REP, Role.HOMEOWNER):
        assert_problem(api.client(role).get(f"{API}/insights"), 403, "forbidden")
    for role in (Role.BACK_OFFICE, Role.DEAL_PROCESSING, Role.ADMIN):
        assert api.client(role).get(f"{API}/insights").status_code == 200
    problem = assert_problem(
        api.client(Role.AGENT).get(f"{API}/insights", params={"period": "year"}),
        422,
        "invalid_input",
    )
    assert "period" in problem["detail"]
