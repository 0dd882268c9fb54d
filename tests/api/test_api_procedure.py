"""The whole procedure over HTTP, on SQLite and PostgreSQL: from filing a request to Cancel
Pending, the refusals on the way, restore, escalation, and the safe-write rules (If-Match,
Idempotency-Key) that keep retries and races from doing anything twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from rescind.adapters.mail.inbound import parse_email
from rescind.domain.access import Role
from rescind.services.inbound import Received, receive_email
from tests.api.conftest import API, Api, if_match

PROBLEM_JSON = "application/problem+json"


def file_phone_request(agent: TestClient, job_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_id": job_id,
        "channel": "phone",
        "requester_role": "homeowner",
        "requester_name": "The Homeowner",
        "statement": {"kind": "chat_transcript", "content": "Please cancel my contract."},
    }
    body.update(changes)
    answer = agent.post(f"{API}/requests", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def verify_by_code(api: Api, agent: TestClient, request_id: str, job_id: str) -> None:
    sent = agent.post(f"{API}/requests/{request_id}/verification/code")
    assert sent.status_code == 200, sent.text
    confirmed = agent.post(
        f"{API}/requests/{request_id}/verification/code/confirm",
        json={"code": api.code_sent_for(job_id)},
        headers=if_match(agent, f"{API}/requests/{request_id}/verification/code/confirm"),
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["verified"] is True


def job_etag(client: TestClient, job_id: str) -> str:
    answer = client.get(f"{API}/jobs/{job_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.headers["ETag"])


def cancel(client: TestClient, request_id: str, etag: str, **headers: str) -> Any:
    return client.post(
        f"{API}/requests/{request_id}/cancel",
        json={"reason": "homeowner changed their mind"},
        headers={"If-Match": etag, **headers},
    )


def verified_pending_job(api: Api, agent: TestClient, job_id: str) -> dict[str, Any]:
    request = file_phone_request(agent, job_id)
    verify_by_code(api, agent, request["id"], job_id)
    answer = cancel(agent, request["id"], job_etag(agent, job_id))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def assert_problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"/problems/{code}"
    assert problem["status"] == status
    assert problem["detail"]
    return problem


# --- the procedure ---------------------------------------------------------------------------


def test_a_phone_request_verified_by_code_is_cancel_pending_until_the_end_of_dec_14(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    filed = agent.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-002",
            "channel": "phone",
            "requester_role": "homeowner",
            "requester_name": "Ben Reyes",
        },
    )
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert filed.headers["Location"] == f"{API}/requests/{request['id']}"
    assert filed.headers["ETag"] == '"0"'
    assert request["outcome"] == "open"
    assert request["verified"] is False

    sent = agent.post(f"{API}/requests/{request['id']}/verification/code")
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent_to"] == "ben.2@home.example"
    code = api.code_sent_for("JOB-002")
    assert code not in sent.text.replace(request["id"], "")
    confirmed = agent.post(
        f"{API}/requests/{request['id']}/verification/code/confirm",
        json={"code": code},
        headers=if_match(agent, f"{API}/requests/{request['id']}/verification/code/confirm"),
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["verification_method"] == "code"

    # Without the written statement, nothing is cancelled.
    refused = cancel(agent, request["id"], job_etag(agent, "JOB-002"))
    assert_problem(refused, 409, "written_statement_missing")
    current = agent.get(f"{API}/requests/{request['id']}")
    attached = agent.post(
        f"{API}/requests/{request['id']}/statement",
        json={"kind": "chat_transcript", "content": "I want to cancel, Ben Reyes."},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert attached.status_code == 200, attached.text
    assert attached.headers["ETag"] == f'"{attached.json()["version"]}"'

    answer = cancel(agent, request["id"], job_etag(agent, "JOB-002"))

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["already_pending"] is False
    assert "cancel pending until the end of 2026-12-14" in result["message"]
    assert result["decision"]["rule_number"] == 2
    job = agent.get(f"{API}/jobs/JOB-002").json()
    assert job["status"] == "cancel_pending"
    assert job["final_date"] == "2026-12-14"
    emails = agent.get(f"{API}/jobs/JOB-002/emails").json()
    notice = [e for e in emails if e["kind"] == "cancellation_notice"]
    assert len(notice) == 1
    assert notice[0]["to"] == ["ben.2@home.example"]
    assert sorted(notice[0]["cc"]) == ["ops@sunny.example", "sam@sales.example"]
    assert all("context" not in e for e in emails)
    feed = agent.get(f"{API}/jobs/JOB-002/feed").json()["items"]
    assert any("homeowner changed their mind" in c["body"] for c in feed)
    kinds = [r["kind"] for r in agent.get(f"{API}/jobs/JOB-002/audit").json()["items"]]
    assert "workflow_cancel_pending" in kinds
    assert agent.get(f"{API}/requests/{request['id']}").json()["outcome"] == "cancel_pending"


def test_a_beam_job_is_refused_with_rule_1_of_policy_1_as_a_problem(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-003")
    verify_by_code(api, agent, request["id"], "JOB-003")

    answer = cancel(agent, request["id"], job_etag(agent, "JOB-003"))

    problem = assert_problem(answer, 409, "not_eligible")
    assert problem["rule_number"] == 1
    assert problem["policy_version"] == 1
    assert problem["code"] == "not_eligible"
    assert agent.get(f"{API}/jobs/JOB-003").json()["status"] == "active"
    assert agent.get(f"{API}/requests/{request['id']}").json()["outcome"] == "not_eligible"


def test_an_email_request_from_the_address_on_file_is_verified_and_cancelled(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(
        agent,
        "JOB-002",
        channel="email",
        statement={
            "kind": "email",
            "content": "Please cancel.",
            "from_address": "ben.2@home.example",
        },
    )
    path = f"{API}/requests/{request['id']}/verification/address-on-file"
    read = if_match(agent, path)

    forged = agent.post(
        path, json={"sender": "ben.2@home.example", "authenticated": False}, headers=read
    )
    assert_problem(forged, 409, "not_verified")
    stranger = agent.post(
        path, json={"sender": "someone@else.example", "authenticated": True}, headers=read
    )
    assert_problem(stranger, 409, "not_verified")
    # A From header alone proves nothing: "not known" is not authenticated.
    unknown = agent.post(path, json={"sender": "ben.2@home.example"}, headers=read)
    assert (
        "a From header alone is no proof" in assert_problem(unknown, 409, "not_verified")["detail"]
    )
    verified = agent.post(
        path, json={"sender": "Ben.2@Home.Example", "authenticated": True}, headers=read
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["verification_method"] == "address_on_file"

    answer = cancel(agent, request["id"], job_etag(agent, "JOB-002"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["final_date"] == "2026-12-14"


def test_two_addresses_as_a_statements_from_or_a_sender_are_a_422_naming_the_field(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    two = "ben.2@home.example,attacker@evil.example"
    filing = {
        "job_id": "JOB-002",
        "channel": "email",
        "requester_role": "homeowner",
        "requester_name": "Ben Reyes",
        "statement": {"kind": "email", "content": "Please cancel.", "from_address": two},
    }

    refused = agent.post(f"{API}/requests", json=filing)

    problem = assert_problem(refused, 422, "invalid_input")
    (error,) = problem["errors"]
    assert error["field"] == "body.statement.from_address"
    assert f"{two!r} is not one valid email address" in error["message"]
    assert agent.get(f"{API}/jobs/JOB-002/requests").json() == []

    request = file_phone_request(agent, "JOB-002", channel="email")
    path = f"{API}/requests/{request['id']}/verification/address-on-file"
    read = if_match(agent, path)
    sender = agent.post(path, json={"sender": two, "authenticated": True}, headers=read)
    assert assert_problem(sender, 422, "invalid_input")["errors"][0]["field"] == "body.sender"
    assert agent.get(f"{API}/requests/{request['id']}").json()["verified"] is False


def test_a_pending_m1_review_is_rejected_and_submitted_before_the_cancel(api: Api) -> None:
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-001").json()["review_status"] == "pending_review"

    result = verified_pending_job(api, agent, "JOB-001")

    assert result["decision"]["steps_before_cancel"] == ["reject_all_review_items", "submit_review"]
    job = agent.get(f"{API}/jobs/JOB-001").json()
    assert job["review_status"] == "rejected"
    assert {i["status"] for i in job["review_items"]} == {"rejected"}
    kinds = [r["kind"] for r in agent.get(f"{API}/jobs/JOB-001/audit").json()["items"]]
    assert kinds.index("review_items_rejected") < kinds.index("workflow_cancel_pending")


def test_a_direct_pay_m1b_request_becomes_a_deal_processing_case(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-004")
    verify_by_code(api, agent, request["id"], "JOB-004")
    refused = cancel(agent, request["id"], job_etag(agent, "JOB-004"))
    assert assert_problem(refused, 409, "not_eligible")["rule_number"] == 5

    escalated = agent.post(
        f"{API}/requests/{request['id']}/escalation",
        json={"detail": "invoice uploaded"},
        headers=if_match(agent, f"{API}/requests/{request['id']}/escalation"),
    )

    assert escalated.status_code == 201, escalated.text
    case = escalated.json()
    assert escalated.headers["Location"] == f"{API}/cases/{case['id']}"
    assert case["queue"] == "back_office"
    assert case["requested_by"] == "homeowner"
    assert [a["team"] for a in case["assignments"]] == ["deal_processing"]
    assert [c["id"] for c in agent.get(f"{API}/jobs/JOB-004/cases").json()] == [case["id"]]
    again = agent.post(
        f"{API}/requests/{request['id']}/escalation",
        json={},
        headers=if_match(agent, f"{API}/requests/{request['id']}/escalation"),
    )
    assert_problem(again, 409, "not_allowed")
    not_m1b = file_phone_request(agent, "JOB-002")
    assert_problem(
        agent.post(
            f"{API}/requests/{not_m1b['id']}/escalation",
            json={},
            headers=if_match(agent, f"{API}/requests/{not_m1b['id']}/escalation"),
        ),
        409,
        "not_allowed",
    )


def test_deal_processing_approves_one_escalation_and_denies_another(api: Api) -> None:
    agent = api.client(Role.AGENT)
    dp = api.client(Role.DEAL_PROCESSING)
    cases = []
    # One open request per requester: the homeowner's (verified) and the sales rep's.
    for role in ("homeowner", "sales_rep"):
        request = file_phone_request(agent, "JOB-004", requester_role=role)
        if role == "homeowner":
            verify_by_code(api, agent, request["id"], "JOB-004")
        answer = agent.post(
            f"{API}/requests/{request['id']}/escalation",
            json={},
            headers=if_match(agent, f"{API}/requests/{request['id']}/escalation"),
        )
        assert answer.status_code == 201, answer.text
        cases.append(answer.json())
    approve, deny = cases

    denied = dp.post(
        f"{API}/cases/{deny['id']}/deny",
        json={"reason": "the equipment is installed"},
        headers={"If-Match": f'"{deny["version"]}"'},
    )
    assert denied.status_code == 200, denied.text
    assert denied.json()["status"] == "denied"
    assert agent.get(f"{API}/jobs/JOB-004").json()["status"] == "active"

    approved = dp.post(
        f"{API}/cases/{approve['id']}/approve",
        json={"note": "finance writes the invoice off"},
        headers={"If-Match": f'"{approve["version"]}"'},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["cancellation"]["final_date"] == "2026-12-14"
    assert agent.get(f"{API}/jobs/JOB-004").json()["status"] == "cancel_pending"
    emails = agent.get(f"{API}/jobs/JOB-004/emails").json()
    assert [e["kind"] for e in emails].count("dp_decision") == 2


def test_a_pending_job_is_restored_to_active_with_if_match(api: Api) -> None:
    agent = api.client(Role.AGENT)
    verified_pending_job(api, agent, "JOB-002")
    etag = job_etag(agent, "JOB-002")

    answer = agent.post(
        f"{API}/jobs/JOB-002/restore",
        json={"why": "the homeowner called back"},
        headers={"If-Match": etag},
    )

    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert job["status"] == "active"
    assert job["final_date"] is None
    assert answer.headers["ETag"] == f'"{job["version"]}"' != etag
    assert job_etag(agent, "JOB-002") == answer.headers["ETag"]
    restored_again = agent.post(
        f"{API}/jobs/JOB-002/restore",
        json={"why": "again"},
        headers={"If-Match": answer.headers["ETag"]},
    )
    assert_problem(restored_again, 409, "invalid_transition")


def test_a_second_cancel_of_a_pending_job_answers_already_pending_until_the_same_date(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    verified_pending_job(api, agent, "JOB-002")
    api.clock.advance(hours=2)

    second = verified_pending_job(api, agent, "JOB-002")

    assert second["already_pending"] is True
    assert second["message"] == (
        "job JOB-002 is already cancel pending until the end of 2026-12-14"
    )
    assert second["message_ids"] == []
    emails = agent.get(f"{API}/jobs/JOB-002/emails").json()
    assert [e["kind"] for e in emails].count("cancellation_notice") == 1
    requests = agent.get(f"{API}/jobs/JOB-002/requests").json()
    assert [r["outcome"] for r in requests] == ["cancel_pending", "already_pending"]


def test_a_job_whose_window_has_ended_cannot_be_restored(api: Api) -> None:
    agent = api.client(Role.AGENT)
    verified_pending_job(api, agent, "JOB-002")
    api.clock.advance(days=30)
    agent = api.client(Role.AGENT)  # the first token expired meanwhile

    job = agent.get(f"{API}/jobs/JOB-002")
    # No sweep ran: still cancel pending in the trail, so in the API, and final.
    assert job.json()["status"] == "cancel_pending"
    assert job.json()["finalization"] == "being_processed"
    answer = agent.post(
        f"{API}/jobs/JOB-002/restore",
        json={"why": "too late"},
        headers={"If-Match": job.headers["ETag"]},
    )

    problem = assert_problem(answer, 409, "invalid_transition")
    assert "can no longer be restored" in problem["detail"]


# --- verification, throttling ----------------------------------------------------------------


def test_a_wrong_code_is_a_409_with_the_attempts_left(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")
    agent.post(f"{API}/requests/{request['id']}/verification/code")
    wrong = "0000" if api.code_sent_for("JOB-002") != "0000" else "1111"

    answer = agent.post(
        f"{API}/requests/{request['id']}/verification/code/confirm",
        json={"code": wrong},
        headers=if_match(agent, f"{API}/requests/{request['id']}/verification/code/confirm"),
    )

    problem = assert_problem(answer, 409, "verification_failed")
    assert isinstance(problem["attempts_left"], int)
    assert problem["attempts_left"] >= 1
    assert agent.get(f"{API}/requests/{request['id']}").json()["verified"] is False


def test_code_guesses_beyond_the_limit_per_request_are_refused_with_429(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")
    agent.post(f"{API}/requests/{request['id']}/verification/code")
    path = f"{API}/requests/{request['id']}/verification/code/confirm"
    read = if_match(agent, path)
    statuses = [
        agent.post(path, json={"code": f"{n:04d}"}, headers=read).status_code for n in range(1, 7)
    ]

    assert statuses[-1] == 429
    assert set(statuses[:5]) <= {200, 409}
    throttled = agent.post(path, json={"code": api.code_sent_for("JOB-002")}, headers=read)
    assert_problem(throttled, 429, "rate_limited")
    assert int(throttled.headers["Retry-After"]) >= 1


def test_the_code_is_never_in_an_answer(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")
    sent = agent.post(f"{API}/requests/{request['id']}/verification/code")

    assert set(sent.json()) == {"request_id", "challenge_id", "expires_at", "sent_to"}
    emails = agent.get(f"{API}/jobs/JOB-002/emails").json()
    assert api.code_sent_for("JOB-002") not in str([e["kind"] for e in emails])
    assert all(set(e) >= {"message_id", "kind", "status"} and "context" not in e for e in emails)


# --- safe writes ----------------------------------------------------------------------------


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002")
    verify_by_code(api, agent, request["id"], "JOB-002")
    etag = job_etag(agent, "JOB-002")

    answer = cancel(agent, request["id"], f'"{int(etag.strip(chr(34))) + 1}"')

    assert_problem(answer, 412, "precondition_failed")
    assert agent.get(f"{API}/jobs/JOB-002").json()["status"] == "active"
    stale_statement = agent.post(
        f"{API}/requests/{request['id']}/statement",
        json={"kind": "email", "content": "cancel"},
        headers={"If-Match": '"0"'},
    )
    assert_problem(stale_statement, 412, "precondition_failed")
    malformed = cancel(agent, request["id"], "version three")
    assert_problem(malformed, 422, "invalid_input")


def test_a_retried_post_with_the_same_idempotency_key_replays_the_first_answer(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    body = {
        "job_id": "JOB-004",
        "channel": "phone",
        "requester_role": "homeowner",
        "requester_name": "Dev Patel",
    }
    key = {"Idempotency-Key": "file-JOB-004-1"}

    first = agent.post(f"{API}/requests", json=body, headers=key)
    retry = agent.post(f"{API}/requests", json=body, headers=key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Location"] == first.headers["Location"]
    assert len(agent.get(f"{API}/jobs/JOB-004/requests").json()) == 1

    request_id = first.json()["id"]
    code_key = {"Idempotency-Key": "code-1"}
    sent = [
        agent.post(f"{API}/requests/{request_id}/verification/code", headers=code_key)
        for _ in range(2)
    ]
    assert sent[0].json() == sent[1].json()
    emails = agent.get(f"{API}/jobs/JOB-004/emails").json()
    assert [e["kind"] for e in emails].count("verification_code") == 1

    case_key = {"Idempotency-Key": "escalate-1"}
    cases = [
        agent.post(
            f"{API}/requests/{request_id}/escalation",
            json={},
            headers={**case_key, **if_match(agent, f"{API}/requests/{request_id}/escalation")},
        )
        for _ in range(2)
    ]
    assert [c.status_code for c in cases] == [201, 201]
    assert cases[0].json() == cases[1].json()
    assert len(agent.get(f"{API}/jobs/JOB-004/cases").json()) == 1


def test_a_refusal_is_replayed_too_and_a_key_is_per_user(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-003")
    verify_by_code(api, agent, request["id"], "JOB-003")
    etag = job_etag(agent, "JOB-003")
    key = {"Idempotency-Key": "cancel-beam"}

    first = cancel(agent, request["id"], etag, **key)
    retry = cancel(agent, request["id"], etag, **key)

    assert first.status_code == retry.status_code == 409
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    other_user = api.client(Role.BACK_OFFICE).post(
        f"{API}/jobs/JOB-003/feed", json={"body": "note"}, headers=key
    )
    assert other_user.status_code == 201


def test_the_same_idempotency_key_with_another_body_is_a_422(api: Api) -> None:
    agent = api.client(Role.AGENT)
    key = {"Idempotency-Key": "one-key"}
    agent.post(f"{API}/jobs/JOB-002/feed", json={"body": "first"}, headers=key)

    answer = agent.post(f"{API}/jobs/JOB-002/feed", json={"body": "second"}, headers=key)

    assert_problem(answer, 409, "idempotency_key_reused")
    assert [c["body"] for c in agent.get(f"{API}/jobs/JOB-002/feed").json()["items"]] == ["first"]


# --- scope, roles ---------------------------------------------------------------------------


def test_an_installer_cancels_its_own_job_with_the_button_and_a_reason(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    etag = job_etag(installer, "JOB-002")
    missing_reason = installer.post(
        f"{API}/jobs/JOB-002/cancel",
        json={"reason": "other", "reason_text": " ", "requester_name": "Ines"},
        headers={"If-Match": etag},
    )
    assert_problem(missing_reason, 422, "invalid_input")

    answer = installer.post(
        f"{API}/jobs/JOB-002/cancel",
        json={"reason": "milestone_aged", "requester_name": "Ines Installer"},
        headers={"If-Match": etag},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["cancelled"]["final_date"] == "2026-12-14"
    assert "cancel pending until the end of 2026-12-14" in answer.json()["message"]
    assert installer.get(f"{API}/jobs/JOB-002").json()["status"] == "cancel_pending"


def test_an_installer_outside_the_operations_phase_is_told_a_written_request_is_required(
    api: Api,
) -> None:
    installer = api.client(Role.INSTALLER)

    answer = installer.post(
        f"{API}/jobs/JOB-005/cancel",
        json={"reason": "homeowner_request_cancellation", "requester_name": "Ines"},
        headers=if_match(installer, f"{API}/jobs/JOB-005/cancel"),
    )

    # A refusal, not a success: its own problem type, in words written for the installer.
    problem = assert_problem(answer, 409, "written_request_required")
    assert "written cancellation request from the homeowner" in problem["detail"]
    assert problem["title"] == "A written request from the homeowner is required"
    # The click is on record, closed with its reason, and the installer is told by email too.
    [filed] = installer.get(f"{API}/jobs/JOB-005/requests").json()
    assert filed["id"] == problem["cancellation_request_id"]
    assert filed["outcome"] == "written_request_required"
    assert installer.get(f"{API}/jobs/JOB-005").json()["status"] == "active"
    emails = api.client(Role.AGENT).get(f"{API}/jobs/JOB-005/emails").json()
    assert [e["kind"] for e in emails] == ["written_request_required"]


def test_an_installer_cannot_see_or_cancel_another_companys_job(api: Api) -> None:
    installer = api.client(Role.INSTALLER)

    cancelled = installer.post(
        f"{API}/jobs/JOB-006/cancel",
        json={"reason": "milestone_aged", "requester_name": "Ines"},
        headers=if_match(installer, f"{API}/jobs/JOB-006/cancel"),
    )
    seen = installer.get(f"{API}/jobs/JOB-006")
    missing = installer.get(f"{API}/jobs/JOB-999")

    assert_problem(cancelled, 404, "not_found")
    assert_problem(seen, 404, "not_found")
    assert seen.json()["detail"] == missing.json()["detail"].replace("JOB-999", "JOB-006")
    for path in ("requests", "feed", "cases", "eligibility"):
        assert_problem(installer.get(f"{API}/jobs/JOB-006/{path}"), 404, "not_found")
    filed = installer.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-006",
            "channel": "installer_portal",
            "requester_role": "installer",
            "requester_name": "Ines",
        },
    )
    assert_problem(filed, 404, "not_found")


def test_a_request_on_another_companys_job_is_not_found_for_the_installer(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-006")
    installer = api.client(Role.INSTALLER)

    assert_problem(installer.get(f"{API}/requests/{request['id']}"), 404, "not_found")
    own = file_phone_request(agent, "JOB-002")
    assert installer.get(f"{API}/requests/{own['id']}").status_code == 200


def test_roles_without_the_permission_are_forbidden(api: Api) -> None:
    installer = api.client(Role.INSTALLER)
    homeowner = api.client(Role.HOMEOWNER)
    admin = api.client(Role.ADMIN)
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-001")

    assert_problem(installer.get(f"{API}/jobs/JOB-002/emails"), 403, "forbidden")
    assert_problem(installer.get(f"{API}/jobs/JOB-002/audit"), 403, "forbidden")
    assert_problem(installer.get(f"{API}/requests"), 403, "forbidden")
    assert_problem(
        installer.post(
            f"{API}/requests/{request['id']}/cancel",
            json={},
            headers=if_match(installer, f"{API}/requests/{request['id']}/cancel"),
        ),
        403,
        "forbidden",
    )
    assert_problem(
        homeowner.post(f"{API}/requests/{request['id']}/verification/code"), 403, "forbidden"
    )
    assert_problem(
        agent.post(
            f"{API}/jobs/JOB-002/cancel",
            json=_button(),
            headers=if_match(agent, f"{API}/jobs/JOB-002/cancel"),
        ),
        403,
        "forbidden",
    )
    assert_problem(
        admin.post(
            f"{API}/jobs/JOB-002/restore",
            json={"why": "x"},
            headers=if_match(admin, f"{API}/jobs/JOB-002/restore"),
        ),
        403,
        "forbidden",
    )
    as_someone_else = installer.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-002",
            "channel": "installer_portal",
            "requester_role": "homeowner",
            "requester_name": "Ines",
        },
    )
    assert_problem(as_someone_else, 403, "forbidden")


def _button() -> dict[str, str]:
    return {"reason": "milestone_aged", "requester_name": "Alex Agent"}


def test_the_homeowner_reads_back_the_code_themself(api: Api) -> None:
    agent = api.client(Role.AGENT)
    homeowner = api.client(Role.HOMEOWNER)
    request = file_phone_request(agent, "JOB-001")
    agent.post(f"{API}/requests/{request['id']}/verification/code")

    answer = homeowner.post(
        f"{API}/requests/{request['id']}/verification/code/confirm",
        json={"code": api.code_sent_for("JOB-001")},
        headers=if_match(homeowner, f"{API}/requests/{request['id']}/verification/code/confirm"),
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["verified"] is True


def test_open_requests_are_listed_earliest_due_first(api: Api) -> None:
    agent = api.client(Role.AGENT)
    first = file_phone_request(agent, "JOB-002")
    api.clock.advance(hours=1)
    second = file_phone_request(agent, "JOB-001")
    api.clock.advance(timedelta(hours=1))

    listed = agent.get(f"{API}/requests", params={"open": "true", "limit": 10})

    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["items"]] == [first["id"], second["id"]]
    assert [r["id"] for r in agent.get(f"{API}/requests?limit=1").json()["items"]] == [first["id"]]
    assert_problem(agent.get(f"{API}/requests?open=false"), 422, "invalid_input")


# --- errors ---------------------------------------------------------------------------------


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    answer = api.client(Role.AGENT).get(f"{API}/no/such/thing")

    assert_problem(answer, 404, "not_found")


def test_a_missing_token_is_a_401_problem(api: Api) -> None:
    answer = api.anonymous().get(f"{API}/jobs")

    assert_problem(answer, 401, "unauthenticated")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_validation_error_lists_the_bad_fields(api: Api) -> None:
    agent = api.client(Role.AGENT)

    answer = agent.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-002",
            "channel": "pigeon",
            "requester_role": "homeowner",
            "surprise": 1,
        },
    )

    problem = assert_problem(answer, 422, "invalid_input")
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.channel", "body.requester_name", "body.surprise"} <= fields
    assert all(e["message"] for e in problem["errors"])
    nul = agent.post(f"{API}/jobs/JOB-002/feed", json={"body": "a\x00b"})
    assert_problem(nul, 422, "invalid_input")
    notice = file_phone_request(agent, "JOB-002")
    without_postmark = agent.post(
        f"{API}/requests/{notice['id']}/statement",
        json={"kind": "mail_notice", "content": "Notice of Cancellation"},
        headers=if_match(agent, f"{API}/requests/{notice['id']}/statement"),
    )
    assert_problem(without_postmark, 422, "invalid_input")


def received(api: Api, authentication: str, message_id: str) -> Received:
    raw = (
        f"Authentication-Results: {authentication}\r\n"
        "From: Ben <ben.2@home.example>\r\nTo: support@rescind.example\r\n"
        f"Subject: Cancel JOB-002\r\nMessage-ID: {message_id}\r\n\r\nPlease cancel.\r\n"
    ).encode()
    return receive_email(api.ctx, parse_email(raw, authserv_ids=("mx.rescind.example",)), raw)


def test_a_request_filed_from_an_email_says_why_it_is_or_is_not_verified(api: Api) -> None:
    agent = api.client(Role.AGENT)
    passed = received(api, "mx.rescind.example; dmarc=pass header.from=home.example", "<p@x>")
    # One open request per requester: the homeowner withdraws the first before writing again
    # (a day later, so the second is not the first sent twice).
    first = agent.get(f"{API}/requests/{passed.request_id}").json()
    closed = agent.post(
        f"{API}/requests/{first['id']}/close",
        json={"reason": "withdrawn"},
        headers={"If-Match": f'"{first["version"]}"'},
    )
    assert closed.status_code == 200, closed.text
    api.clock.advance(days=1)
    unaligned = received(api, "mx.rescind.example; spf=pass smtp.mailfrom=evil.example", "<u@x>")

    assert unaligned.request_id, unaligned
    agent = api.client(Role.AGENT)  # a day on: a fresh login
    shown = [agent.get(f"{API}/requests/{r.request_id}").json() for r in (passed, unaligned)]

    assert [(r["verified"], r["verification_note"]) for r in shown] == [
        (True, "DMARC pass for home.example by mx.rescind.example"),
        (False, "SPF pass for evil.example is not aligned with From domain home.example"),
    ]
