"""Operations over HTTP, on SQLite and PostgreSQL: the outbox, policy versions, company holidays
(which move pending windows) and users with revocable tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from rescind.adapters.db.tables import OutboxMessageRow
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.domain.access import Role
from tests.api.conftest import API, Api, if_match

PROBLEM_JSON = "application/problem+json"


def assert_problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"/problems/{code}"
    assert problem["detail"]
    return problem


def send_codes(agent: TestClient, job_ids: list[str]) -> None:
    """One verification email per job, queued in this order."""
    for job_id in job_ids:
        filed = agent.post(
            f"{API}/requests",
            json={
                "job_id": job_id,
                "channel": "phone",
                "requester_role": "homeowner",
                "requester_name": "The Homeowner",
            },
        )
        assert filed.status_code == 201, filed.text
        sent = agent.post(f"{API}/requests/{filed.json()['id']}/verification/code")
        assert sent.status_code == 200, sent.text


def pending_by_email(agent: TestClient, job_id: str) -> dict[str, Any]:
    """A verified email request, cancelled: the job is in Cancel Pending."""
    job = agent.get(f"{API}/jobs/{job_id}")
    filed = agent.post(
        f"{API}/requests",
        json={
            "job_id": job_id,
            "channel": "email",
            "requester_role": "homeowner",
            "requester_name": job.json()["homeowner"]["name"],
            "statement": {"kind": "email", "content": "Please cancel my contract."},
        },
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    verified = agent.post(
        f"{API}/requests/{request_id}/verification/address-on-file",
        json={"sender": job.json()["homeowner"]["email"], "authenticated": True},
        headers=if_match(agent, f"{API}/requests/{request_id}/verification/address-on-file"),
    )
    assert verified.status_code == 200, verified.text
    cancelled = agent.post(
        f"{API}/requests/{request_id}/cancel", json={}, headers={"If-Match": job.headers["ETag"]}
    )
    assert cancelled.status_code == 200, cancelled.text
    result: dict[str, Any] = cancelled.json()
    return result


# --- outbox ----------------------------------------------------------------------------------


def test_the_outbox_pages_oldest_first_and_filters_by_status(api: Api) -> None:
    send_codes(api.client(Role.AGENT), ["JOB-001", "JOB-002", "JOB-005"])
    with api.ctx.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        uow.session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.job_id == "JOB-002")
            .values(status="sent", sent_at=datetime(2026, 11, 23, 15, 1, tzinfo=UTC))
        )
        uow.commit()
    back_office = api.client(Role.BACK_OFFICE)

    first = back_office.get(f"{API}/outbox", params={"limit": 2})
    assert first.status_code == 200, first.text
    second = back_office.get(
        f"{API}/outbox", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    sent = back_office.get(f"{API}/outbox", params={"status": "sent"})
    queued = back_office.get(f"{API}/outbox", params={"status": "queued"})

    assert [e["job_id"] for e in first.json()["items"]] == ["JOB-001", "JOB-002"]
    assert [e["job_id"] for e in second.json()["items"]] == ["JOB-005"]
    assert second.json()["next_cursor"] is None
    assert [(e["job_id"], e["status"]) for e in sent.json()["items"]] == [("JOB-002", "sent")]
    assert [e["job_id"] for e in queued.json()["items"]] == ["JOB-001", "JOB-005"]
    email = first.json()["items"][0]
    assert (email["kind"], email["sender"], email["to"]) == (
        "verification_code",
        "ho_outbound",
        ["ada.1@home.example"],
    )
    # The code itself never leaves through the API.
    assert "code" not in email
    assert "context" not in email


def test_the_outbox_is_for_the_back_office_roles_and_checks_its_parameters(api: Api) -> None:
    for role in (Role.INSTALLER, Role.SALES_REP, Role.HOMEOWNER):
        assert_problem(api.client(role).get(f"{API}/outbox"), 403, "forbidden")
    admin = api.client(Role.ADMIN)
    for params in (
        {"status": "lost"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "abc"},
    ):
        assert_problem(admin.get(f"{API}/outbox", params=params), 422, "invalid_input")
    # Past any row number: well-formed, but never a cursor we gave out.
    past = admin.get(f"{API}/outbox", params={"cursor": "2147483648"})
    assert_problem(past, 404, "not_found")
    assert admin.get(f"{API}/outbox").json() == {"items": [], "next_cursor": None}


# --- policies --------------------------------------------------------------------------------


def test_an_admin_publishes_a_future_policy_version_and_everyone_can_read_it(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    v1 = admin.get(f"{API}/policies/1").json()

    answer = admin.post(
        f"{API}/policies",
        json={"document": v1["document"], "effective_at": "2027-01-01T00:00:00-05:00"},
    )

    assert answer.status_code == 201, answer.text
    v2 = answer.json()
    assert (v2["version"], v2["effective_at"]) == (2, "2027-01-01T05:00:00Z")
    assert answer.headers["Location"] == f"{API}/policies/2"
    installer = api.client(Role.INSTALLER)
    assert [p["version"] for p in installer.get(f"{API}/policies").json()] == [1, 2]
    assert installer.get(f"{API}/policies/2").json() == v2
    # Decisions now still use version 1; version 2 governs from its effective moment.
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-002/eligibility").json()["policy_version"] == 1
    assert_problem(installer.get(f"{API}/policies/3"), 404, "not_found")


def test_publishing_is_refused_for_non_admins_bad_tables_and_past_moments(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    document = admin.get(f"{API}/policies/1").json()["document"]
    future = "2027-01-01T00:00:00+00:00"

    for role in (Role.AGENT, Role.DEAL_PROCESSING, Role.INSTALLER):
        assert_problem(
            api.client(role).post(f"{API}/policies", json={"document": document}),
            403,
            "forbidden",
        )
    incomplete = {**document, "rules": document["rules"][:3]}
    problem = assert_problem(
        admin.post(f"{API}/policies", json={"document": incomplete, "effective_at": future}),
        422,
        "policy_invalid",
    )
    assert "incomplete" in problem["detail"]
    assert_problem(
        admin.post(f"{API}/policies", json={"document": {"rules": []}}), 422, "policy_invalid"
    )
    past = admin.post(
        f"{API}/policies", json={"document": document, "effective_at": "2026-01-01T00:00:00Z"}
    )
    assert [e["field"] for e in assert_problem(past, 422, "invalid_input")["errors"]] == [
        "effective_at"
    ]
    naive = admin.post(
        f"{API}/policies", json={"document": document, "effective_at": "2027-01-01T00:00:00"}
    )
    assert_problem(naive, 422, "invalid_input")
    nul = {**document, "name": "v2\x00"}
    assert_problem(admin.post(f"{API}/policies", json={"document": nul}), 422, "invalid_input")
    assert [p["version"] for p in admin.get(f"{API}/policies").json()] == [1]


# --- holidays --------------------------------------------------------------------------------


def test_a_company_holiday_moves_a_pending_window_and_removing_it_moves_it_back(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    assert pending_by_email(agent, "JOB-002")["final_date"] == "2026-12-14"
    admin = api.client(Role.ADMIN)
    before = admin.get(f"{API}/holidays").json()
    assert before["holidays"] == []
    version = before["calendar_version"]

    added = admin.post(f"{API}/holidays", json={"day": "2026-12-01", "name": "Company retreat"})

    assert added.status_code == 200, added.text
    assert added.json() == {"calendar_version": version + 1, "windows_moved": 1}
    assert agent.get(f"{API}/jobs/JOB-002").json()["final_date"] == "2026-12-15"
    assert agent.get(f"{API}/holidays").json() == {
        "calendar_version": version + 1,
        "holidays": [{"day": "2026-12-01", "name": "Company retreat"}],
    }

    removed = admin.delete(f"{API}/holidays/2026-12-01")

    assert removed.status_code == 200, removed.text
    assert removed.json() == {"calendar_version": version + 2, "windows_moved": 1}
    assert agent.get(f"{API}/jobs/JOB-002").json()["final_date"] == "2026-12-14"
    assert agent.get(f"{API}/holidays").json() == {
        "calendar_version": version + 2,
        "holidays": [],
    }
    moves = [
        r["data"]
        for r in agent.get(f"{API}/jobs/JOB-002/audit").json()["items"]
        if r["kind"] == "window_recomputed"
    ]
    assert len(moves) == 2


def test_the_holiday_preview_names_the_windows_that_would_move_and_writes_nothing(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    pending_by_email(agent, "JOB-002")
    admin = api.client(Role.ADMIN)
    version = admin.get(f"{API}/holidays").json()["calendar_version"]
    query = {"day": "2026-12-01", "name": "Company retreat"}

    preview = admin.get(f"{API}/holidays/preview", params=query)

    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "day": "2026-12-01",
        "name": "Company retreat",
        "change": "add",
        "calendar_version": version,
        "windows_moved": 1,
        "moves": [
            {
                "job_id": "JOB-002",
                "from_final_at": "2026-12-15T05:00:00Z",
                "to_final_at": "2026-12-16T05:00:00Z",
                "from_final_date": "2026-12-14",
                "to_final_date": "2026-12-15",
            }
        ],
    }
    # Nothing was written: the job, the calendar and the system trail are as they were.
    assert agent.get(f"{API}/jobs/JOB-002").json()["final_date"] == "2026-12-14"
    assert admin.get(f"{API}/holidays").json()["calendar_version"] == version
    # The change then does what the preview said, and the removal's preview says the reverse.
    added = admin.post(f"{API}/holidays", json=query)
    assert added.json()["windows_moved"] == preview.json()["windows_moved"]
    assert agent.get(f"{API}/jobs/JOB-002").json()["final_date"] == "2026-12-15"
    back = admin.get(f"{API}/holidays/preview", params={"day": "2026-12-01", "change": "remove"})
    assert back.status_code == 200, back.text
    [move] = back.json()["moves"]
    assert (move["from_final_date"], move["to_final_date"]) == ("2026-12-15", "2026-12-14")
    assert back.json()["name"] == "Company retreat"
    # A day off that moves no window (after every window has ended) moves none.
    far = admin.get(f"{API}/holidays/preview", params={"day": "2027-03-01", "name": "Far off"})
    assert far.json()["windows_moved"] == 0


def test_the_holiday_preview_refuses_what_the_change_would_refuse(api: Api) -> None:
    agent = api.client(Role.AGENT)
    assert_problem(
        agent.get(f"{API}/holidays/preview", params={"day": "2026-12-01", "name": "x"}),
        403,
        "forbidden",
    )
    admin = api.client(Role.ADMIN)
    blank = admin.get(f"{API}/holidays/preview", params={"day": "2026-12-01", "name": " "})
    assert assert_problem(blank, 422, "invalid_input")["errors"][0]["field"] == "name"
    missing = {"day": "2026-12-02", "change": "remove"}
    assert_problem(admin.get(f"{API}/holidays/preview", params=missing), 404, "not_found")
    day = {"day": "2026-12-24", "name": "Christmas Eve"}
    assert admin.post(f"{API}/holidays", json=day).status_code == 200
    twice = admin.get(f"{API}/holidays/preview", params=day)
    # A day that is a holiday already is a fact of the data: 409, as adding it again is.
    assert assert_problem(twice, 409, "already_exists")["errors"][0]["field"] == "day"
    empty = admin.get(f"{API}/holidays/preview", params={"day": "2026-12-01", "name": ""})
    assert assert_problem(empty, 422, "invalid_input")["errors"][0]["field"] == "name"


def test_the_holiday_preview_of_an_addition_may_leave_the_name_out(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    schema = admin.get(f"{API}/openapi.json").json()
    params = schema["paths"][f"{API}/holidays/preview"]["get"]["parameters"]
    name = next(p for p in params if p["name"] == "name")
    assert not name.get("required", False)
    assert name["schema"]["minLength"] == 1

    unnamed = admin.get(f"{API}/holidays/preview", params={"day": "2026-12-01"})

    assert unnamed.status_code == 200, unnamed.text
    assert unnamed.json()["change"] == "add"
    assert unnamed.json()["windows_moved"] >= 0


def test_only_admins_change_holidays_and_bad_days_are_refused(api: Api) -> None:
    agent = api.client(Role.AGENT)
    assert_problem(
        agent.post(f"{API}/holidays", json={"day": "2026-12-01", "name": "Nope"}), 403, "forbidden"
    )
    assert_problem(agent.delete(f"{API}/holidays/2026-12-01"), 403, "forbidden")
    admin = api.client(Role.ADMIN)
    for body in ({"day": "2026-13-01", "name": "x"}, {"day": "2026-12-01", "name": ""}):
        assert_problem(admin.post(f"{API}/holidays", json=body), 422, "invalid_input")
    assert_problem(admin.delete(f"{API}/holidays/someday"), 422, "invalid_input")
    assert_problem(admin.delete(f"{API}/holidays/2026-12-02"), 404, "not_found")
    day = {"day": "2026-12-24", "name": "Christmas Eve"}
    assert admin.post(f"{API}/holidays", json=day).status_code == 200
    # A valid day that is a holiday already: a conflict with the calendar, not bad input.
    again = assert_problem(admin.post(f"{API}/holidays", json=day), 409, "already_exists")
    assert [e["field"] for e in again["errors"]] == ["day"]


# --- users -----------------------------------------------------------------------------------


def log_in(api: Api, username: str, password: str) -> Any:
    return api.anonymous().post(
        f"{API}/auth/token", json={"username": username, "password": password}
    )


def test_an_admin_creates_lists_revokes_and_deactivates_a_user(api: Api) -> None:
    admin = api.client(Role.ADMIN)

    created = admin.post(
        f"{API}/users",
        json={
            "username": "sunny-ops",
            "password": "a long passphrase",
            "role": "installer",
            "display_name": "Sunny Roofs operations",
            "scope_id": "INST-1",
        },
    )

    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["role"], user["scope_id"], user["active"]) == ("installer", "INST-1", True)
    assert "password" not in str(user)
    assert user["id"] in [u["id"] for u in admin.get(f"{API}/users").json()["items"]]
    token = log_in(api, "sunny-ops", "a long passphrase").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = api.anonymous().get(f"{API}/auth/me", headers=bearer)
    assert me.json()["username"] == "sunny-ops"

    revoked = admin.post(f"{API}/users/{user['id']}/revoke-tokens")

    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"revoked": 1}
    refused = api.anonymous().get(f"{API}/jobs", headers=bearer)
    assert "log in again" in assert_problem(refused, 401, "unauthenticated")["detail"]
    assert refused.headers["WWW-Authenticate"] == "Bearer"

    second = log_in(api, "sunny-ops", "a long passphrase").json()["access_token"]
    deactivated = admin.post(f"{API}/users/{user['id']}/deactivate")

    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    assert_problem(
        api.anonymous().get(f"{API}/jobs", headers={"Authorization": f"Bearer {second}"}),
        401,
        "unauthenticated",
    )
    assert_problem(log_in(api, "sunny-ops", "a long passphrase"), 401, "unauthenticated")


def test_users_are_managed_by_admins_only_and_bad_users_are_refused(api: Api) -> None:
    for role in (Role.AGENT, Role.BACK_OFFICE, Role.HOMEOWNER):
        client = api.client(role)
        assert_problem(client.get(f"{API}/users"), 403, "forbidden")
        assert_problem(
            client.post(
                f"{API}/users",
                json={
                    "username": "mallory",
                    "password": "a long passphrase",
                    "role": "admin",
                    "display_name": "Mallory",
                },
            ),
            403,
            "forbidden",
        )
    admin = api.client(Role.ADMIN)
    good = {
        "username": "new-agent",
        "password": "a long passphrase",
        "role": "agent",
        "display_name": "New Agent",
    }
    for changes, field in (
        ({"role": "installer"}, "scope_id"),  # a scoped role needs its scope
        ({"scope_id": "INST-1"}, "scope_id"),  # an agent has none
        ({"password": "short"}, "password"),
        ({"role": "system"}, "body.role"),
    ):
        problem = assert_problem(
            admin.post(f"{API}/users", json={**good, **changes}), 422, "invalid_input"
        )
        assert [e["field"] for e in problem["errors"]] == [field], changes
    # A valid username another user has: a conflict with the data, not bad input.
    taken = assert_problem(
        admin.post(f"{API}/users", json={**good, "username": "agent"}), 409, "already_exists"
    )
    assert [e["field"] for e in taken["errors"]] == ["username"]
    me = admin.get(f"{API}/auth/me").json()
    # Refused by the data (who is asking), not by the schema: 409.
    assert_problem(admin.post(f"{API}/users/{me['id']}/deactivate"), 409, "not_allowed")
    assert_problem(admin.post(f"{API}/users/USR-nobody/revoke-tokens"), 404, "not_found")
    assert [u["username"] for u in admin.get(f"{API}/users").json()["items"]].count(
        "new-agent"
    ) == 0
