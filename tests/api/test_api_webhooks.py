"""``/api/v1/webhooks`` and ``GET /api/v1/events`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from rescind.domain.access import Role
from rescind.domain.webhooks import DueDelivery
from rescind.services.webhook_delivery import PostFailed, deliver_due_webhooks
from tests.api.conftest import API, Api

PROBLEM_JSON = "application/problem+json"


class Refusing:
    def post(self, delivery: DueDelivery, *, now: datetime) -> int:
        raise PostFailed("the receiver answered 503 Service Unavailable", status_code=503)


def file(api: Api, job_id: str) -> None:
    answer = api.client(Role.AGENT).post(
        f"{API}/requests",
        json={
            "job_id": job_id,
            "channel": "phone",
            "requester_role": "homeowner",
            "requester_name": "Someone Asking",
        },
    )
    assert answer.status_code == 201, answer.text


def test_an_admin_registers_an_endpoint_sees_its_secret_once_rotates_and_removes_it(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)

    made = admin.post(
        f"{API}/webhooks",
        json={"url": "https://engine.example/hooks", "event_types": ["workflow.cancelled"]},
    )

    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["secret"].startswith("whsec_")
    assert made.headers["Location"] == f"{API}/webhooks/{endpoint['id']}"
    listed = admin.get(f"{API}/webhooks").json()
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]
    rotated = admin.post(f"{API}/webhooks/{endpoint['id']}/rotate")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    assert admin.delete(f"{API}/webhooks/{endpoint['id']}").status_code == 200
    assert admin.get(f"{API}/webhooks").json() == []
    again = admin.delete(f"{API}/webhooks/{endpoint['id']}")
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM_JSON


def test_a_bad_url_or_event_type_is_a_422_problem_and_an_agent_is_forbidden(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    bad_url = admin.post(f"{API}/webhooks", json={"url": "ftp://x", "event_types": ["case.opened"]})
    bad_type = admin.post(
        f"{API}/webhooks", json={"url": "https://x.example", "event_types": ["case.boom"]}
    )
    forbidden = api.client(Role.AGENT).get(f"{API}/webhooks")

    assert bad_url.status_code == 422
    assert bad_url.headers["content-type"] == PROBLEM_JSON
    assert bad_type.status_code == 422
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"


def test_events_page_by_cursor_and_an_installer_sees_only_its_companys(api: Api) -> None:
    file(api, "JOB-002")  # INST-1's, as every seeded job but JOB-006
    file(api, "JOB-006")
    agent = api.client(Role.AGENT)

    first = agent.get(f"{API}/events", params={"limit": 1}).json()
    rest = agent.get(f"{API}/events", params={"after": first["next_after"]}).json()
    theirs = api.client(Role.INSTALLER).get(f"{API}/events").json()
    caught_up = agent.get(f"{API}/events", params={"after": rest["next_after"]}).json()

    assert [e["type"] for e in first["items"] + rest["items"]] == ["request.filed"] * 2
    assert [e["data"]["job_id"] for e in first["items"] + rest["items"]] == ["JOB-002", "JOB-006"]
    assert [e["data"]["job_id"] for e in theirs["items"]] == ["JOB-002"]
    assert all(e["id"].startswith("evt_") for e in theirs["items"])
    assert caught_up == {"items": [], "next_after": rest["next_after"]}
    assert api.client(Role.HOMEOWNER).get(f"{API}/events").status_code == 403


def test_an_admin_lists_an_endpoints_deliveries_and_retries_a_failed_one(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    endpoint = admin.post(
        f"{API}/webhooks",
        json={"url": "https://crm.example/hooks", "event_types": ["request.filed"]},
    ).json()
    file(api, "JOB-002")
    for _ in range(8):
        deliver_due_webhooks(api.ctx, Refusing())
        api.clock.advance(hours=7)
    admin = api.client(Role.ADMIN)  # days later: the first token has expired

    [failed] = admin.get(
        f"{API}/webhooks/{endpoint['id']}/deliveries", params={"status": "failed"}
    ).json()
    assert failed["attempts"] == 8
    assert failed["last_status_code"] == 503
    assert failed["event_type"] == "request.filed"
    retried = admin.post(f"{API}/webhooks/deliveries/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    assert retried.json()["event_id"] == failed["event_id"]
    not_failed = admin.post(f"{API}/webhooks/deliveries/{failed['id']}/retry")
    assert not_failed.status_code == 409
    missing = admin.get(f"{API}/webhooks/whe_nope/deliveries")
    assert missing.status_code == 404
