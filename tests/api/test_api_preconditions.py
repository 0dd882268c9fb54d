"""If-Match on every state change, and what a refused write tells its client to do next.

A state change of a job, request or case without ``If-Match`` is a 428 saying how to send
it; ``If-Match: *`` writes without the check, on purpose. A 409 says whether a retry helps
(``retryable``) and, when it does, how long to wait (``Retry-After``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from rescind.domain.audit import job_stream
from tests.api.conftest import API, Api, fire_at_once, if_match, verified_request
from tests.api.test_api_procedure import assert_problem, verified_pending_job

# Every state change of a job, request or case (ids need not exist: the header is read first).
STATE_CHANGES = [
    ("jobs/JOB-002/restore", {"why": "changed mind"}),
    ("jobs/JOB-002/cancel", {"reason": "milestone_aged", "requester_name": "Ines"}),
    ("requests/REQ-1/statement", {"kind": "chat_transcript", "content": "Cancel."}),
    ("requests/REQ-1/verification/code/confirm", {"code": "1234"}),
    ("requests/REQ-1/verification/address-on-file", {"sender": "a@b.example"}),
    ("requests/REQ-1/cancel", {}),
    ("requests/REQ-1/escalation", {}),
    ("requests/REQ-1/close", {"reason": "withdrawn"}),
    ("cases/CASE-1/approve", {}),
    ("cases/CASE-1/deny", {"reason": "invoice stands"}),
    ("cases/CASE-1/reassign", {"queue": "back_office"}),
    ("cases/CASE-1/assign", {"user_id": "agent:agent"}),
]


@pytest.mark.parametrize(("path", "body"), STATE_CHANGES, ids=[p for p, _ in STATE_CHANGES])
def test_a_state_change_without_if_match_is_a_428_saying_how_to_send_it(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    answer = api.client(Role.AGENT).post(f"{API}/{path}", json=body)

    problem = assert_problem(answer, 428, "precondition_required")
    assert "`If-Match`" in problem["detail"]
    assert "`If-Match: *`" in problem["detail"]
    assert "GET /api/v1/" in problem["detail"]
    assert problem["retryable"] is False


def test_a_restore_without_if_match_changes_nothing_and_one_with_star_restores(api: Api) -> None:
    agent = api.client(Role.AGENT)
    verified_pending_job(api, agent, "JOB-002")
    with api.uow() as uow:
        before = len(uow.audit.records(job_stream("JOB-002")))

    blind = agent.post(f"{API}/jobs/JOB-002/restore", json={"why": "forgot the header"})
    with api.uow() as uow:
        after = len(uow.audit.records(job_stream("JOB-002")))
    deliberate = agent.post(
        f"{API}/jobs/JOB-002/restore", json={"why": "on purpose"}, headers={"If-Match": "*"}
    )

    assert_problem(blind, 428, "precondition_required")
    assert after == before
    assert agent.get(f"{API}/jobs/JOB-002").json()["status"] == "active"
    assert deliberate.status_code == 200, deliberate.text


def test_the_openapi_requires_if_match_and_lists_the_428_on_every_state_change(api: Api) -> None:
    paths = api.anonymous().get(f"{API}/openapi.json").json()["paths"]
    templated = {
        "jobs/JOB-002": "jobs/{job_id}",
        "requests/REQ-1": "requests/{request_id}",
        "cases/CASE-1": "cases/{case_id}",
    }

    for path, _ in STATE_CHANGES:
        for concrete, template in templated.items():
            path = path.replace(concrete, template)
        operation = paths[f"{API}/{path}"]["post"]
        [header] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        assert header["in"] == "header"
        assert header["required"] is True, path
        assert "428" in operation["responses"], path
    # Nothing else requires it: a comment and sending a code change no version.
    for path in ("jobs/{job_id}/feed", "requests/{request_id}/verification/code"):
        names = [p["name"] for p in paths[f"{API}/{path}"]["post"].get("parameters", [])]
        assert "If-Match" not in names


def test_a_refusal_that_stands_says_it_is_not_retryable_and_sends_no_retry_after(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    path = f"{API}/jobs/JOB-002/restore"  # JOB-002 is active: nothing to restore

    answer = agent.post(path, json={"why": "x"}, headers=if_match(agent, path))

    problem = assert_problem(answer, 409, "invalid_transition")
    assert problem["retryable"] is False
    assert "Retry-After" not in answer.headers


@pytest.mark.postgres
@pytest.mark.parametrize("api_engine", ["postgres"], indirect=True)
def test_50_parallel_blind_writes_that_lose_the_race_are_told_to_retry_after_a_second(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    # One open request per requester: the 50 racers share the homeowner's one request.
    request_id = verified_request(api, "JOB-002", "ben.2@home.example")

    def cancel(client: TestClient) -> Any:
        # Written blind on purpose: each read the job before the others committed.
        return client.post(
            f"{API}/requests/{request_id}/cancel", json={}, headers={"If-Match": "*"}
        )

    answers = fire_at_once([cancel] * 50, str(agent.headers["Authorization"]), api)

    codes = Counter(
        "ok" if a.status_code == 200 else f"{a.status_code} {a.json()['code']}" for a in answers
    )
    print(f"\noutcomes of 50 blind cancels: {dict(codes)}")
    # A loser of the race is told to retry; one that came after the winner committed is told
    # the request is done, which no retry changes.
    assert codes["ok"] == 1, codes
    assert set(codes) <= {"ok", "409 conflict", "409 not_allowed"}, codes
    assert codes["409 conflict"] >= 1, "no write lost the race"
    for answer in answers:
        if answer.status_code == 409:
            retryable = answer.json()["code"] == "conflict"
            assert answer.json()["retryable"] is retryable
            assert ("Retry-After" in answer.headers) is retryable
            if retryable:
                assert answer.headers["Retry-After"] == "1"
    # Retried as told, after the winner committed, a loser gets the standing answer.
    retried = agent.post(f"{API}/requests/{request_id}/cancel", json={}, headers={"If-Match": "*"})
    assert retried.status_code != 409 or retried.json()["code"] != "conflict", retried.text
