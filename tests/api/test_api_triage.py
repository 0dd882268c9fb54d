"""The email triage queue acts over HTTP, on SQLite and PostgreSQL: a waiting message is
attached to a job (the homeowner's request, the message its statement) or dismissed with a
reason; either way it leaves the queue and the trail says who did it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.access import Role
from rescind.services.inbound import receive_email
from tests.api.conftest import API, Api

PROBLEM_JSON = "application/problem+json"


def waiting(api: Api, message_id: str = "<t1@nowhere.example>") -> str:
    raw = (
        "From: Stranger <who@nowhere.example>\r\nTo: support@rescind.example\r\n"
        f"Subject: Please cancel\r\nMessage-ID: {message_id}\r\n\r\n"
        f"Cancel my solar job. ({message_id})\r\n"
    ).encode()
    received = receive_email(api.ctx, parse_email(raw), raw)
    assert received.status.value == "triage"
    return received.inbound_id


def requests_of(agent: TestClient, job_id: str) -> list[dict[str, object]]:
    answer = agent.get(f"{API}/jobs/{job_id}/requests")
    assert answer.status_code == 200, answer.text
    items = answer.json()
    return list(items["items"] if isinstance(items, dict) else items)


def test_attaching_a_waiting_email_files_the_homeowners_request_with_it_as_the_statement(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    inbound_id = waiting(api)

    answer = agent.post(f"{API}/inbound/{inbound_id}/attach", json={"job_id": "JOB-002"})

    assert answer.status_code == 200, answer.text
    attached = answer.json()
    # Not the address on file, so the trust rules leave it unverified, and say why.
    assert attached["verified"] is False
    assert "who@nowhere.example is not the address on file" in attached["verification_note"]
    request = agent.get(f"{API}/requests/{attached['request_id']}").json()
    assert request["channel"] == "email"
    assert request["statement"]["kind"] == "email"
    assert "Cancel my solar job." in request["statement"]["content"]
    trail = agent.get(f"{API}/jobs/JOB-002/audit").json()
    kinds = [e["kind"] for e in (trail["items"] if isinstance(trail, dict) else trail)]
    assert "inbound_attached" in kinds


def test_an_attached_email_leaves_the_queue_so_it_cannot_be_attached_twice(api: Api) -> None:
    agent = api.client(Role.AGENT)
    inbound_id = waiting(api)
    first = agent.post(f"{API}/inbound/{inbound_id}/attach", json={"job_id": "JOB-002"})
    assert first.status_code == 200, first.text

    again = agent.post(f"{API}/inbound/{inbound_id}/dismiss", json={"reason": "oops"})

    assert again.status_code == 409
    assert "no longer waits in triage" in again.json()["detail"]


def test_attaching_to_a_job_whose_homeowner_has_an_open_request_names_that_request(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    first = agent.post(f"{API}/inbound/{waiting(api)}/attach", json={"job_id": "JOB-002"})
    second_id = waiting(api, "<t2@nowhere.example>")

    answer = agent.post(f"{API}/inbound/{second_id}/attach", json={"job_id": "JOB-002"})

    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert answer.json()["existing_request_id"] == first.json()["request_id"]
    assert len(requests_of(agent, "JOB-002")) == 1
    # Still waiting: it can be dismissed as the duplicate it is.
    dismissed = agent.post(f"{API}/inbound/{second_id}/dismiss", json={"reason": "duplicate"})
    assert dismissed.status_code == 200, dismissed.text


def test_dismissing_needs_a_reason_and_then_sets_the_email_aside(api: Api) -> None:
    agent = api.client(Role.AGENT)
    inbound_id = waiting(api)

    blank = agent.post(f"{API}/inbound/{inbound_id}/dismiss", json={"reason": "   "})
    answer = agent.post(f"{API}/inbound/{inbound_id}/dismiss", json={"reason": "Newsletter"})

    assert blank.status_code in (400, 422)
    assert blank.headers["content-type"].startswith(PROBLEM_JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "inbound_id": inbound_id,
        "status": "dismissed",
        "reason": "Newsletter",
    }


def test_an_unknown_email_is_not_found_and_a_back_office_user_may_not_triage(api: Api) -> None:
    inbound_id = waiting(api)

    missing = api.client(Role.AGENT).post(f"{API}/inbound/IN-nope/dismiss", json={"reason": "x"})
    forbidden = api.client(Role.BACK_OFFICE).post(
        f"{API}/inbound/{inbound_id}/dismiss", json={"reason": "x"}
    )

    assert missing.status_code == 404
    assert forbidden.status_code == 403
