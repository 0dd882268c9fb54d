"""An idempotent state change is one transaction: the key's reservation, the use case and the
stored answer commit together, and every outcome leaves either all of it or a free key.

The failures are played by wrapping the cancel's use case: it raises before doing anything,
or after it committed its work (as a crash or a lost race after the commit would).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from rescind.domain.access import Role
from rescind.domain.errors import Conflict
from rescind.services.cancellation import cancel_workflow
from tests.api.conftest import API, Api, fire_at_once, if_match, verified_request

BODY = {"reason": "changed their mind"}


def cancel_path(api: Api, job_id: str, email: str) -> str:
    return f"{API}/requests/{verified_request(api, job_id, email)}/cancel"


def notices(api: Api, job_id: str) -> int:
    with api.uow() as uow:
        return sum(e.kind.value == "cancellation_notice" for e in uow.outbox.for_job(job_id))


def decisions(client: TestClient, job_id: str) -> int:
    trail = client.get(f"{API}/jobs/{job_id}/audit", params={"limit": 200}).json()["items"]
    return sum(r["kind"] == "eligibility_decided" for r in trail)


def unraised(client: TestClient) -> TestClient:
    """The same user's client, answering a server error with a 500 as a real server does."""
    plain = TestClient(client.app, base_url="http://testserver", raise_server_exceptions=False)
    plain.headers["Authorization"] = client.headers["Authorization"]
    return plain


@pytest.fixture
def failing_cancel(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException, bool], None]:
    """Make the cancel route's use case raise ``error``, after its work (``after``) or first."""

    def arrange(error: BaseException, after: bool) -> None:
        def failing(*args: Any, **kwargs: Any) -> Any:
            if after:
                cancel_workflow(*args, **kwargs)
            raise error

        monkeypatch.setattr("rescind.entrypoints.api.requests.cancel_workflow", failing)

    return arrange


@pytest.fixture
def commits(api_engine: Engine) -> Iterator[list[int]]:
    """How many transactions commit on the app's database while the test runs."""
    count = [0]

    def counted(_connection: object) -> None:
        count[0] += 1

    event.listen(api_engine, "commit", counted)
    yield count
    event.remove(api_engine, "commit", counted)


def test_an_idempotent_cancel_commits_once(api: Api, commits: list[int]) -> None:
    agent = api.client(Role.AGENT)
    path = cancel_path(api, "JOB-002", "ben.2@home.example")
    headers = {"Idempotency-Key": "one-commit"} | if_match(agent, path)

    commits[0] = 0
    answer = agent.post(path, json=BODY, headers=headers)

    assert answer.status_code == 200, answer.text
    assert commits[0] == 1
    replay = agent.post(path, json=BODY, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == answer.json()


def test_a_refusal_that_recorded_its_decision_is_replayed_and_the_decision_stays(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    path = cancel_path(api, "JOB-003", "cora.3@home.example")
    headers = {"Idempotency-Key": "beam-1"} | if_match(agent, path)

    first = agent.post(path, json=BODY, headers=headers)
    retry = agent.post(path, json=BODY, headers=headers)

    assert first.status_code == 409, first.text
    assert first.json()["code"] == "not_eligible"
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    request_id = path.split("/")[-2]
    assert agent.get(f"{API}/requests/{request_id}").json()["outcome"] == "not_eligible"
    assert decisions(agent, "JOB-003") == 1


@pytest.mark.parametrize("error", [RuntimeError("boom"), Conflict("lost a race")])
def test_a_failure_before_the_use_case_did_anything_leaves_nothing_and_frees_the_key(
    api: Api,
    failing_cancel: Callable[[BaseException, bool], None],
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    agent = api.client(Role.AGENT)
    path = cancel_path(api, "JOB-002", "ben.2@home.example")
    headers = {"Idempotency-Key": "fails-first"} | if_match(agent, path)
    failing_cancel(error, False)

    failed = unraised(agent).post(path, json=BODY, headers=headers)
    assert failed.status_code == (409 if isinstance(error, Conflict) else 500), failed.text
    assert agent.get(f"{API}/jobs/JOB-002").json()["status"] == "active"

    monkeypatch.undo()
    retry = agent.post(path, json=BODY, headers=headers)
    assert retry.status_code == 200, retry.text
    assert "Idempotent-Replayed" not in retry.headers
    assert retry.json()["already_pending"] is False
    assert notices(api, "JOB-002") == 1


@pytest.mark.parametrize("error", [RuntimeError("boom"), Conflict("lost a race")])
def test_a_failure_after_the_use_case_committed_keeps_its_work_and_frees_the_key(
    api: Api,
    failing_cancel: Callable[[BaseException, bool], None],
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    agent = api.client(Role.AGENT)
    path = cancel_path(api, "JOB-002", "ben.2@home.example")
    headers = {"Idempotency-Key": "fails-after"} | if_match(agent, path)
    failing_cancel(error, True)

    failed = unraised(agent).post(path, json=BODY, headers=headers)

    assert failed.status_code == (409 if isinstance(error, Conflict) else 500), failed.text
    # What the use case committed is kept, and only once.
    assert agent.get(f"{API}/jobs/JOB-002").json()["status"] == "cancel_pending"
    assert notices(api, "JOB-002") == 1
    # The key is free: a retry runs, and the procedure refuses to cancel twice.
    monkeypatch.undo()
    retry = agent.post(path, json=BODY, headers=headers)
    assert "Idempotent-Replayed" not in retry.headers
    assert retry.status_code == 409, retry.text
    assert retry.json()["code"] == "not_allowed"
    assert notices(api, "JOB-002") == 1


def test_concurrent_cancels_with_one_key_run_once_and_all_get_the_first_answer(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    path = cancel_path(api, "JOB-002", "ben.2@home.example")
    headers = {"Idempotency-Key": "race-cancel"} | if_match(agent, path)

    def post(client: TestClient) -> Any:
        return client.post(path, json=BODY, headers=headers)

    answers = fire_at_once([post] * 8, str(agent.headers["Authorization"]), api)

    done = [a for a in answers if a.status_code == 200]
    waiting = [a for a in answers if a.status_code != 200]
    assert done
    assert all(a.json() == done[0].json() for a in done)
    assert sum("Idempotent-Replayed" not in a.headers for a in done) == 1
    for answer in waiting:
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "idempotency_in_progress"
    assert done[0].json()["already_pending"] is False
    assert notices(api, "JOB-002") == 1
