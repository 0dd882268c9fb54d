"""Users' passwords and scopes over HTTP, on SQLite and PostgreSQL: a scoped user names a
company, rep or homeowner on record; an admin sets a password or forces a reset (tokens
revoked, a new password before the next login); a user changes their own."""

from __future__ import annotations

import re
from typing import Any

from rescind.domain.access import Role
from rescind.domain.audit import SYSTEM_STREAM
from tests.api.conftest import API, Api, password_of
from tests.api.test_api_admin import assert_problem, log_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_USER = {"password": "a long passphrase", "display_name": "Someone"}


def test_a_scoped_user_must_name_a_company_rep_or_homeowner_on_record(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    for role, missing, noun in (
        ("installer", "INST-404", "installer company"),
        ("sales_rep", "REP-404", "sales rep"),
        ("homeowner", "HO-404", "homeowner"),
        # Each scope names its own kind of record: a rep's id is no installer company.
        ("installer", "REP-1", "installer company"),
    ):
        body = {**NEW_USER, "username": f"new-{role}", "role": role, "scope_id": missing}
        # A well-formed id naming no record: not found (the schema cannot know the data).
        problem = assert_problem(admin.post(f"{API}/users", json=body), 404, "not_found")
        assert [e["field"] for e in problem["errors"]] == ["scope_id"]
        assert f"no {noun} with id {missing!r}" in problem["detail"]
    usernames = [u["username"] for u in admin.get(f"{API}/users").json()["items"]]
    assert not [name for name in usernames if name.startswith("new-")]

    for role, scope_id in (("installer", "INST-2"), ("sales_rep", "REP-2"), ("homeowner", "HO-6")):
        body = {**NEW_USER, "username": f"new-{role}", "role": role, "scope_id": scope_id}
        created = admin.post(f"{API}/users", json=body)
        assert created.status_code == 201, created.text


def test_an_admin_sets_a_password_and_the_old_one_and_its_tokens_stop_working(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    agent = api.client(Role.AGENT)
    agent_id = agent.get(f"{API}/auth/me").json()["id"]

    short = admin.post(f"{API}/users/{agent_id}/password", json={"password": "short"})
    assert assert_problem(short, 422, "invalid_input")["errors"][0]["field"] == "password"
    assert agent.get(f"{API}/auth/me").status_code == 200  # a refused change changes nothing

    changed = admin.post(f"{API}/users/{agent_id}/password", json={"password": "new agent pass"})

    assert changed.status_code == 200, changed.text
    assert changed.json()["reset_required"] is False
    assert_problem(agent.get(f"{API}/auth/me"), 401, "unauthenticated")
    assert_problem(log_in(api, "agent", password_of(Role.AGENT)), 401, "unauthenticated")
    assert log_in(api, "agent", "new agent pass").status_code == 200
    assert_problem(
        api.client(Role.BACK_OFFICE).post(
            f"{API}/users/{agent_id}/password", json={"password": "mallory's choice"}
        ),
        403,
        "forbidden",
    )
    assert_problem(
        admin.post(f"{API}/users/USR-nobody/password", json={"password": "a long passphrase"}),
        404,
        "not_found",
    )


def change_own(api: Api, **body: str) -> Any:
    return api.anonymous().post(f"{API}/auth/password", json=body)


def test_a_forced_reset_logs_the_user_out_and_asks_for_a_new_password(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    agent = api.client(Role.AGENT)
    agent_id = agent.get(f"{API}/auth/me").json()["id"]
    old = password_of(Role.AGENT)

    forced = admin.post(f"{API}/users/{agent_id}/force-reset")

    assert forced.status_code == 200, forced.text
    assert forced.json()["reset_required"] is True
    assert_problem(agent.get(f"{API}/auth/me"), 401, "unauthenticated")
    # The right password gets no token, and is told what to do; a wrong one learns nothing.
    refused = assert_problem(log_in(api, "agent", old), 403, "password_change_required")
    assert "POST /api/v1/auth/password" in refused["detail"]
    assert_problem(log_in(api, "agent", "a wrong guess"), 401, "unauthenticated")

    # Changing it needs the current password, a strong new one, and a different one.
    assert_problem(
        change_own(api, username="agent", password="a wrong guess", new_password="brand new pass"),
        401,
        "unauthenticated",
    )
    for new_password in ("short", old):
        problem = assert_problem(
            change_own(api, username="agent", password=old, new_password=new_password),
            422,
            "invalid_input",
        )
        assert [e["field"] for e in problem["errors"]] == ["new_password"]
    assert_problem(log_in(api, "agent", old), 403, "password_change_required")

    done = change_own(api, username="agent", password=old, new_password="brand new pass")

    assert done.status_code == 204, done.text
    assert_problem(log_in(api, "agent", old), 401, "unauthenticated")
    assert log_in(api, "agent", "brand new pass").status_code == 200
    with api.uow() as uow:
        kinds = [r.kind for r in uow.audit.records(SYSTEM_STREAM)]
    assert kinds[-2:] == ["password_reset_forced", "password_changed"]


def console_form(client: Any, path: str, **fields: str) -> Any:
    """GET the form (for its CSRF cookie and token), then POST ``fields`` to it."""
    form = client.get(path)
    token = CSRF.search(form.text)
    assert token, form.text
    return client.post(path, data={**fields, "csrf_token": token[1]}, follow_redirects=False)


def test_a_forced_reset_in_the_console_leads_to_the_new_password_form(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    agent_id = api.client(Role.AGENT).get(f"{API}/auth/me").json()["id"]
    assert admin.post(f"{API}/users/{agent_id}/force-reset").status_code == 200
    browser = api.anonymous()
    old = password_of(Role.AGENT)

    refused = console_form(browser, "/console/login", username="agent", password=old)

    assert refused.status_code == 403
    assert "Choose a new password" in refused.text
    assert "rescind_session" not in refused.headers.get("set-cookie", "")

    differ = console_form(
        browser,
        "/console/password",
        username="agent",
        password=old,
        new_password="brand new pass",
        confirm_password="brand new pasz",
    )
    assert differ.status_code == 422
    assert "the two new passwords differ" in differ.text
    wrong = console_form(
        browser,
        "/console/password",
        username="agent",
        password="not my password",
        new_password="brand new pass",
        confirm_password="brand new pass",
    )
    assert wrong.status_code == 401
    assert "wrong username or password" in wrong.text

    done = console_form(
        browser,
        "/console/password",
        username="agent",
        password=old,
        new_password="brand new pass",
        confirm_password="brand new pass",
    )

    assert done.status_code == 303
    assert done.headers["location"] == "/console/login"
    logged_in = console_form(browser, "/console/login", username="agent", password="brand new pass")
    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == "/console/jobs"
