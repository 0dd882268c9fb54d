"""The worker's metrics count what each round's report says: a window that ended is one
finalization, the gauges read from the database move with it, and a failed round is counted
without ending the worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine

from rescind.bootstrap import composer_for
from rescind.config import Settings
from rescind.domain.access import Role
from rescind.domain.job import JobStatus
from rescind.domain.webhooks import DueDelivery
from rescind.entrypoints.processes.metrics import WorkerMetrics
from rescind.entrypoints.processes.worker import Round, Worker
from rescind.services.webhook_delivery import PostFailed
from tests.api.conftest import API, Api
from tests.api.ops import operated, sample
from tests.api.test_api_procedure import verified_pending_job


class StopAfter(WorkerMetrics):
    """The metrics, stopping the worker after ``rounds`` rounds (so run_forever returns)."""

    def __init__(self, registry: CollectorRegistry, worker: Worker, rounds: int) -> None:
        super().__init__(registry)
        self.worker = worker
        self.left = rounds

    def round_done(self, done: Round, seconds: float) -> None:
        super().round_done(done, seconds)
        self._count_down()

    def round_failed(self, seconds: float) -> None:
        super().round_failed(seconds)
        self._count_down()

    def _count_down(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.worker.stopping.set()


def test_a_finalized_window_is_counted_and_the_gauges_follow(api: Api, api_engine: Engine) -> None:
    registry = CollectorRegistry()
    ops = operated(api, api_engine, registry=registry)
    verified_pending_job(ops, ops.client(Role.AGENT), "JOB-002")
    before = ops.anonymous().get("/metrics").text
    assert sample(before, "rescind_jobs", status="cancel_pending") == 1
    api.clock.advance(timedelta(days=30))  # past the end of the 14th business day

    worker = Worker(api.ctx, composer_for(Settings()), None, poll_seconds=0.01)
    worker.observer = StopAfter(registry, worker, rounds=2)
    worker.run_forever()

    after = ops.anonymous().get("/metrics").text
    assert sample(after, "rescind_finalizations_total") == 1
    assert sample(after, "rescind_worker_round_duration_seconds_count") == 2
    assert sample(after, "rescind_worker_round_failures_total") == 0
    assert sample(after, "rescind_emails_total", outcome="sent") == 0  # no SMTP server set
    assert sample(after, "rescind_jobs", status="cancel_pending") == 0
    with api.uow() as uow:
        assert uow.jobs.get("JOB-002").status is JobStatus.CANCELLED


def test_a_round_that_raises_is_counted_as_a_failure_and_the_worker_goes_on(
    api: Api,
) -> None:
    registry = CollectorRegistry()

    def broken() -> Round:
        raise RuntimeError("the database went away")

    worker = Worker(api.ctx, composer_for(Settings()), None, poll_seconds=0.01)
    worker.run_once = broken  # type: ignore[method-assign]
    worker.observer = StopAfter(registry, worker, rounds=3)
    worker.run_forever()

    metrics = generate_latest(registry).decode()
    assert sample(metrics, "rescind_worker_round_failures_total") == 3
    assert sample(metrics, "rescind_worker_round_duration_seconds_count") == 3
    assert sample(metrics, "rescind_finalizations_total") == 0


class FirstOnly:
    """A receiver that accepts the first delivery and answers 503 to the others."""

    def __init__(self) -> None:
        self.posted = 0

    def post(self, delivery: DueDelivery, *, now: datetime) -> int:
        self.posted += 1
        if self.posted > 1:
            raise PostFailed("the receiver answered 503", status_code=503)
        return 200


def test_webhook_deliveries_are_counted_as_delivered_retried_and_failed(api: Api) -> None:
    registry = CollectorRegistry()
    admin = api.client(Role.ADMIN)
    made = admin.post(
        f"{API}/webhooks",
        json={"url": "https://crm.example/hooks", "event_types": ["request.filed"]},
    )
    assert made.status_code == 201, made.text
    agent = api.client(Role.AGENT)
    for job_id in ("JOB-002", "JOB-003"):
        filed = agent.post(
            f"{API}/requests",
            json={
                "job_id": job_id,
                "channel": "phone",
                "requester_role": "homeowner",
                "requester_name": "Someone Asking",
            },
        )
        assert filed.status_code == 201, filed.text

    worker = Worker(api.ctx, composer_for(Settings()), None, poll_seconds=0.01, poster=FirstOnly())
    worker.observer = StopAfter(registry, worker, rounds=1)
    worker.run_forever()

    metrics = generate_latest(registry).decode()
    assert sample(metrics, "rescind_webhook_deliveries_total", outcome="delivered") == 1
    assert sample(metrics, "rescind_webhook_deliveries_total", outcome="retried") == 1
    assert sample(metrics, "rescind_webhook_deliveries_total", outcome="failed") == 0
