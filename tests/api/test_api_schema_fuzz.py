"""Schemathesis against the app's own OpenAPI, in process, on SQLite: a short run in the suite.

The run itself (which checks, which ids, which roles) is ``tests/api/schemathesis_run.py``;
``make fuzz`` runs the same at scale on SQLite and PostgreSQL. Here every operation gets a few
valid and invalid cases as an agent and as an admin (so both the procedure's writes and the
operations' writes run for real), and a few linked chains (stateful) as an agent.
"""

from __future__ import annotations

import os

import pytest

from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.schemathesis_run import run_operations, run_stateful

pytestmark = pytest.mark.parametrize("api_engine", ["sqlite"], indirect=True)

# Cases per operation and generation mode, each sent once per role: ~40 × 2 × 2 × this requests.
EXAMPLES = int(os.environ.get("RESCIND_FUZZ_EXAMPLES", "15"))


def test_generated_requests_get_no_server_error_and_only_documented_answers(api: Api) -> None:
    outcome = run_operations(api, roles=(Role.AGENT, Role.ADMIN), examples=EXAMPLES)

    print("\n" + outcome.summary("schemathesis"))
    assert outcome.requests > 0
    assert not outcome.failures, "\n\n".join(outcome.failures)


def test_linked_chains_of_requests_get_no_server_error_and_only_documented_answers(
    api: Api,
) -> None:
    outcome = run_stateful(api, roles=(Role.AGENT,), scenarios=10, steps=5)

    print("\n" + outcome.summary("schemathesis stateful"))
    assert outcome.requests > 0
    assert not outcome.failures, "\n\n".join(outcome.failures)


def test_a_body_that_cannot_be_read_is_a_422_problem_not_a_bare_400(api: Api) -> None:
    """What the fuzzer first found: JSON that is not UTF-8 got FastAPI's undocumented 400."""
    client = api.client(Role.AGENT)

    for body in (b"\xff\x1a", b'{"body": "unfinished'):
        answer = client.post(
            f"{API}/jobs/JOB-002/feed",
            content=body,
            headers={"Content-Type": "application/json"},
        )

        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/invalid_input"
        assert problem["errors"][0]["field"].startswith("body")
