"""Cases and queues over HTTP, on SQLite and PostgreSQL: a Direct Pay M1B escalation sits in
both queues, Deal Processing approves or denies it, Back Office moves it, and stale or repeated
decisions are refused."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.conftest import if_match as read_if_match

PROBLEM_JSON = "application/problem+json"
M1B_JOB = "JOB-004"  # Direct Pay M1B with the invoice uploaded (rule 5)


def escalate(agent: TestClient, *, requester_role: str = "sales_rep") -> dict[str, Any]:
    filed = agent.post(
        f"{API}/requests",
        json={
            "job_id": M1B_JOB,
            "channel": "phone",
            "requester_role": requester_role,
            "requester_name": "Sam Rep",
        },
    )
    assert filed.status_code == 201, filed.text
    answer = agent.post(
        f"{API}/requests/{filed.json()['id']}/escalation",
        json={},
        headers=read_if_match(agent, f"{API}/requests/{filed.json()['id']}/escalation"),
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    return case


def if_match(case: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{case["version"]}"'}


def assert_problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"/problems/{code}"
    assert problem["detail"]
    return problem


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def test_an_m1b_escalation_is_in_the_back_office_queue_and_deal_processings_queue(
    api: Api,
) -> None:
    case = escalate(api.client(Role.AGENT))

    assert ids(api.client(Role.BACK_OFFICE).get(f"{API}/queues/back_office")) == [case["id"]]
    assert ids(api.client(Role.DEAL_PROCESSING).get(f"{API}/queues/deal_processing")) == [
        case["id"]
    ]
    read = api.client(Role.BACK_OFFICE).get(f"{API}/cases/{case['id']}")
    assert read.status_code == 200, read.text
    assert read.headers["ETag"] == f'"{case["version"]}"'
    assert read.json() == case


def test_queues_list_the_oldest_case_first(api: Api) -> None:
    agent = api.client(Role.AGENT)
    first = escalate(agent)
    api.clock.advance(minutes=5)
    second = escalate(agent, requester_role="installer")

    assert ids(agent.get(f"{API}/queues/back_office")) == [first["id"], second["id"]]


def test_deal_processing_approval_is_recorded_and_told_but_waits_for_verification(
    api: Api,
) -> None:
    case = escalate(api.client(Role.AGENT))
    dp = api.client(Role.DEAL_PROCESSING)

    answer = dp.post(
        f"{API}/cases/{case['id']}/approve",
        json={"note": "finance writes it off"},
        headers=if_match(case),
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["case"]["status"] == "approved"
    assert body["case"]["decision_reason"] == "finance writes it off"
    assert answer.headers["ETag"] == f'"{body["case"]["version"]}"'
    # A sales rep's request cannot be verified as the homeowner's: nothing is cancelled.
    assert body["cancellation"] is None
    assert body["message"] == (
        f"request {case['request_id']}: approved by Deal Processing — verify the homeowner to "
        "cancel"
    )
    assert dp.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"
    request = dp.get(f"{API}/requests/{case['request_id']}").json()
    assert (request["outcome"], request["approved_by_case_id"]) == ("escalated", case["id"])
    decisions = [
        e
        for e in dp.get(f"{API}/outbox", params={"status": "queued"}).json()["items"]
        if e["kind"] == "dp_decision"
    ]
    assert [(e["job_id"], e["to"]) for e in decisions] == [(M1B_JOB, ["sam@sales.example"])]
    assert ids(dp.get(f"{API}/queues/deal_processing")) == []
    assert ids(dp.get(f"{API}/queues/back_office")) == []


def test_deal_processing_denies_with_the_reason_the_requester_is_told(api: Api) -> None:
    case = escalate(api.client(Role.AGENT), requester_role="homeowner")
    dp = api.client(Role.DEAL_PROCESSING)

    answer = dp.post(
        f"{API}/cases/{case['id']}/deny",
        json={"reason": "the equipment is installed; the invoice stands"},
        headers=if_match(case),
    )

    assert answer.status_code == 200, answer.text
    denied = answer.json()
    assert (denied["status"], denied["decision_reason"]) == (
        "denied",
        "the equipment is installed; the invoice stands",
    )
    assert denied["decided_by"] == "deal_processing:deal_processing"
    assert dp.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"
    request = dp.get(f"{API}/requests/{case['request_id']}").json()
    assert request["outcome"] == "denied"
    assert "the invoice stands" in request["outcome_detail"]
    emails = dp.get(f"{API}/jobs/{M1B_JOB}/emails").json()
    assert [(e["kind"], e["to"]) for e in emails] == [("dp_decision", ["dev.4@home.example"])]


def test_a_denial_without_a_reason_is_refused_with_the_field_named(api: Api) -> None:
    case = escalate(api.client(Role.AGENT))
    dp = api.client(Role.DEAL_PROCESSING)

    missing = dp.post(
        f"{API}/cases/{case['id']}/deny",
        json={},
        headers=read_if_match(dp, f"{API}/cases/{case['id']}/deny"),
    )
    blank = dp.post(
        f"{API}/cases/{case['id']}/deny",
        json={"reason": "   "},
        headers=read_if_match(dp, f"{API}/cases/{case['id']}/deny"),
    )

    assert [e["field"] for e in assert_problem(missing, 422, "invalid_input")["errors"]] == [
        "body.reason"
    ]
    assert [e["field"] for e in assert_problem(blank, 422, "invalid_input")["errors"]] == ["reason"]
    assert dp.get(f"{API}/cases/{case['id']}").json()["status"] == "open"


def test_only_deal_processing_decides_and_scoped_people_do_not_see_cases(api: Api) -> None:
    case = escalate(api.client(Role.AGENT))

    for role in (Role.AGENT, Role.BACK_OFFICE, Role.ADMIN):
        client = api.client(role)
        assert_problem(
            client.post(
                f"{API}/cases/{case['id']}/approve",
                headers=read_if_match(client, f"{API}/cases/{case['id']}/approve"),
            ),
            403,
            "forbidden",
        )
        assert_problem(
            client.post(
                f"{API}/cases/{case['id']}/deny",
                json={"reason": "no"},
                headers=read_if_match(client, f"{API}/cases/{case['id']}/deny"),
            ),
            403,
            "forbidden",
        )
    # JOB-004 is not the homeowner user's own job: the case does not exist for them.
    homeowner = api.client(Role.HOMEOWNER)
    assert_problem(homeowner.get(f"{API}/cases/{case['id']}"), 404, "not_found")
    assert_problem(
        homeowner.post(
            f"{API}/cases/{case['id']}/approve",
            headers=read_if_match(homeowner, f"{API}/cases/{case['id']}/approve"),
        ),
        404,
        "not_found",
    )
    # The installer's own company's job: it may read the case but not decide or queue-read.
    installer = api.client(Role.INSTALLER)
    assert installer.get(f"{API}/cases/{case['id']}").status_code == 200
    assert_problem(
        installer.post(
            f"{API}/cases/{case['id']}/approve",
            headers=read_if_match(installer, f"{API}/cases/{case['id']}/approve"),
        ),
        403,
        "forbidden",
    )
    assert_problem(installer.get(f"{API}/queues/back_office"), 403, "forbidden")
    assert api.client(Role.AGENT).get(f"{API}/cases/{case['id']}").json()["status"] == "open"


def test_approving_twice_is_refused_and_a_retry_with_the_key_replays_the_first_answer(
    api: Api,
) -> None:
    case = escalate(api.client(Role.AGENT))
    dp = api.client(Role.DEAL_PROCESSING)
    key = {"Idempotency-Key": "approve-1"}

    first = dp.post(
        f"{API}/cases/{case['id']}/approve",
        headers={**key, **read_if_match(dp, f"{API}/cases/{case['id']}/approve")},
    )
    retry = dp.post(
        f"{API}/cases/{case['id']}/approve",
        headers={**key, **read_if_match(dp, f"{API}/cases/{case['id']}/approve")},
    )
    again = dp.post(
        f"{API}/cases/{case['id']}/approve",
        headers=read_if_match(dp, f"{API}/cases/{case['id']}/approve"),
    )

    assert first.status_code == 200, first.text
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert "already approved" in assert_problem(again, 409, "invalid_transition")["detail"]
    trail = [r["kind"] for r in dp.get(f"{API}/jobs/{M1B_JOB}/audit").json()["items"]]
    assert trail.count("case_approved") == 1


def test_a_decision_on_a_stale_case_version_gets_412_and_changes_nothing(api: Api) -> None:
    case = escalate(api.client(Role.AGENT))
    back_office = api.client(Role.BACK_OFFICE)
    moved = back_office.post(
        f"{API}/cases/{case['id']}/reassign",
        json={"queue": "deal_processing"},
        headers=if_match(case),
    )
    assert moved.status_code == 200, moved.text
    dp = api.client(Role.DEAL_PROCESSING)

    stale = dp.post(
        f"{API}/cases/{case['id']}/approve",
        headers=if_match(case),
    )
    garbled = dp.post(f"{API}/cases/{case['id']}/approve", headers={"If-Match": "v1"})

    assert "reload it" in assert_problem(stale, 412, "precondition_failed")["detail"]
    assert_problem(garbled, 422, "invalid_input")
    assert dp.get(f"{API}/cases/{case['id']}").json()["status"] == "open"
    assert dp.get(f"{API}/jobs/{M1B_JOB}").json()["status"] == "active"


def test_back_office_reassigns_a_case_between_queues(api: Api) -> None:
    case = escalate(api.client(Role.AGENT))
    back_office = api.client(Role.BACK_OFFICE)

    answer = back_office.post(
        f"{API}/cases/{case['id']}/reassign",
        json={"queue": "deal_processing"},
        headers=if_match(case),
    )

    assert answer.status_code == 200, answer.text
    moved = answer.json()
    assert (moved["queue"], moved["version"]) == ("deal_processing", case["version"] + 1)
    assert answer.headers["ETag"] == f'"{moved["version"]}"'
    assert ids(back_office.get(f"{API}/queues/back_office")) == []
    assert ids(back_office.get(f"{API}/queues/deal_processing")) == [case["id"]]
    trail = back_office.get(f"{API}/jobs/{M1B_JOB}/audit").json()["items"]
    assert trail[-1]["kind"] == "case_reassigned"
    assert trail[-1]["data"] == {
        "case_id": case["id"],
        "from": "back_office",
        "to": "deal_processing",
    }
    dp = api.client(Role.DEAL_PROCESSING)
    assert_problem(
        dp.post(
            f"{API}/cases/{case['id']}/reassign",
            json={"queue": "back_office"},
            headers=read_if_match(dp, f"{API}/cases/{case['id']}/reassign"),
        ),
        403,
        "forbidden",
    )


def test_bad_queue_names_bodies_and_ids_are_problems_not_errors(api: Api) -> None:
    case = escalate(api.client(Role.AGENT))
    back_office = api.client(Role.BACK_OFFICE)

    assert_problem(back_office.get(f"{API}/queues/front_office"), 422, "invalid_input")
    assert_problem(
        back_office.post(
            f"{API}/cases/{case['id']}/reassign",
            json={"queue": "nowhere"},
            headers=read_if_match(back_office, f"{API}/cases/{case['id']}/reassign"),
        ),
        422,
        "invalid_input",
    )
    assert_problem(
        back_office.post(
            f"{API}/cases/{case['id']}/reassign",
            json={"queue": "back_office", "extra": 1},
            headers=read_if_match(back_office, f"{API}/cases/{case['id']}/reassign"),
        ),
        422,
        "invalid_input",
    )
    assert_problem(back_office.get(f"{API}/cases/CASE-nope"), 404, "not_found")
    assert_problem(api.anonymous().get(f"{API}/queues/back_office"), 401, "unauthenticated")
