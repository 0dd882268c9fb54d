"""``/api/v1/webhooks`` and ``GET /api/v1/events`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

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


def test_a_url_that_reaches_an_internal_address_is_refused_as_a_problem_naming_the_address(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)
    for url, address in [
        ("http://127.0.0.1:8080/hooks", "127.0.0.1"),
        ("http://localhost/hooks", "127.0.0.1"),
        ("https://10.1.2.3/hooks", "10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://224.0.0.1/hooks", "224.0.0.1"),
        ("http://240.0.0.1/hooks", "240.0.0.1"),
    ]:
        refused = admin.post(f"{API}/webhooks", json={"url": url, "event_types": ["case.opened"]})

        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"] == PROBLEM_JSON
        problem = refused.json()
        assert problem["type"] == "/problems/webhook_address_refused"
        assert "internal address" in problem["detail"]
        assert address in problem["detail"]
    # An IPv6 literal is outside the URL pattern the schema declares: refused before any lookup.
    for url in ("http://[::1]/hooks", "http://[::ffff:192.168.0.1]/hooks"):
        refused = admin.post(f"{API}/webhooks", json={"url": url, "event_types": ["case.opened"]})
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["type"] == "/problems/invalid_input"
    assert admin.get(f"{API}/webhooks").json() == []


def test_a_replayed_create_or_rotate_says_the_secret_was_shown_and_the_table_never_holds_it(
    api: Api, api_engine: Engine
) -> None:
    admin = api.client(Role.ADMIN)
    body = {"url": "https://engine.example/hooks", "event_types": ["workflow.cancelled"]}
    made = admin.post(f"{API}/webhooks", json=body, headers={"Idempotency-Key": "hook-1"})
    again = admin.post(f"{API}/webhooks", json=body, headers={"Idempotency-Key": "hook-1"})
    path = f"{API}/webhooks/{made.json()['id']}/rotate"
    rotated = admin.post(path, headers={"Idempotency-Key": "rotate-1"})
    rotated_again = admin.post(path, headers={"Idempotency-Key": "rotate-1"})

    assert made.status_code == again.status_code == 201
    assert made.json()["secret"].startswith("whsec_")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made.json()["id"]
    assert again.json()["secret"] is None
    assert "not shown again" in again.json()["secret_note"]
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated_again.json()["secret"] is None
    assert len(admin.get(f"{API}/webhooks").json()) == 1
    with api_engine.connect() as connection:
        stored = connection.execute(text("SELECT body FROM idempotency_record")).scalars().all()
    assert len(stored) == 2
    for secret in (made.json()["secret"], rotated.json()["secret"]):
        assert all(secret.encode() not in bytes(b) for b in stored)
