"""Logging in under attack (OWASP's Authentication Cheat Sheet): wrong passwords are counted
per (username, client), per client and per username; the first two answer 429, the last only
slows attempts down, so many addresses guessing one account never lock its owner out.

Clients are told apart by their address (the test client's ``client``); ``X-Forwarded-For``
is believed only from the proxies uvicorn is told to trust, which a test client is not.
"""

from __future__ import annotations

import re
import time
import warnings
from typing import Any

from rescind.domain.access import Role
from rescind.entrypoints.api.problems import PROBLEM_JSON
from rescind.entrypoints.web.ratelimit import LoginThrottle
from tests.api.conftest import API, Api, password_of

with warnings.catch_warnings():
    # As in tests/api/conftest.py: Starlette warns once, at import, that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def assert_problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"/problems/{code}"
    return problem


def from_address(api: Api, address: str) -> TestClient:
    return TestClient(api.app, base_url="http://testserver", client=(address, 50000))


def log_in(client: TestClient, username: str, password: str) -> int:
    answer = client.post(f"{API}/auth/token", json={"username": username, "password": password})
    return int(answer.status_code)


def test_wrong_passwords_from_many_addresses_do_not_lock_the_real_user_out(api: Api) -> None:
    # 20 addresses, each spending its five guesses on the agent's account: 100 failures,
    # the per-username ceiling.
    for n in range(20):
        attacker = from_address(api, f"203.0.113.{n + 1}")
        statuses = [log_in(attacker, "agent", f"guess-{n}-{i}") for i in range(6)]
        assert statuses == [401] * 5 + [429], (n, statuses)

    owner = from_address(api, "198.51.100.7")
    started = time.monotonic()
    assert log_in(owner, "agent", password_of(Role.AGENT)) == 200
    # Past the ceiling the attempt waited (never refused): guessing slows down, the owner
    # still gets in.
    assert time.monotonic() - started >= 1.0
    # Every other account is untouched: no delay (the throttle's own answer, not a stopwatch,
    # which a loaded machine can push past any bound), no refusal.
    logins: LoginThrottle = api.app.state.rescind.logins
    assert logins.before("admin", "198.51.100.7") == 0.0
    assert log_in(owner, "admin", password_of(Role.ADMIN)) == 200


def test_right_passwords_are_not_counted_and_five_wrong_ones_stop_that_client(api: Api) -> None:
    client = from_address(api, "198.51.100.8")
    assert [log_in(client, "agent", password_of(Role.AGENT)) for _ in range(8)] == [200] * 8

    assert [log_in(client, "agent", "not-the-password") for _ in range(5)] == [401] * 5
    refused = client.post(
        f"{API}/auth/token", json={"username": "agent", "password": password_of(Role.AGENT)}
    )
    # Refused before the password is looked at: the sixth try says nothing about it.
    problem = assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 60
    assert "wait" in problem["detail"]
    # The same username from another client, and another username from this one, still work.
    assert log_in(from_address(api, "198.51.100.9"), "agent", password_of(Role.AGENT)) == 200
    assert log_in(client, "admin", password_of(Role.ADMIN)) == 200


def test_one_address_spraying_many_usernames_is_stopped_after_fifty_failures(api: Api) -> None:
    sprayer = from_address(api, "203.0.113.200")
    statuses = [log_in(sprayer, f"user-{i // 5}", "password1234") for i in range(50)]
    assert statuses == [401] * 50
    assert_problem(
        sprayer.post(f"{API}/auth/token", json={"username": "agent", "password": "x" * 12}),
        429,
        "rate_limited",
    )
    assert log_in(from_address(api, "198.51.100.10"), "agent", password_of(Role.AGENT)) == 200


def test_a_forged_x_forwarded_for_does_not_make_a_new_client(api: Api) -> None:
    client = from_address(api, "203.0.113.50")
    for i in range(5):
        answer = client.post(
            f"{API}/auth/token",
            json={"username": "agent", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"192.0.2.{i}"},
        )
        assert answer.status_code == 401
    forged = client.post(
        f"{API}/auth/token",
        json={"username": "agent", "password": "wrong-password"},
        headers={"X-Forwarded-For": "192.0.2.99"},
    )
    assert_problem(forged, 429, "rate_limited")


def test_the_console_login_counts_against_the_same_limits(api: Api) -> None:
    client = from_address(api, "203.0.113.77")
    for _ in range(5):
        assert log_in(client, "agent", "wrong-password") == 401
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token, form.text
    answer = client.post(
        "/console/login",
        data={
            "username": "agent",
            "password": password_of(Role.AGENT),
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 429
    assert "too many login attempts" in answer.text
    assert int(answer.headers["Retry-After"]) > 0
