"""100 concurrent cancels, restores and sweeps on one job, on PostgreSQL: one history.

The API's clock stands at Monday 2026-11-23, inside the job's 14-business-day window; the
sweepers run on the same database a month later, when that window has ended. So each restore
races the finalization that would make it too late, and each cancel the restores and the
finalization. Whatever order the database picks, the audit trail, the job row, the emails
and the answers must tell the same story, and the job is finalized at most once.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from rescind.domain.audit import job_stream
from rescind.domain.email import EmailKind
from rescind.services.audit import verify_trail
from rescind.services.sweep import SweepReport, sweep
from tests.api.conftest import API, Api, fire_at_once, replay_transitions, verified_request
from tests.faults.conftest import SYSTEM

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("api_engine", ["postgres"], indirect=True),
]

JOB = "JOB-002"  # regular M1, nothing pending: eligible, and cancelled in one step
HOMEOWNER_EMAIL = "ben.2@home.example"
CANCELS, RESTORES, SWEEPS = 50, 30, 20
# The window opened on Monday 2026-11-23 ends on 2026-12-15 05:00 UTC; a month on, it is over.
LATER = timedelta(days=30)


# Every racer writes blind on purpose: the race, not the version check, decides.
BLIND = {"If-Match": "*"}


def test_100_concurrent_cancels_restores_and_sweeps_leave_one_history_and_one_finalization(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    # Start pending: then every restore races the sweep that would finalize the job.
    first = agent.post(
        f"{API}/requests/{verified_request(api, JOB, HOMEOWNER_EMAIL)}/cancel",
        json={},
        headers={"If-Match": "*"},
    )
    assert first.status_code == 200, first.text
    start_version = agent.get(f"{API}/jobs/{JOB}").json()["version"]
    request_ids = [verified_request(api, JOB, HOMEOWNER_EMAIL) for _ in range(CANCELS)]
    late = api.ctx.with_clock_offset(LATER)

    def cancel(request_id: str) -> Callable[[TestClient], Any]:
        return lambda client: client.post(
            f"{API}/requests/{request_id}/cancel", json={"reason": "race"}, headers=BLIND
        )

    def restore(client: TestClient) -> Any:
        return client.post(f"{API}/jobs/{JOB}/restore", json={"why": "race"}, headers=BLIND)

    def finalize(client: TestClient) -> SweepReport:
        # A read first, as the API callers make one (their login check): the sweepers then
        # start level with them instead of finishing before the first request is parsed.
        assert client.get(f"{API}/jobs/{JOB}").status_code == 200
        return sweep(late)

    calls: list[tuple[str, Callable[[TestClient], Any]]] = (
        [("cancel", cancel(rid)) for rid in request_ids]
        + [("restore", restore)] * RESTORES
        + [("sweep", finalize)] * SWEEPS
    )
    random.Random(6).shuffle(calls)

    answers = fire_at_once([c for _, c in calls], str(agent.headers["Authorization"]), api)

    outcomes: Counter[str] = Counter()
    finalized = 0
    for (kind, _), answer in zip(calls, answers, strict=True):
        if kind == "sweep":
            assert isinstance(answer, SweepReport)
            finalized += answer.finalized
            outcomes[f"sweep finalized {answer.finalized}"] += 1
            continue
        assert answer.status_code in (200, 409, 412), answer.text
        code = answer.json().get("code") if answer.status_code != 200 else None
        if kind == "cancel" and answer.status_code == 200:
            code = "already_pending" if answer.json()["already_pending"] else "cancelled"
        outcomes[f"{kind} {answer.status_code} {code or 'restored'}"] += 1
    print(f"\noutcomes of {len(calls)} concurrent calls: {dict(sorted(outcomes.items()))}")

    with api.uow() as uow:
        trail = uow.audit.records(job_stream(JOB))
        emails = Counter(e.kind for e in uow.outbox.for_job(JOB))
    status, transitions = replay_transitions(trail)
    done = Counter(transitions)
    # Nothing happens to a job after its final cancellation.
    if "workflow_cancelled" in transitions:
        assert transitions[-1] == "workflow_cancelled", transitions
    assert done["workflow_cancelled"] == finalized <= 1
    job = agent.get(f"{API}/jobs/{JOB}").json()
    assert job["status"] == status
    assert job["version"] == start_version + len(transitions) - 1
    # Every success is one transition, and every transition one success (plus the first).
    assert done["workflow_cancel_pending"] == outcomes["cancel 200 cancelled"] + 1
    assert done["workflow_restored"] == outcomes["restore 200 restored"]
    kinds = Counter(r.kind for r in trail)
    assert kinds["workflow_already_pending"] == outcomes["cancel 200 already_pending"]
    # One notice per cancel, and at most one final-cancellation email, only if finalized.
    assert emails[EmailKind.CANCELLATION_NOTICE] == done["workflow_cancel_pending"]
    assert emails[EmailKind.FINAL_CANCELLATION] == done["workflow_cancelled"]
    check = verify_trail(api.ctx, actor=SYSTEM)
    assert check.ok, check.problems
