"""One cancel for every door, over HTTP on SQLite and PostgreSQL: Deal Processing's approval
stands in for rule 5 only, never for verification or the written statement, and every door
that closes a request writes its ``request_closed`` event to the job's trail."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api, if_match
from tests.api.test_api_procedure import (
    assert_problem,
    cancel,
    file_phone_request,
    job_etag,
    verify_by_code,
)

M1B_JOB = "JOB-004"  # Direct Pay M1B with the invoice uploaded (rule 5)
WAITING = "approved by Deal Processing — verify the homeowner to cancel"


def escalate(agent: TestClient, request_id: str) -> dict[str, Any]:
    answer = agent.post(
        f"{API}/requests/{request_id}/escalation",
        json={},
        headers=if_match(agent, f"{API}/requests/{request_id}/escalation"),
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    return case


def approve(dp: TestClient, case: dict[str, Any]) -> dict[str, Any]:
    answer = dp.post(
        f"{API}/cases/{case['id']}/approve",
        json={"note": "finance writes the invoice off"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def trail(client: TestClient, job_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/jobs/{job_id}/audit", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["items"]
    return records


def closings(client: TestClient, job_id: str) -> list[tuple[str, str]]:
    """Each ``request_closed`` event of the job: (request id, outcome)."""
    return [
        (str(r["data"]["request_id"]), str(r["data"]["outcome"]))
        for r in trail(client, job_id)
        if r["kind"] == "request_closed"
    ]


def test_approving_an_unverified_request_without_a_statement_leaves_the_job_active(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    request = file_phone_request(agent, M1B_JOB, statement=None)
    case = escalate(agent, request["id"])

    body = approve(dp, case)

    assert body["case"]["status"] == "approved"
    assert body["cancellation"] is None
    assert body["request"]["approved_by_case_id"] == case["id"]
    assert body["request"]["approval_note"] == WAITING
    assert agent.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"
    read = agent.get(f"{API}/requests/{request['id']}").json()
    assert (read["approved_by_case_id"], read["approval_note"]) == (case["id"], WAITING)
    assert read["outcome"] == "escalated"
    kinds = [r["kind"] for r in trail(agent, M1B_JOB)]
    assert "case_approved" in kinds
    assert "workflow_cancel_pending" not in kinds
    # The agent still may not cancel: the approval does not verify anyone.
    refused = cancel(agent, request["id"], job_etag(agent, M1B_JOB))
    assert_problem(refused, 409, "not_verified")
    assert agent.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"


def test_after_an_approval_verifying_and_the_statement_let_the_agent_cancel(api: Api) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    request = file_phone_request(agent, M1B_JOB, statement=None)
    approve(dp, escalate(agent, request["id"]))
    verify_by_code(api, agent, request["id"], M1B_JOB)

    missing = cancel(agent, request["id"], job_etag(agent, M1B_JOB))
    assert_problem(missing, 409, "written_statement_missing")
    current = agent.get(f"{API}/requests/{request['id']}")
    attached = agent.post(
        f"{API}/requests/{request['id']}/statement",
        json={"kind": "chat_transcript", "content": "Cancel my contract. Dev Patel"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert attached.status_code == 200, attached.text

    answer = cancel(agent, request["id"], job_etag(agent, M1B_JOB))

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["already_pending"] is False
    assert result["final_date"] == "2026-12-14"
    assert result["authority"] == "deal_processing_approval"
    assert result["decision"]["rule_number"] == 5
    assert agent.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "cancel_pending"
    closed = agent.get(f"{API}/requests/{request['id']}").json()
    assert closed["outcome"] == "cancel_pending"
    assert closings(agent, M1B_JOB) == [(request["id"], "cancel_pending")]


def test_approving_a_verified_request_with_its_statement_cancels_at_once(api: Api) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    request = file_phone_request(agent, M1B_JOB)
    verify_by_code(api, agent, request["id"], M1B_JOB)

    body = approve(dp, escalate(agent, request["id"]))

    assert body["cancellation"]["final_date"] == "2026-12-14"
    assert body["cancellation"]["authority"] == "deal_processing_approval"
    assert body["cancellation"]["request_id"] == request["id"]
    assert body["request"]["outcome"] == "cancel_pending"
    assert agent.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "cancel_pending"
    kinds = [r["kind"] for r in trail(agent, M1B_JOB)]
    assert kinds.index("case_approved") < kinds.index("workflow_cancel_pending")
    assert closings(agent, M1B_JOB) == [(request["id"], "cancel_pending")]
    emails = [e["kind"] for e in agent.get(f"{API}/jobs/{M1B_JOB}/emails").json()]
    assert sorted(emails) == ["cancellation_notice", "dp_decision", "verification_code"]


def test_an_approved_sales_rep_request_never_cancels_the_job(api: Api) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    request = file_phone_request(agent, M1B_JOB, requester_role="sales_rep")

    body = approve(dp, escalate(agent, request["id"]))

    assert body["cancellation"] is None
    assert_problem(cancel(agent, request["id"], job_etag(agent, M1B_JOB)), 409, "not_verified")
    assert agent.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"


def test_a_denial_and_an_escalation_are_on_the_trail_with_the_request(api: Api) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    request = file_phone_request(agent, M1B_JOB)
    case = escalate(agent, request["id"])
    escalated = [r for r in trail(agent, M1B_JOB) if r["kind"] == "request_escalated"]
    assert [r["data"]["request_id"] for r in escalated] == [request["id"]]

    denied = dp.post(
        f"{API}/cases/{case['id']}/deny",
        json={"reason": "the invoice stands"},
        headers={"If-Match": f'"{case["version"]}"'},
    )

    assert denied.status_code == 200, denied.text
    assert closings(agent, M1B_JOB) == [(request["id"], "denied")]


def test_support_refused_by_a_stop_rule_closes_the_request_on_the_trail(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-007")  # rule 7: M2 with photos

    refused = cancel(agent, request["id"], job_etag(agent, "JOB-007"))

    assert assert_problem(refused, 409, "not_eligible")["rule_number"] == 7
    assert closings(agent, "JOB-007") == [(request["id"], "not_eligible")]


def installer_cancel(installer: TestClient, job_id: str) -> Any:
    return installer.post(
        f"{API}/jobs/{job_id}/cancel",
        json={"reason": "milestone_aged", "requester_name": "Ines Installer"},
        headers=if_match(installer, f"{API}/jobs/{job_id}/cancel"),
    )


def test_every_installer_closing_is_on_the_trail(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    agent = api.client(Role.AGENT)

    cancelled = installer_cancel(installer, "JOB-002")
    sales_phase = installer_cancel(installer, "JOB-005")
    stopped = installer_cancel(installer, "JOB-007")

    assert cancelled.status_code == 200, cancelled.text
    assert closings(agent, "JOB-002") == [(cancelled.json()["request_id"], "cancel_pending")]
    assert cancelled.json()["cancelled"]["authority"] == "installer_button"
    refused = assert_problem(sales_phase, 409, "written_request_required")
    assert closings(agent, "JOB-005") == [
        (refused["cancellation_request_id"], "written_request_required")
    ]
    assert assert_problem(stopped, 409, "not_eligible")["rule_number"] == 7
    [(_, outcome)] = closings(agent, "JOB-007")
    assert outcome == "not_eligible"


def test_an_installer_on_rule_5_leaves_its_request_open_for_support_to_escalate(
    api: Api,
) -> None:
    installer = api.client(Role.INSTALLER)
    agent = api.client(Role.AGENT)

    refused = installer_cancel(installer, M1B_JOB)

    assert assert_problem(refused, 409, "not_eligible")["rule_number"] == 5
    assert closings(agent, M1B_JOB) == []
    [open_request] = [
        r for r in agent.get(f"{API}/requests").json()["items"] if r["job_id"] == M1B_JOB
    ]
    assert open_request["requester_role"] == "installer"
    case = escalate(agent, open_request["id"])
    assert case["requested_by"] == "installer"
