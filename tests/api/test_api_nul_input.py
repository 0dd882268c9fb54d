"""NUL in what a client sends is its 422, on both databases — never a 500 from PostgreSQL.

PostgreSQL's text cannot hold NUL, SQLite's can: the API refuses it at the edge so both answer
the same. The large schemathesis run (``make fuzz``) found the two places the edge missed: the
login username and the cells of an imported CSV.
"""

from __future__ import annotations

from rescind.adapters.csv_jobs import COLUMNS
from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.test_api_jobs import csv_row, ids, post_csv

PROBLEM_JSON = "application/problem+json"


def test_a_login_with_a_nul_in_the_username_is_a_422_problem(api: Api) -> None:
    answer = api.anonymous().post(
        f"{API}/auth/token", json={"username": "agent\x00", "password": "whatever it is"}
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["errors"][0]["field"] == "body.username"


def test_a_nul_in_an_imported_cell_rejects_that_row_and_keeps_the_others(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    text = "\n".join(
        [",".join(COLUMNS), csv_row("JOB-401"), csv_row("JOB-402", homeowner_name="Ivy\x00")]
    )

    answer = post_csv(admin, text + "\n")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["imported"] == 1
    assert [(e["line"], "homeowner_name" in e["message"]) for e in report["errors"]] == [(3, True)]
    assert ids(admin, q="JOB-401") == ["JOB-401"]
    assert ids(admin, q="JOB-402") == []
