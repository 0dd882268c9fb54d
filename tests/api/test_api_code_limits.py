"""The 4-digit code's limits over HTTP, on SQLite and PostgreSQL: five wrong codes lock a code
however many arrive at once, and resending codes gives no fresh budget without end.

The per-process throttle (5 guesses a minute per request) is not what these tests rely on:
several server processes each count their own guesses (``memory://``), so the parallel test
spreads its guesses over eight apps, one per process, over the one database. What must hold
is the database's count.
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rescind.adapters.passwords import Argon2Passwords
from rescind.domain.access import Role
from rescind.domain.audit import job_stream
from rescind.entrypoints.site import create_app
from rescind.entrypoints.web.ratelimit import Throttle
from tests.api.conftest import API, Api, if_match
from tests.api.test_api_procedure import assert_problem, file_phone_request
from tests.ui.test_console_http import log_in

JOB = "JOB-002"
PROCESSES = 8
GUESSES = 40


def wrong_codes(right: str, count: int) -> list[str]:
    return [c for c in (f"{n:04d}" for n in range(count + 1)) if c != right][:count]


def clear_throttle(app: FastAPI) -> None:
    """As if a minute had passed: the per-process throttle forgets; the database must not."""
    app.state.rescind.throttle.clear()


def guess(agent: TestClient, request_id: str, code: str) -> Any:
    return agent.post(
        f"{API}/requests/{request_id}/verification/code/confirm",
        json={"code": code},
        headers=if_match(agent, f"{API}/requests/{request_id}/verification/code/confirm"),
    )


def send(agent: TestClient, request_id: str) -> Any:
    return agent.post(f"{API}/requests/{request_id}/verification/code")


def stored_challenges(api: Api, request_id: str) -> list[tuple[int, str]]:
    with api.uow() as uow:
        return [(c.attempts, c.status.value) for c in uow.challenges.for_request(request_id)]


def test_40_parallel_wrong_guesses_are_evaluated_at_most_5_times_and_lock_the_code(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    request_id = file_phone_request(agent, JOB)["id"]
    assert send(agent, request_id).status_code == 200
    right = api.code_sent_for(JOB)
    passwords = Argon2Passwords(time_cost=1, memory_cost=8192)
    servers = [create_app(api.ctx, passwords, Throttle()) for _ in range(PROCESSES)]
    codes = wrong_codes(right, GUESSES)
    for server in servers:
        # One malformed code each, one at a time: refused at the edge and never counted, and
        # each app has built its models before the race (pydantic builds them on first use).
        warm = TestClient(server, base_url="http://testserver")
        warm.headers["Authorization"] = str(agent.headers["Authorization"])
        assert_problem(guess(warm, request_id, "12a4"), 422, "invalid_input")
    assert stored_challenges(api, request_id) == [(0, "open")]
    barrier = threading.Barrier(GUESSES)

    def fire(n: int) -> Any:
        client = TestClient(
            servers[n % PROCESSES], base_url="http://testserver", raise_server_exceptions=False
        )
        client.headers["Authorization"] = str(agent.headers["Authorization"])
        barrier.wait(timeout=60)
        return guess(client, request_id, codes[n])

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        answers = list(pool.map(fire, range(GUESSES)))

    statuses = Counter(a.status_code for a in answers)
    assert statuses == {409: GUESSES}, [a.text for a in answers if a.status_code != 409]
    # Each evaluated wrong guess used up one attempt of its own: 4, 3, 2, 1 left, once each.
    left = sorted(a.json()["attempts_left"] for a in answers if a.json()["attempts_left"] > 0)
    assert left == [1, 2, 3, 4]
    assert stored_challenges(api, request_id) == [(5, "locked")]
    with api.uow() as uow:
        trail = uow.audit.records(job_stream(JOB))
    evaluated = [
        int(str(r.data["attempt"]))
        for r in trail
        if r.kind == "verification_code_rejected" and r.data.get("attempt") is not None
    ]
    assert sorted(evaluated) == [1, 2, 3, 4, 5]

    clear_throttle(api.app)
    late = guess(agent, request_id, right)
    problem = assert_problem(late, 409, "verification_failed")
    assert problem["attempts_left"] == 0
    assert "locked" in problem["detail"]
    assert agent.get(f"{API}/requests/{request_id}").json()["verified"] is False


def test_two_parallel_right_guesses_verify_the_request_once(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request_id = file_phone_request(agent, JOB)["id"]
    assert send(agent, request_id).status_code == 200
    right = api.code_sent_for(JOB)
    barrier = threading.Barrier(2)

    def fire(_: int) -> Any:
        client = TestClient(api.app, base_url="http://testserver", raise_server_exceptions=False)
        client.headers["Authorization"] = str(agent.headers["Authorization"])
        barrier.wait(timeout=60)
        return guess(client, request_id, right)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(fire, range(2)))

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert all(a.json()["verified"] for a in answers)
    with api.uow() as uow:
        kinds = [r.kind for r in uow.audit.records(job_stream(JOB))]
    assert kinds.count("request_verified") == 1


def test_a_fourth_code_within_the_hour_is_refused_with_429_and_what_to_do(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request_id = file_phone_request(agent, JOB)["id"]
    for _ in range(3):
        assert send(agent, request_id).status_code == 200
        api.clock.advance(minutes=1)

    refused = send(agent, request_id)

    problem = assert_problem(refused, 429, "verification_limit_reached")
    assert "3 codes an hour" in problem["detail"]
    assert "email support from the address on file" in problem["detail"]
    # The first code of the hour was sent 3 minutes ago: the hour frees a send in 57.
    assert int(refused.headers["Retry-After"]) == 57 * 60
    assert len(stored_challenges(api, request_id)) == 3
    with api.uow() as uow:
        assert len(uow.outbox.for_job(JOB)) == 3

    api.clock.advance(minutes=57)
    assert send(agent, request_id).status_code == 200


def test_a_sixth_code_within_the_day_is_refused_even_hours_apart(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request_id = file_phone_request(agent, JOB)["id"]
    for _ in range(5):
        assert send(agent, request_id).status_code == 200
        api.clock.advance(hours=2)

    refused = send(agent, request_id)

    problem = assert_problem(refused, 429, "verification_limit_reached")
    assert "5 codes a day" in problem["detail"]
    assert "email support from the address on file" in problem["detail"]
    assert int(refused.headers["Retry-After"]) == 14 * 3600
    api.clock.advance(hours=14)
    assert send(api.client(Role.AGENT), request_id).status_code == 200  # a new day, a new login


def test_wrong_guesses_are_capped_per_request_across_all_its_codes(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request_id = file_phone_request(agent, JOB)["id"]
    lefts: list[int] = []
    for batch in (4, 5):
        clear_throttle(api.app)
        assert send(agent, request_id).status_code == 200
        for code in wrong_codes(api.code_sent_for(JOB), batch):
            lefts.append(
                assert_problem(guess(agent, request_id, code), 409, "verification_failed")[
                    "attempts_left"
                ]
            )
    # The first code: 4 wrong; the second: 5 wrong, locked. 9 of the request's 10 are spent.
    assert lefts == [4, 3, 2, 1, 4, 3, 2, 1, 0]

    clear_throttle(api.app)
    assert send(agent, request_id).status_code == 200
    right = api.code_sent_for(JOB)
    last = guess(agent, request_id, wrong_codes(right, 1)[0])
    assert_problem(last, 409, "verification_failed")
    assert last.json()["attempts_left"] == 0
    assert "10 wrong codes" in last.json()["detail"]

    # The budget is spent: the right code of a fresh code does not verify, nor does a new send.
    refused = guess(agent, request_id, right)
    problem = assert_problem(refused, 429, "verification_limit_reached")
    assert "10 wrong codes" in problem["detail"]
    assert "email support from the address on file" in problem["detail"]
    assert "Retry-After" not in refused.headers
    assert_problem(send(agent, request_id), 429, "verification_limit_reached")
    assert agent.get(f"{API}/requests/{request_id}").json()["verified"] is False
    assert sum(attempts for attempts, _ in stored_challenges(api, request_id)) == 10


# --- the console --------------------------------------------------------------------------------

FIELD_ERROR = re.compile(r'<p class="field-error" id="code-error" role="alert">([^<]*)</p>')


def console_agent(api: Api) -> tuple[TestClient, str]:
    client = api.anonymous()
    return client, log_in(client, Role.AGENT)


def field_error(page: Any) -> str:
    found = FIELD_ERROR.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def test_the_console_shows_the_resend_limit_next_to_the_code_field(api: Api) -> None:
    client, csrf = console_agent(api)
    request_id = file_phone_request(api.client(Role.AGENT), JOB)["id"]
    path = f"/console/requests/{request_id}/code"
    for _ in range(3):
        sent = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
        assert sent.status_code == 303, sent.text

    refused = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)

    assert refused.status_code == 429
    message = field_error(refused)
    assert "3 codes an hour" in message
    assert "email support from the address on file" in message
    assert len(stored_challenges(api, request_id)) == 3


def test_the_console_says_how_many_attempts_are_left_and_when_the_request_has_none(
    api: Api,
) -> None:
    client, csrf = console_agent(api)
    request_id = file_phone_request(api.client(Role.AGENT), JOB)["id"]
    path = f"/console/requests/{request_id}/code/confirm"
    messages = []
    for _ in range(2):
        clear_throttle(api.app)
        client.post(f"/console/requests/{request_id}/code", data={"csrf_token": csrf})
        for code in wrong_codes(api.code_sent_for(JOB), 5):
            page = client.post(path, data={"csrf_token": csrf, "code": code})
            assert page.status_code == 409
            messages.append(field_error(page))
    assert "4 attempts left" in messages[0]
    assert "10 wrong codes" in messages[-1]

    clear_throttle(api.app)
    refused = client.post(path, data={"csrf_token": csrf, "code": api.code_sent_for(JOB)})
    assert refused.status_code == 429
    assert "email support from the address on file" in field_error(refused)
    assert api.client(Role.AGENT).get(f"{API}/requests/{request_id}").json()["verified"] is False
