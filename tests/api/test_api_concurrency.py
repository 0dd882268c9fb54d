"""Races on one job over HTTP, on PostgreSQL: many writers at once leave one consistent history.

A ``threading.Barrier`` releases every caller at the same instant, each with its own
``TestClient`` (so its own event loop) over the one app and its connection pool. Nothing is
retried: each call's answer is its one chance, and the audit trail must tell the same story
as the answers and the job row.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Actor, Role
from rescind.domain.audit import job_stream
from rescind.domain.email import EmailKind
from rescind.services.audit import verify_trail
from tests.api.conftest import API, Api, fire_at_once, replay_transitions, verified_request

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("api_engine", ["postgres"], indirect=True),
]

SYSTEM = Actor.system("race")
JOB = "JOB-002"  # regular M1, nothing pending: eligible, and cancelled in one step
HOMEOWNER_EMAIL = "ben.2@home.example"
CALLS = 100
CANCELS = 60


def test_100_concurrent_cancels_and_restores_leave_one_consistent_history(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request_ids = [verified_request(api, JOB, HOMEOWNER_EMAIL) for _ in range(CANCELS)]
    start = agent.get(f"{API}/jobs/{JOB}")
    start_version = start.json()["version"]

    def if_match(client: TestClient, read_first: bool) -> dict[str, str]:
        """Half the callers decide on the version they read; the other half write blind,
        on purpose (``*``)."""
        if not read_first:
            return {"If-Match": "*"}
        return {"If-Match": client.get(f"{API}/jobs/{JOB}").headers["ETag"]}

    def cancel(request_id: str, read_first: bool) -> Callable[[TestClient], Any]:
        def call(client: TestClient) -> Any:
            return client.post(
                f"{API}/requests/{request_id}/cancel",
                json={"reason": "race"},
                headers=if_match(client, read_first),
            )

        return call

    def restore(read_first: bool) -> Callable[[TestClient], Any]:
        def call(client: TestClient) -> Any:
            return client.post(
                f"{API}/jobs/{JOB}/restore",
                json={"why": "race"},
                headers=if_match(client, read_first),
            )

        return call

    calls: list[tuple[str, Callable[[TestClient], Any]]] = [
        ("cancel", cancel(rid, read_first=n % 2 == 0)) for n, rid in enumerate(request_ids)
    ] + [("restore", restore(read_first=n % 2 == 0)) for n in range(CALLS - CANCELS)]
    random.Random(3).shuffle(calls)

    answers = fire_at_once([c for _, c in calls], str(agent.headers["Authorization"]), api)

    outcomes: Counter[str] = Counter()
    for (kind, _), answer in zip(calls, answers, strict=True):
        assert answer.status_code in (200, 409, 412), answer.text
        code = answer.json().get("code") if answer.status_code != 200 else None
        if kind == "cancel" and answer.status_code == 200:
            code = "already_pending" if answer.json()["already_pending"] else "cancelled"
        outcomes[f"{kind} {answer.status_code} {code or 'restored'}"] += 1
    print(f"\noutcomes of {CALLS} concurrent calls: {dict(sorted(outcomes.items()))}")

    with api.uow() as uow:
        trail = uow.audit.records(job_stream(JOB))
        emails = [e for e in uow.outbox.for_job(JOB) if e.kind is EmailKind.CANCELLATION_NOTICE]
    status, transitions = replay_transitions(trail)
    alternating = ["workflow_cancel_pending", "workflow_restored"] * len(transitions)
    assert transitions == alternating[: len(transitions)]
    job = agent.get(f"{API}/jobs/{JOB}").json()
    assert job["status"] == status
    assert job["version"] == start_version + len(transitions)
    # Every success is one transition in the trail, and every transition one success.
    assert transitions.count("workflow_cancel_pending") == outcomes["cancel 200 cancelled"] >= 1
    assert transitions.count("workflow_restored") == outcomes["restore 200 restored"]
    assert len(emails) == outcomes["cancel 200 cancelled"]
    kinds = Counter(r.kind for r in trail)
    assert kinds["workflow_already_pending"] == outcomes["cancel 200 already_pending"]
    # A request is closed exactly when its cancel answered 200; a refused one stays open.
    # The cancellers share the homeowner's one open request (one per requester and job).
    requests = Counter(r["outcome"] for r in agent.get(f"{API}/jobs/{JOB}/requests").json())
    expected_requests = Counter(
        {
            "cancel_pending": outcomes["cancel 200 cancelled"],
            "already_pending": outcomes["cancel 200 already_pending"],
            "open": len(set(request_ids))
            - outcomes["cancel 200 cancelled"]
            - outcomes["cancel 200 already_pending"],
        }
    )
    assert requests == +expected_requests  # unary +: without the zero counts
    check = verify_trail(api.ctx, actor=SYSTEM)
    assert check.ok, check.problems


def test_20_concurrent_posts_with_one_idempotency_key_create_one_request(api: Api) -> None:
    agent = api.client(Role.AGENT)
    body = {
        "job_id": "JOB-004",
        "channel": "phone",
        "requester_role": "homeowner",
        "requester_name": "Dev Patel",
    }

    def post(client: TestClient) -> Any:
        return client.post(f"{API}/requests", json=body, headers={"Idempotency-Key": "race-1"})

    answers = fire_at_once([post] * 20, str(agent.headers["Authorization"]), api)

    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code != 201]
    print(f"\n20 same-key posts: {len(created)} × 201, {len(waiting)} × 409 in progress")
    assert created
    assert all(a.json() == created[0].json() for a in created)
    assert all(a.headers["Location"] == created[0].headers["Location"] for a in created)
    assert sum("Idempotent-Replayed" not in a.headers for a in created) == 1
    for answer in waiting:
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "idempotency_in_progress"
        assert answer.headers["Retry-After"] == "1"
    assert len(agent.get(f"{API}/jobs/JOB-004/requests").json()) == 1
    retry = post(agent)
    assert retry.status_code == 201
    assert retry.json() == created[0].json()
