"""Prometheus metrics (the official ``prometheus_client``), counted at the edges.

The services know nothing of Prometheus: the API counts requests in its access middleware,
the worker counts from the report each round returns, and the backlog gauges are read from
the database when Prometheus scrapes (``BacklogCollector``), so every server process reports
the same numbers and none keeps state that a restart would lose. Each app or worker has its
own ``CollectorRegistry`` (tests build many apps in one process).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from rescind.entrypoints.processes.worker import Round
from rescind.services.ports import DatabaseProbe

log = logging.getLogger(__name__)

# prometheus_client's multi-process mode: set (by ``rescind serve --workers``) before the
# server processes start, it makes every counter a file in this directory, summed at scrape.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def process_registry() -> CollectorRegistry:
    """A registry with the process's own metrics (CPU, memory, open files, GC, Python
    version), as prometheus_client's default registry has them."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def scrape_registries(
    probe: DatabaseProbe | None, registry: CollectorRegistry | None = None
) -> tuple[CollectorRegistry, Callable[[], CollectorRegistry]]:
    """Where this process counts, and what a scrape reads.

    One process: one registry, counted into and read, with the backlog on it. Several
    (``--workers``): this process counts into a registry nobody reads (its values land in
    the shared directory) and a scrape reads every process's files plus the backlog, so
    whichever process answers, the numbers are the whole server's.
    """
    if MULTIPROCESS_DIR_ENV not in os.environ:
        counted = registry if registry is not None else process_registry()
        if probe is not None:
            counted.register(BacklogCollector(probe))
        return counted, lambda: counted

    def summed() -> CollectorRegistry:
        scraped = CollectorRegistry()
        MultiProcessCollector(scraped)  # type: ignore[no-untyped-call]  # untyped upstream
        if probe is not None:
            scraped.register(BacklogCollector(probe))
        return scraped

    return registry if registry is not None else CollectorRegistry(), summed


# Seconds; most API calls take milliseconds, a worker round with a full batch seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
ROUND_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "rescind_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "rescind_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class WorkerMetrics:
    """Counted from each round's report; ``rescind serve`` on SQLite shares the app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.finalizations = Counter(
            "rescind_finalizations",
            "Jobs finally cancelled by the sweep in this process.",
            registry=registry,
        )
        self.emails = Counter(
            "rescind_emails",
            "Outbox deliveries attempted by this process, by outcome (sent, retrying, failed).",
            ["outcome"],
            registry=registry,
        )
        self.webhooks = Counter(
            "rescind_webhook_deliveries",
            "Webhook delivery attempts made by this process, by outcome (delivered, retried: "
            "failed and due again, failed: the last attempt failed).",
            ["outcome"],
            registry=registry,
        )
        self.rounds = Histogram(
            "rescind_worker_round_duration_seconds",
            "Time one worker round (sweep, then delivery) took.",
            buckets=ROUND_BUCKETS,
            registry=registry,
        )
        self.round_failures = Counter(
            "rescind_worker_round_failures",
            "Worker rounds that raised (the database away, a bug); the worker goes on.",
            registry=registry,
        )
        for outcome in ("sent", "retrying", "failed"):
            self.emails.labels(outcome)  # present at 0 before the first email
        for outcome in ("delivered", "retried", "failed"):
            self.webhooks.labels(outcome)

    def round_done(self, done: Round, seconds: float) -> None:
        self.finalizations.inc(done.swept.finalized)
        if done.delivered is not None:
            self.emails.labels("sent").inc(len(done.delivered.sent))
            self.emails.labels("retrying").inc(len(done.delivered.retrying))
            self.emails.labels("failed").inc(len(done.delivered.failed))
        if done.posted is not None:
            self.webhooks.labels("delivered").inc(len(done.posted.delivered))
            self.webhooks.labels("retried").inc(len(done.posted.retrying))
            self.webhooks.labels("failed").inc(len(done.posted.failed))
        self.rounds.observe(seconds)

    def round_failed(self, seconds: float) -> None:
        self.round_failures.inc()
        self.rounds.observe(seconds)


class BacklogCollector(Collector):
    """Queue sizes, outbox backlog and pending cancellations, read at scrape time.

    A database that does not answer gives ``rescind_database_up 0`` and no backlog, rather
    than a failed scrape: the alert then says what is wrong.
    """

    def __init__(self, probe: DatabaseProbe) -> None:
        self._probe = probe

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "rescind_database_up", "1 if the database answered the backlog queries, else 0."
        )
        try:
            backlog = self._probe.backlog()
        except Exception:
            log.warning("metrics: the backlog queries failed", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queues = GaugeMetricFamily(
            "rescind_queue_items", "Items waiting in each work queue.", labels=["queue"]
        )
        for queue, size in (
            ("open_requests", backlog.open_requests),
            ("back_office", backlog.back_office_queue),
            ("deal_processing", backlog.deal_processing_queue),
            ("email_triage", backlog.email_triage),
        ):
            queues.add_metric([queue], size)
        yield queues
        outbox = GaugeMetricFamily(
            "rescind_outbox_messages",
            "Outbox messages waiting to be sent (queued) or given up on (failed).",
            labels=["status"],
        )
        outbox.add_metric(["queued"], backlog.outbox_queued)
        outbox.add_metric(["failed"], backlog.outbox_failed)
        yield outbox
        jobs = GaugeMetricFamily(
            "rescind_jobs",
            "Jobs by status; only cancel_pending (windows running), the one that is work "
            "waiting (cancelled jobs only ever grow: see rescind_finalizations_total).",
            labels=["status"],
        )
        jobs.add_metric(["cancel_pending"], backlog.cancel_pending_jobs)
        yield jobs

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering must not query the database.
        return iter(())
