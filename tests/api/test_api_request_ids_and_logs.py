"""Request ids and structured logs: a safe X-Request-ID comes back and marks every log line of
its request, an unsafe one is replaced, and each request is one JSON access line (with the user
once logged in) — problem details and a 500 included."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rescind.domain.access import Role
from rescind.entrypoints.processes.logs import configure_logging
from tests.api.conftest import API, Api
from tests.api.ops import operated

GENERATED = re.compile(r"^[0-9a-f]{32}$")


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[dict[str, Any]]:
        """Every line written, each parsed as one JSON object (fails on any other line)."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "rescind.access"]


@pytest.fixture
def json_logs() -> Iterator[Captured]:
    """Logging as `rescind serve` sets it up with RESCIND_LOG_FORMAT=json, into a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("uvicorn.access").disabled)
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    try:
        yield Captured(stream)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("uvicorn.access").disabled = saved[2]


def test_a_safe_client_request_id_comes_back_and_marks_the_access_line(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    ops = operated(api, api_engine)
    agent = ops.client(Role.AGENT)
    with ops.uow() as uow:
        agent_id = uow.users.by_username("agent").id  # type: ignore[union-attr]

    answer = agent.get(f"{API}/jobs/JOB-002", headers={"X-Request-ID": "lb-7f3a:0001_x.y"})

    assert answer.status_code == 200
    assert answer.headers["X-Request-ID"] == "lb-7f3a:0001_x.y"
    (line,) = [a for a in json_logs.access() if a["request_id"] == "lb-7f3a:0001_x.y"]
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/jobs/{job_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] == agent_id
    assert line["level"] == "INFO"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", line["time"])
    assert "JOB-002" not in json.dumps(line)  # the template, not the path, is logged


def test_without_a_request_id_each_request_gets_a_new_one(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    client = operated(api, api_engine).anonymous()
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert GENERATED.match(first)
    assert GENERATED.match(second)
    assert first != second


@pytest.mark.parametrize(
    "bad",
    ["x" * 129, "two words", "<script>", "semi;colon", "", "ids/with/slashes", 'quote"d'],
)
def test_an_unsafe_request_id_is_replaced_not_echoed(
    api: Api, api_engine: Engine, json_logs: Captured, bad: str
) -> None:
    client = operated(api, api_engine).anonymous()
    answer = client.get("/healthz", headers={"X-Request-ID": bad})
    given = answer.headers["X-Request-ID"]
    assert given != bad
    assert GENERATED.match(given)
    assert bad not in [line.get("request_id") for line in json_logs.lines()]


def test_a_request_id_of_128_safe_characters_is_kept(api: Api, api_engine: Engine) -> None:
    longest = "a" * 128
    answer = (
        operated(api, api_engine).anonymous().get("/healthz", headers={"X-Request-ID": longest})
    )
    assert answer.headers["X-Request-ID"] == longest


def test_problem_details_carry_the_request_id_as_an_extension_member(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    client = operated(api, api_engine).anonymous()
    answer = client.get(f"{API}/jobs", headers={"X-Request-ID": "req-401"})
    assert answer.status_code == 401
    problem = answer.json()
    assert problem["request_id"] == "req-401"
    assert problem["type"] == "/problems/unauthenticated"  # still RFC 9457 otherwise
    (line,) = [a for a in json_logs.access() if a["request_id"] == "req-401"]
    assert (line["status"], line["user_id"]) == (401, None)


def test_a_500_answer_and_its_traceback_line_carry_the_request_id(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    ops = operated(api, api_engine)

    def broken() -> None:
        raise RuntimeError("a bug")

    ops.app.add_api_route("/broken-for-the-test", broken)
    client = TestClient(ops.app, raise_server_exceptions=False)
    answer = client.get("/broken-for-the-test", headers={"X-Request-ID": "req-500"})

    assert answer.status_code == 500
    assert answer.headers["X-Request-ID"] == "req-500"
    assert answer.json()["request_id"] == "req-500"
    assert answer.json()["type"] == "/problems/internal_error"
    mine = [line for line in json_logs.lines() if line.get("request_id") == "req-500"]
    assert any("RuntimeError: a bug" in line.get("exc_info", "") for line in mine)
    (access,) = [line for line in mine if line["logger"] == "rescind.access"]
    assert access["status"] == 500
    assert access["route"] == "/broken-for-the-test"


def test_health_checks_are_not_written_to_the_access_log_at_info(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    client = operated(api, api_engine).anonymous()
    client.get("/healthz")
    client.get("/readyz")
    client.get("/nothing-here")
    assert [line["route"] for line in json_logs.access()] == ["unmatched"]


def test_text_logs_carry_the_request_id_in_brackets(api: Api, api_engine: Engine) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("text", "INFO", stream=stream)
    try:
        operated(api, api_engine).anonymous().get(f"{API}/jobs", headers={"X-Request-ID": "txt-1"})
        logging.getLogger("rescind.worker").warning("outside any request")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    (line,) = [x for x in stream.getvalue().splitlines() if "rescind.access" in x]
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO rescind.access \[txt-1\] ", line)
    assert line.endswith(" ms")
    assert "GET /api/v1/jobs 401" in line
    (outside,) = [x for x in stream.getvalue().splitlines() if "outside any request" in x]
    assert outside.endswith(" WARNING rescind.worker outside any request")  # no "[None]"


def test_a_console_page_logs_the_user_of_its_session(
    api: Api, api_engine: Engine, json_logs: Captured
) -> None:
    ops = operated(api, api_engine)
    token = ops.client(Role.AGENT).headers["Authorization"].removeprefix("Bearer ")
    with ops.uow() as uow:
        agent_id = uow.users.by_username("agent").id  # type: ignore[union-attr]
    browser = ops.anonymous()
    browser.cookies.set("rescind_session", token)  # the console's session is the API token

    page = browser.get("/console/jobs/JOB-002", headers={"X-Request-ID": "page-1"})

    assert page.status_code == 200
    (line,) = [a for a in json_logs.access() if a["request_id"] == "page-1"]
    assert (line["route"], line["user_id"]) == ("/console/jobs/{job_id}", agent_id)
