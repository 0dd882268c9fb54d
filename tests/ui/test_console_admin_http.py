"""The admins' console pages over plain HTTP on SQLite and PostgreSQL (``tests/api``'s app):
what each form stored, read back through the API, the audit trail and a login."""

from __future__ import annotations

import re
import warnings
from typing import Any

from rescind.adapters.csv_jobs import COLUMNS
from rescind.adapters.policy_file import default_policy_path
from rescind.domain.access import Role
from rescind.domain.audit import SYSTEM_STREAM
from tests.api.conftest import API, Api, password_of

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ONE_TIME = re.compile(r"<code>([^<]+)</code> — shown only now")


def console_admin(api: Api) -> tuple[TestClient, str]:
    """A console session of the admin, through the login form; with its CSRF token."""
    client = api.anonymous()
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token, form.text
    answer = client.post(
        "/console/login",
        data={
            "username": "admin",
            "password": password_of(Role.ADMIN),
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    home = client.get("/console/admin")
    assert home.status_code == 200, home.text
    found = CSRF.search(home.text)
    assert found, home.text
    return client, found.group(1)


def log_in(api: Api, username: str, password: str) -> Any:
    return api.anonymous().post(
        f"{API}/auth/token", json={"username": username, "password": password}
    )


def system_events(api: Api, kind: str) -> list[dict[str, Any]]:
    with api.uow() as uow:
        return [dict(r.data) for r in uow.audit.records(SYSTEM_STREAM) if r.kind == kind]


def test_a_user_created_without_a_password_gets_a_one_time_one_to_replace_at_first_login(
    api: Api,
) -> None:
    client, csrf = console_admin(api)
    created = client.post(
        "/console/admin/users",
        data={
            "csrf_token": csrf,
            "username": "new-agent",
            "display_name": "New Agent",
            "role": "agent",
            "scope_id": "",
            "password": "",
        },
    )
    assert created.status_code == 200, created.text
    found = ONE_TIME.search(created.text)
    assert found, created.text
    refused = log_in(api, "new-agent", found.group(1))
    assert refused.json()["type"] == "/problems/password_change_required"
    [made] = [e for e in system_events(api, "user_created") if e["username"] == "new-agent"]
    assert (made["username"], made["role"]) == ("new-agent", "agent")


def test_a_one_time_password_replaces_the_old_one_and_ends_every_session(api: Api) -> None:
    agent = api.client(Role.AGENT)
    client, csrf = console_admin(api)
    [user] = [
        u
        for u in api.client(Role.ADMIN).get(f"{API}/users?limit=200").json()["items"]
        if u["username"] == "agent"
    ]

    answer = client.post(
        f"/console/admin/users/{user['id']}/one-time-password", data={"csrf_token": csrf}
    )

    assert answer.status_code == 200, answer.text
    found = ONE_TIME.search(answer.text)
    assert found, answer.text
    assert agent.get(f"{API}/auth/me").status_code == 401
    assert log_in(api, "agent", password_of(Role.AGENT)).status_code == 401
    again = log_in(api, "agent", found.group(1))
    assert again.json()["type"] == "/problems/password_change_required"
    [event] = system_events(api, "password_set")
    assert (event["username"], event["one_time"], event["revoked"]) == ("agent", 1, 1)


def test_a_draft_published_from_the_console_takes_effect_at_the_company_time_given(
    api: Api,
) -> None:
    client, csrf = console_admin(api)
    draft = default_policy_path().read_text(encoding="utf-8")
    rule_3 = draft.index("number: 3")
    changed = draft[:rule_3] + draft[rule_3:].replace(
        "eligible: true\n    action: cancel", "eligible: false\n    action: stop", 1
    )
    assert changed != draft

    published = client.post(
        "/console/admin/policies",
        data={"csrf_token": csrf, "draft": changed, "effective_at": "2027-01-01T00:00"},
        follow_redirects=False,
    )

    assert published.status_code == 303, published.text
    assert published.headers["location"] == "/console/admin/policies/2"
    stored = api.client(Role.AGENT).get(f"{API}/policies/2").json()
    assert stored["effective_at"] == "2027-01-01T05:00:00Z"  # midnight in New York
    compared = client.get("/console/admin/policies/compare", params={"a": 1, "b": 2})
    assert compared.status_code == 200, compared.text
    assert compared.text.count('class="changed"') == 1
    assert "1 rule</strong> differ" in compared.text
    page = client.get("/console/admin/policies")
    assert "scheduled" in page.text
    assert "in force" in page.text


def test_a_holiday_added_and_removed_in_the_console_is_stored_and_audited(api: Api) -> None:
    client, csrf = console_admin(api)
    preview = client.get(
        "/console/admin/holidays/preview", params={"day": "2026-12-24", "name": "Christmas Eve"}
    )
    assert preview.status_code == 200, preview.text
    assert "No pending window would move" in preview.text
    added = client.post(
        "/console/admin/holidays",
        data={"csrf_token": csrf, "day": "2026-12-24", "name": "Christmas Eve"},
    )
    assert "Added 2026-12-24 (Christmas Eve): 0 pending windows moved." in added.text
    admin = api.client(Role.ADMIN)
    assert admin.get(f"{API}/holidays").json()["holidays"] == [
        {"day": "2026-12-24", "name": "Christmas Eve"}
    ]
    removed = client.post("/console/admin/holidays/2026-12-24/remove", data={"csrf_token": csrf})
    assert "Removed 2026-12-24" in removed.text
    assert admin.get(f"{API}/holidays").json()["holidays"] == []
    assert [e["date"] for e in system_events(api, "holiday_added")] == ["2026-12-24"]
    assert [e["date"] for e in system_events(api, "holiday_removed")] == ["2026-12-24"]


def test_an_engine_export_imported_in_the_console_keeps_good_rows_and_names_bad_lines(
    api: Api,
) -> None:
    good = (
        "JOB-900001,HO-900001,Ada Homeowner,ada@homeowner.example,201-555-0100,INST-1,"
        "Sunny Roofs,ops@sunny.example,REP-1,Sam Rep,sam@sales.example,regular,M1,"
        "not_submitted,false,false,none,false,false,2026-10-01,operations"
    )
    bad = good.replace("JOB-900001", "JOB-900002").replace("ada@homeowner.example", "not-an-email")
    csv = "\n".join([",".join(COLUMNS), good, bad]) + "\n"
    client, csrf = console_admin(api)

    answer = client.post(
        "/console/admin/import",
        data={"csrf_token": csrf},
        files={"jobs_csv": ("export.csv", csv.encode(), "text/csv")},
    )

    assert answer.status_code == 200, answer.text
    assert "Imported 1 job; 1 row refused" in answer.text
    assert re.search(r"<td>3</td><td>[^<]*email", answer.text), answer.text
    agent = api.client(Role.AGENT)
    assert agent.get(f"{API}/jobs/JOB-900001").status_code == 200
    assert agent.get(f"{API}/jobs/JOB-900002").status_code == 404
    # Not an admin: refused, and nothing imported.
    other = api.anonymous()
    form = other.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    other.post(
        "/console/login",
        data={
            "username": "agent",
            "password": password_of(Role.AGENT),
            "csrf_token": token.group(1),
        },
    )
    assert other.get("/console/admin/import").status_code == 403


def test_the_outbox_page_lists_emails_by_status_for_the_back_office_roles(api: Api) -> None:
    agent = api.client(Role.AGENT)
    job = agent.get(f"{API}/jobs/JOB-003").json()
    filed = agent.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-003",
            "channel": "phone",
            "requester_role": "homeowner",
            "requester_name": job["homeowner"]["name"],
        },
    )
    assert filed.status_code == 201, filed.text
    sent = agent.post(f"{API}/requests/{filed.json()['id']}/verification/code")
    assert sent.status_code == 200, sent.text
    client, _ = console_admin(api)

    queued = client.get("/console/outbox", params={"status": "queued"})

    assert queued.status_code == 200, queued.text
    assert "verification code" in queued.text
    assert job["homeowner"]["email"] in queued.text
    assert "No email sent." in client.get("/console/outbox", params={"status": "sent"}).text
