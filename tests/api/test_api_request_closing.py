"""Every request ends, and every decision is recorded: closing with a reason, one open request
per requester, and a restore that needs a reason and tells the signers (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.test_api_procedure import (
    assert_problem,
    file_phone_request,
    job_etag,
    verified_pending_job,
)


def close(client: TestClient, request: dict[str, Any], **body: Any) -> Any:
    return client.post(
        f"{API}/requests/{request['id']}/close",
        json=body,
        headers={"If-Match": f'"{request["version"]}"'},
    )


def emails_of(client: TestClient, job_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in client.get(f"{API}/jobs/{job_id}/emails").json() if e["kind"] == kind]


def trail_of(client: TestClient, job_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/jobs/{job_id}/audit", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["items"]
    return records


def test_a_withdrawn_request_leaves_the_open_list_and_the_homeowner_is_emailed_why(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")

    answer = close(agent, request, reason="withdrawn", note="keeps the system after all")

    assert answer.status_code == 200, answer.text
    closed = answer.json()
    assert closed["outcome"] == "withdrawn"
    assert closed["outcome_detail"] == "withdrawn by the homeowner — keeps the system after all"
    assert answer.headers["ETag"] == f'"{closed["version"]}"'
    assert request["id"] not in [r["id"] for r in agent.get(f"{API}/requests").json()["items"]]
    [told] = emails_of(agent, "JOB-002", "request_closed")
    assert told["to"] == ["ben.2@home.example"]
    trail = trail_of(agent, "JOB-002")
    [filed] = [r for r in trail if r["kind"] == "request_filed"]
    [event] = [r for r in trail if r["kind"] == "request_closed"]
    assert event["actor"] == filed["actor"]  # the agent who filed it closed it
    assert event["channel"] == "api"
    assert event["data"]["reason"] == "withdrawn"
    assert event["data"]["note"] == "keeps the system after all"


def test_a_beam_request_refused_as_not_eligible_names_rule_1_of_policy_1(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-003")

    answer = close(agent, request, reason="not_eligible")

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "not_eligible"
    assert answer.json()["outcome_detail"].startswith("not eligible (rule 1:")
    trail = trail_of(agent, "JOB-003")
    assert [r["kind"] for r in trail][-3:] == [
        "eligibility_decided",
        "request_closed",
        "email_queued",
    ]
    closed = trail[-2]
    assert (closed["data"]["rule_number"], closed["data"]["policy_version"]) == (1, 1)
    assert closed["policy_version"] == 1


def test_an_eligible_job_cannot_be_closed_as_not_eligible(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")

    problem = assert_problem(close(agent, request, reason="not_eligible"), 409, "not_allowed")

    assert "eligible now (rule 2" in problem["detail"]
    assert agent.get(f"{API}/requests/{request['id']}").json()["outcome"] == "open"


def test_a_duplicate_names_the_request_it_repeats_on_the_same_job(api: Api) -> None:
    agent = api.client(Role.AGENT)
    first = file_phone_request(agent, "JOB-002")
    # The installer's request on the same job is another requester's, so it may be open too.
    second = file_phone_request(
        agent,
        "JOB-002",
        channel="installer_portal",
        requester_role="installer",
        requester_name="Ines",
        statement=None,
    )
    elsewhere = file_phone_request(agent, "JOB-001")

    missing = close(agent, second, reason="duplicate")
    assert_problem(missing, 422, "invalid_input")
    other_job = close(agent, second, reason="duplicate", duplicate_of=elsewhere["id"])
    assert "not JOB-002" in assert_problem(other_job, 422, "invalid_input")["detail"]

    answer = close(agent, second, reason="duplicate", duplicate_of=first["id"])

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome_detail"] == f"duplicate of {first['id']}"
    [told] = emails_of(agent, "JOB-002", "request_closed")
    assert told["to"] == ["ops@sunny.example"]


def test_a_closed_request_cannot_be_closed_again_and_a_stale_version_is_412(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")
    assert close(agent, request, reason="withdrawn").status_code == 200

    assert_problem(close(agent, request, reason="not_verified"), 409, "not_allowed")

    fresh = file_phone_request(agent, "JOB-001")
    stale = agent.post(
        f"{API}/requests/{fresh['id']}/close",
        json={"reason": "withdrawn"},
        headers={"If-Match": '"99"'},
    )
    assert_problem(stale, 412, "precondition_failed")


def test_closing_is_support_s_installers_and_admins_are_forbidden(api: Api) -> None:
    request = file_phone_request(api.client(Role.AGENT), "JOB-001")

    for role in (Role.INSTALLER, Role.ADMIN, Role.DEAL_PROCESSING):
        assert_problem(close(api.client(role), request, reason="withdrawn"), 403, "forbidden")


def test_filing_a_second_open_request_for_the_same_requester_is_409_with_the_existing_id(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    first = file_phone_request(agent, "JOB-002")

    again = agent.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-002",
            "channel": "email",
            "requester_role": "homeowner",
            "requester_name": "Ben Reyes",
        },
    )

    problem = assert_problem(again, 409, "duplicate_request")
    assert problem["existing_request_id"] == first["id"]
    assert [r["id"] for r in agent.get(f"{API}/jobs/JOB-002/requests").json()] == [first["id"]]


def test_the_installer_saying_the_homeowner_emailed_twice_files_one_request(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    body = {
        "job_id": "JOB-005",
        "channel": "installer_portal",
        "requester_role": "installer",
        "requester_name": "Ines Installer",
        "homeowner_emailed": True,
    }
    first = installer.post(f"{API}/requests", json=body)
    assert first.status_code == 201, first.text

    second = installer.post(f"{API}/requests", json=body)

    assert (
        assert_problem(second, 409, "duplicate_request")["existing_request_id"]
        == (first.json()["id"])
    )
    agent = api.client(Role.AGENT)
    assert len(agent.get(f"{API}/jobs/JOB-005/requests").json()) == 1
    assert len(emails_of(agent, "JOB-005", "expect_resolution")) == 1


def test_once_closed_the_requester_may_file_again(api: Api) -> None:
    agent = api.client(Role.AGENT)
    first = file_phone_request(agent, "JOB-002")
    assert close(agent, first, reason="not_verified").status_code == 200

    second = file_phone_request(agent, "JOB-002")

    assert second["id"] != first["id"]


def test_a_restore_needs_a_reason_and_emails_the_signers_as_the_notice_did(api: Api) -> None:
    agent = api.client(Role.AGENT)
    verified_pending_job(api, agent, "JOB-002")
    etag = job_etag(agent, "JOB-002")

    blank = agent.post(
        f"{API}/jobs/JOB-002/restore", json={"why": "  "}, headers={"If-Match": etag}
    )
    assert_problem(blank, 422, "invalid_input")
    missing = agent.post(f"{API}/jobs/JOB-002/restore", json={}, headers={"If-Match": etag})
    assert_problem(missing, 422, "invalid_input")

    answer = agent.post(
        f"{API}/jobs/JOB-002/restore",
        json={"why": "the homeowner called back"},
        headers={"If-Match": etag},
    )

    assert answer.status_code == 200, answer.text
    [notice] = emails_of(agent, "JOB-002", "cancellation_notice")
    [withdrawn] = emails_of(agent, "JOB-002", "workflow_restored")
    assert (withdrawn["to"], withdrawn["cc"]) == (notice["to"], notice["cc"])
    assert (withdrawn["to"], withdrawn["cc"]) == (
        ["ben.2@home.example"],
        ["ops@sunny.example", "sam@sales.example"],
    )
    [restored] = [r for r in trail_of(agent, "JOB-002") if r["kind"] == "workflow_restored"]
    assert restored["data"]["why"] == "the homeowner called back"
