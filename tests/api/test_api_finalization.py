"""Between the final moment and the sweep: the API shows what the audit trail says.

From ``final_at`` the cancellation is final (a restore is refused), but until the sweep
records it the stored row and the trail say cancel pending. The API shows that stored status
with ``finalization: being_processed`` and the final time, never ``cancelled`` ahead of the
trail; after the sweep both say cancelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from rescind.domain.access import Role
from rescind.services.sweep import sweep
from tests.api.conftest import API, Api
from tests.api.test_api_procedure import assert_problem, verified_pending_job


def last_transition(client: TestClient, job_id: str) -> str:
    trail = client.get(f"{API}/jobs/{job_id}/audit")
    assert trail.status_code == 200, trail.text
    body: Any = trail.json()
    records = body["items"] if isinstance(body, dict) else body
    moves = [r for r in records if r["kind"].startswith("workflow_") and "to" in r["data"]]
    return str(moves[-1]["data"]["to"])


def listed(client: TestClient, job_id: str, status: str) -> list[dict[str, Any]]:
    page = client.get(f"{API}/jobs", params={"status": status, "q": job_id})
    assert page.status_code == 200, page.text
    return [job for job in page.json()["items"] if job["id"] == job_id]


def test_past_the_final_moment_without_a_sweep_the_api_says_cancel_pending_being_processed(
    api: Api,
) -> None:
    agent = api.client(Role.AGENT)
    pending = verified_pending_job(api, agent, "JOB-002")
    final_at = datetime.fromisoformat(pending["final_at"])
    api.clock.set(final_at + timedelta(minutes=1))
    agent = api.client(Role.AGENT)

    job = agent.get(f"{API}/jobs/JOB-002")

    assert job.status_code == 200, job.text
    body = job.json()
    assert body["status"] == "cancel_pending" == last_transition(agent, "JOB-002")
    assert body["finalization"] == "being_processed"
    assert datetime.fromisoformat(body["final_at"]) == final_at < api.clock.now()
    # The list and its status filter say the same as the job and the trail.
    assert [j["finalization"] for j in listed(agent, "JOB-002", "cancel_pending")] == [
        "being_processed"
    ]
    assert listed(agent, "JOB-002", "cancelled") == []
    restored = agent.post(
        f"{API}/jobs/JOB-002/restore",
        json={"why": "too late"},
        headers={"If-Match": job.headers["ETag"]},
    )
    assert (
        "can no longer be restored" in assert_problem(restored, 409, "invalid_transition")["detail"]
    )


def test_after_the_sweep_the_api_and_the_trail_both_say_cancelled(api: Api) -> None:
    agent = api.client(Role.AGENT)
    pending = verified_pending_job(api, agent, "JOB-002")
    api.clock.set(datetime.fromisoformat(pending["final_at"]))
    agent = api.client(Role.AGENT)

    assert sweep(api.ctx).finalized == 1

    body = agent.get(f"{API}/jobs/JOB-002").json()
    assert body["status"] == "cancelled" == last_transition(agent, "JOB-002")
    assert body["finalization"] is None
    assert [j["id"] for j in listed(agent, "JOB-002", "cancelled")] == ["JOB-002"]


def test_before_the_final_moment_a_pending_job_is_not_being_processed(api: Api) -> None:
    agent = api.client(Role.AGENT)
    pending = verified_pending_job(api, agent, "JOB-002")
    api.clock.set(datetime.fromisoformat(pending["final_at"]) - timedelta(seconds=1))
    agent = api.client(Role.AGENT)

    body = agent.get(f"{API}/jobs/JOB-002").json()

    assert (body["status"], body["finalization"]) == ("cancel_pending", None)
