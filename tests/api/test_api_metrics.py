"""/metrics on SQLite and PostgreSQL, parsed with prometheus_client's parser: requests by route
template, and the backlog gauges moving with real calls (a cancel adds one pending
cancellation, an escalation one case in each queue, a failed email one failure)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.probe import SqlProbe
from rescind.adapters.mail.inbound import parse_email
from rescind.domain.access import Role
from rescind.services.inbound import receive_email
from tests.api.conftest import API, Api, if_match
from tests.api.ops import operated, sample
from tests.api.test_api_health import closed_port
from tests.api.test_api_procedure import file_phone_request, verified_pending_job


def scrape(api: Api) -> str:
    answer = api.anonymous().get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return str(answer.text)


def test_requests_are_counted_by_route_template_method_and_status(
    api: Api, api_engine: Engine
) -> None:
    ops = operated(api, api_engine)
    agent = ops.client(Role.AGENT)
    for job_id in ("JOB-001", "JOB-002", "JOB-002"):
        assert agent.get(f"{API}/jobs/{job_id}").status_code == 200
    assert agent.get(f"{API}/jobs/JOB-404").status_code == 404
    assert ops.anonymous().get("/no/such/page").status_code == 404
    page = ops.anonymous().get("/console/jobs/JOB-001", follow_redirects=False)

    metrics = scrape(ops)

    route = "/api/v1/jobs/{job_id}"
    ok = {"method": "GET", "route": route, "status": "200"}
    assert sample(metrics, "rescind_http_requests_total", **ok) == 3
    assert sample(metrics, "rescind_http_requests_total", **{**ok, "status": "404"}) == 1
    latency = {"method": "GET", "route": route}
    assert sample(metrics, "rescind_http_request_duration_seconds_count", **latency) == 4
    assert sample(metrics, "rescind_http_request_duration_seconds_sum", **latency) > 0  # type: ignore[operator]
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert sample(metrics, "rescind_http_requests_total", **unmatched) == 1
    assert "JOB-002" not in metrics  # raw paths never become series
    console = {"method": "GET", "route": "/console/jobs/{job_id}", "status": str(page.status_code)}
    assert sample(metrics, "rescind_http_requests_total", **console) == 1


def test_a_cancel_moves_open_requests_and_pending_cancellations(
    api: Api, api_engine: Engine
) -> None:
    ops = operated(api, api_engine)
    agent = ops.client(Role.AGENT)
    before = scrape(ops)
    assert sample(before, "rescind_database_up") == 1
    pending = sample(before, "rescind_jobs", status="cancel_pending")
    assert pending is not None
    queued = sample(before, "rescind_outbox_messages", status="queued")
    assert queued is not None

    filed = file_phone_request(agent, "JOB-001")
    assert sample(scrape(ops), "rescind_queue_items", queue="open_requests") == 1
    agent.post(
        f"{API}/requests/{filed['id']}/escalation",
        json={},
        headers=if_match(agent, f"{API}/requests/{filed['id']}/escalation"),
    )  # refused: not M1B
    verified_pending_job(ops, agent, "JOB-002")

    after = scrape(ops)
    assert sample(after, "rescind_jobs", status="cancel_pending") == pending + 1
    assert sample(after, "rescind_queue_items", queue="open_requests") == 1  # JOB-001's
    # The code email and the cancellation notice wait in the outbox (no worker here).
    assert sample(after, "rescind_outbox_messages", status="queued") == queued + 2
    # Cancelled jobs only ever grow, so a scrape does not count them (finalizations do).
    assert sample(after, "rescind_jobs", status="cancelled") is None


def test_an_escalation_is_one_case_in_both_queues_and_a_failed_email_is_counted(
    api: Api, api_engine: Engine
) -> None:
    ops = operated(api, api_engine)
    agent = ops.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-004")
    assert (
        agent.post(
            f"{API}/requests/{request['id']}/escalation",
            json={},
            headers=if_match(agent, f"{API}/requests/{request['id']}/escalation"),
        ).status_code
        == 201
    )

    metrics = scrape(ops)
    assert sample(metrics, "rescind_queue_items", queue="back_office") == 1
    assert sample(metrics, "rescind_queue_items", queue="deal_processing") == 1
    assert sample(metrics, "rescind_queue_items", queue="email_triage") == 0
    assert sample(metrics, "rescind_outbox_messages", status="failed") == 0

    unknown = (
        b"From: stranger@elsewhere.example\r\nTo: support@rescind.invalid\r\n"
        b"Subject: cancel please\r\nMessage-ID: <m1@elsewhere.example>\r\n\r\ncancel it\r\n"
    )
    receive_email(api.ctx, parse_email(unknown), unknown)  # nobody we know: triage
    sent = agent.post(f"{API}/requests/{request['id']}/verification/code")
    assert sent.status_code == 200, sent.text
    now = api.clock.now()
    with api.uow() as uow:
        (message,) = uow.outbox.claim(now, limit=1, lease=timedelta(minutes=5))
        uow.outbox.mark_attempt_failed(message.message_id, now, "550 no such user", retry_at=None)
        uow.commit()
    after = scrape(ops)
    assert sample(after, "rescind_outbox_messages", status="failed") == 1
    assert sample(after, "rescind_queue_items", queue="email_triage") == 1


def test_a_dead_database_is_database_up_0_and_the_scrape_still_answers(api: Api) -> None:
    dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing")
    try:
        metrics = scrape(operated(api, dead, probe=SqlProbe(dead)))
    finally:
        dead.dispose()
    assert sample(metrics, "rescind_database_up") == 0
    assert sample(metrics, "rescind_queue_items", queue="open_requests") is None


def test_with_a_metrics_token_only_its_bearer_reads_the_metrics(
    api: Api, api_engine: Engine
) -> None:
    ops = operated(api, api_engine, metrics_token="s3cret-scraper")
    client = ops.anonymous()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["type"] == "/problems/unauthenticated"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"})
    assert allowed.status_code == 200
    assert sample(allowed.text, "rescind_database_up") == 1
    assert client.get("/healthz").status_code == 200  # the health checks stay open
