"""With no database to talk to, every door says so cleanly and changes nothing.

The API and the console are built over a PostgreSQL URL where nothing listens (a free port on
127.0.0.1): the API answers a retryable 503 problem with ``Retry-After``, the console a 503
page, and the CLI one line and exit 1 — never a 500, a traceback or a hang.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from rescind.adapters.clock import SystemClock
from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.us_holidays import FederalHolidays
from rescind.entrypoints.console.session import SESSION_COOKIE
from rescind.entrypoints.site import create_app
from rescind.services.context import Context
from tests.e2e.conftest import Rescind
from tests.faults.conftest import API
from tests.mail.conftest import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def nowhere() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=5"


@pytest.fixture
def client(nowhere: str) -> Iterator[TestClient]:
    engine = make_engine(nowhere)
    sessions = make_session_factory(engine)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(sessions),
        clock=SystemClock(),
        tz=ZoneInfo("America/New_York"),
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
    )
    app = create_app(ctx, Argon2Passwords(time_cost=1, memory_cost=8192))
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=True) as client:
        yield client
    engine.dispose()


def test_the_api_answers_a_retryable_503_problem_when_the_database_is_down(
    client: TestClient,
) -> None:
    headers = {"Authorization": "Bearer some-token", "Idempotency-Key": "k-1"}
    calls = [
        client.post(f"{API}/auth/token", json={"username": "agent", "password": "x"}),
        client.get(f"{API}/jobs", headers=headers),
        client.post(
            f"{API}/jobs/JOB-1/restore", json={"why": "down"}, headers={**headers, "If-Match": "*"}
        ),
    ]

    for answer in calls:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["Retry-After"] == "2"
        problem = answer.json()
        assert problem["code"] == "database_unavailable"
        assert problem["type"] == "/problems/database_unavailable"
        assert "retry" in problem["detail"]
        assert "Traceback" not in answer.text


def test_the_console_shows_a_503_page_when_the_database_is_down(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "some-session", path="/console")

    answer = client.get("/console/jobs")

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["Retry-After"] == "2"
    assert "The database cannot be reached right now" in answer.text


def test_the_cli_says_the_database_is_unavailable_in_one_line(tmp_path: Path, nowhere: str) -> None:
    rescind = Rescind(tmp_path, database_url=nowhere)

    result = rescind("jobs", "show", "JOB-1", code=1)

    assert result.error_line.startswith("error: database unavailable: ")
    assert result.error_line.endswith("retry once it is back")
