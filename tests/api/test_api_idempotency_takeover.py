"""A first attempt that never reported back (its server was killed) does not hold its
Idempotency-Key forever: once the reservation is older than the lease, a retry with the same
key runs the use case itself; before that, the retry is told to wait.

The dead attempt is played by a reservation written straight into the store, as a killed
server leaves it: reserved, unanswered.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from rescind.domain.access import Role
from rescind.entrypoints.api.idempotency import DEFAULT_LEASE
from tests.api.conftest import API, Api, if_match, verified_request

JOB = "JOB-002"
HOMEOWNER_EMAIL = "ben.2@home.example"
BODY = b'{"reason": "changed their mind"}'
JSON = {"Content-Type": "application/json"}


def dead_attempt(api: Api, user_id: str, key: str, path: str, body: bytes) -> None:
    fingerprint = hashlib.sha256(b"\n".join([b"POST", path.encode(), body])).hexdigest()
    with api.uow() as uow:
        assert uow.idempotency.reserve(user_id, key, fingerprint, api.clock.now()) is None
        uow.commit()


def test_a_retry_waits_while_the_first_attempt_may_still_run_then_takes_over_and_runs_once(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    me = agent.get(f"{API}/auth/me").json()["id"]
    path = f"{API}/requests/{verified_request(api, JOB, HOMEOWNER_EMAIL)}/cancel"
    headers = JSON | {"Idempotency-Key": "killed-1"} | if_match(agent, path)
    dead_attempt(api, me, "killed-1", path, BODY)

    api.clock.advance(DEFAULT_LEASE - timedelta(seconds=1))
    waiting = agent.post(path, content=BODY, headers=headers)
    api.clock.advance(seconds=2)
    taken_over = agent.post(path, content=BODY, headers=headers)
    replayed = agent.post(path, content=BODY, headers=headers)

    assert waiting.status_code == 409, waiting.text
    assert waiting.json()["code"] == "idempotency_in_progress"
    assert waiting.headers["Retry-After"] == "1"
    assert taken_over.status_code == 200, taken_over.text
    assert taken_over.json()["already_pending"] is False
    assert "Idempotent-Replayed" not in taken_over.headers
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == taken_over.json()
    assert agent.get(f"{API}/jobs/{JOB}").json()["status"] == "cancel_pending"


def test_a_takeover_of_an_attempt_that_had_committed_is_refused_not_done_twice(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    me = agent.get(f"{API}/auth/me").json()["id"]
    path = f"{API}/requests/{verified_request(api, JOB, HOMEOWNER_EMAIL)}/cancel"
    # The killed server committed the cancel, then died before storing its answer.
    done = agent.post(path, content=BODY, headers=JSON | if_match(agent, path))
    assert done.status_code == 200, done.text
    dead_attempt(api, me, "killed-2", path, BODY)

    api.clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    retry = agent.post(
        path, content=BODY, headers=JSON | {"Idempotency-Key": "killed-2"} | if_match(agent, path)
    )

    assert retry.status_code == 409, retry.text
    assert retry.json()["code"] == "not_allowed"
    with api.uow() as uow:
        notices = [e for e in uow.outbox.for_job(JOB) if e.kind.value == "cancellation_notice"]
    assert len(notices) == 1
