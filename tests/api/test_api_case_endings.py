"""A case ends with its request, and a case is worked over HTTP (SQLite and PostgreSQL):
closing an escalated request closes its open case in the same transaction, on record; a case
shows who works it, and is assigned and commented on through the API as in the console."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.test_api_procedure import file_phone_request


def escalated(agent: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The homeowner's request on JOB-004 (Direct Pay M1B, invoice) and its open case."""
    request = file_phone_request(agent, "JOB-004")
    answer = agent.post(
        f"{API}/requests/{request['id']}/escalation",
        json={"detail": "M1B"},
        headers={"If-Match": f'"{request["version"]}"'},
    )
    assert answer.status_code in (200, 201), answer.text
    case_id = answer.json()["id"]
    case = agent.get(f"{API}/cases/{case_id}").json()
    request = agent.get(f"{API}/requests/{request['id']}").json()
    return request, case


def trail_of(client: TestClient, job_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/jobs/{job_id}/audit")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return list(body["items"] if isinstance(body, dict) else body)


def test_closing_an_escalated_request_closes_its_case_too_on_record(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request, case = escalated(agent)
    assert case["status"] == "open"

    answer = agent.post(
        f"{API}/requests/{request['id']}/close",
        json={"reason": "withdrawn", "note": "the homeowner called back"},
        headers={"If-Match": f'"{request["version"]}"'},
    )

    assert answer.status_code == 200, answer.text
    ended = agent.get(f"{API}/cases/{case['id']}").json()
    assert ended["status"] == "closed"
    assert all(a["status"] == "done" for a in ended["assignments"])
    for queue in ("back_office", "deal_processing"):
        listed = agent.get(f"{API}/queues/{queue}").json()["items"]
        assert case["id"] not in [c["id"] for c in listed]
    trail = trail_of(agent, "JOB-004")
    kinds = [r["kind"] for r in trail]
    assert kinds[-3:-1] == ["request_closed", "case_closed"]  # then the email to the requester
    [closed] = [r for r in trail if r["kind"] == "case_closed"]
    assert closed["data"]["case_id"] == case["id"]
    [request_closed] = [r for r in trail if r["kind"] == "request_closed"]
    assert closed["seq"] == request_closed["seq"] + 1  # one transaction, in order


def test_a_case_shows_its_assignee_and_is_assigned_through_the_api(api: Api) -> None:
    agent = api.client(Role.AGENT)
    _, case = escalated(agent)
    assert case["assignee"] == ""
    back_office = api.client(Role.BACK_OFFICE)

    answer = back_office.post(
        f"{API}/cases/{case['id']}/assign",
        json={"user_id": "back_office:back_office"},
        headers={"If-Match": f'"{case["version"]}"'},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["assignee"] == "back_office:back_office"
    assert answer.headers["ETag"] == f'"{answer.json()["version"]}"'
    stale = back_office.post(
        f"{API}/cases/{case['id']}/assign",
        json={"user_id": "agent:agent"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert stale.status_code == 412, stale.text
    assert "case_assigned" in [r["kind"] for r in trail_of(agent, "JOB-004")]


def test_assigning_to_someone_not_on_the_team_is_refused_naming_the_field(api: Api) -> None:
    agent = api.client(Role.AGENT)
    _, case = escalated(agent)

    answer = agent.post(
        f"{API}/cases/{case['id']}/assign",
        json={"user_id": "installer:installer"},
        headers={"If-Match": f'"{case["version"]}"'},
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "user_id"


def test_a_comment_on_a_case_goes_on_the_feed_naming_the_case(api: Api) -> None:
    agent = api.client(Role.AGENT)
    _, case = escalated(agent)

    answer = api.client(Role.BACK_OFFICE).post(
        f"{API}/cases/{case['id']}/comment", json={"body": "Called finance about the invoice."}
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["body"] == f"Case {case['id']}: Called finance about the invoice."
    feed = agent.get(f"{API}/jobs/JOB-004/feed").json()["items"]
    assert answer.json()["body"] in [c["body"] for c in feed]
    [commented] = [
        r
        for r in trail_of(agent, "JOB-004")
        if r["kind"] == "feed_commented" and r["data"].get("case_id")
    ]
    assert commented["data"]["case_id"] == case["id"]
    blank = agent.post(f"{API}/cases/{case['id']}/comment", json={"body": "   "})
    assert blank.status_code in (400, 422), blank.text
