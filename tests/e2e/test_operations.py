"""Operating the real commands: ``rescind serve`` answers its health checks and metrics and
logs JSON lines (one access line per request, none from uvicorn); ``rescind worker
--metrics-port`` serves its own metrics and logs in the same format."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import TIMEOUT_SECONDS, Rescind, rescind_command
from tests.e2e.test_serve import free_port, serving


def values(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_serve_answers_health_and_metrics_and_logs_json_lines(demo_copy: Rescind) -> None:
    demo_copy.extra_env["RESCIND_LOG_FORMAT"] = "json"
    with serving(demo_copy, "serve") as server:
        assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{server.base_url}/readyz", timeout=10).json() == {"status": "ready"}
        answer = httpx.get(
            f"{server.base_url}/api/v1/jobs",
            # From 127.0.0.1, a trusted proxy by default (RESCIND_FORWARDED_ALLOW_IPS).
            headers={"X-Request-ID": "e2e-1", "X-Forwarded-For": "203.0.113.7"},
            timeout=10,
        )
        assert answer.status_code == 401
        metrics = values(httpx.get(f"{server.base_url}/metrics", timeout=10).text)
    assert metrics[("rescind_database_up", ())] == 1
    assert metrics[("rescind_jobs", (("status", "cancel_pending"),))] >= 1
    # The worker thread of `rescind serve` on SQLite counts on the same registry.
    assert ("rescind_finalizations_total", ()) in metrics
    assert metrics[("process_resident_memory_bytes", ())] > 0  # the process's own metrics
    lines = json_lines(server.err)
    assert lines
    assert {line["level"] for line in lines} <= {"INFO", "WARNING"}
    (access,) = [line for line in lines if line.get("request_id") == "e2e-1"]
    assert (access["logger"], access["route"], access["status"]) == (
        "rescind.access",
        "/api/v1/jobs",
        401,
    )
    assert access["client"] == "203.0.113.7"
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [line for line in lines if line["logger"] == "rescind.worker"]
    # Every line of stderr is one JSON object: nothing else is written there.
    assert len(lines) == len([line for line in server.err.splitlines() if line])


def test_worker_serves_its_metrics_on_the_given_port_and_stops_on_sigterm(
    demo_copy: Rescind,
) -> None:
    port = free_port()
    demo_copy.extra_env.update({"RESCIND_LOG_FORMAT": "json", "RESCIND_WORKER_POLL_SECONDS": "1"})
    err_path = demo_copy.data_dir / "worker.err"
    with err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "worker", "--metrics-port", str(port)],
            env=demo_copy.env(),
            cwd=demo_copy.data_dir,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        metrics = _scrape_after_a_round(process, f"http://127.0.0.1:{port}/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    stderr = err_path.read_text()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert metrics[("rescind_finalizations_total", ())] == 0  # the demo's windows were swept
    assert metrics[("rescind_emails_total", (("outcome", "sent"),))] == 0
    assert metrics[("rescind_database_up", ())] == 1
    assert metrics[("rescind_jobs", (("status", "cancel_pending"),))] >= 1
    assert metrics[("process_resident_memory_bytes", ())] > 0
    lines = json_lines(stderr)
    messages = [line["message"] for line in lines if line["logger"] == "rescind.worker"]
    assert [m for m in messages if m.startswith("worker started")]
    assert messages[-1] == "worker stopped"
    assert f"metrics on http://127.0.0.1:{port}/metrics" in messages
    assert "RESCIND_SMTP_HOST is not set; emails stay queued in the outbox" in messages
    assert len(lines) == len([line for line in stderr.splitlines() if line])  # all JSON


def _scrape_after_a_round(
    process: subprocess.Popen[bytes], url: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("rescind worker exited early")
        try:
            metrics = values(httpx.get(url, timeout=5).text)
        except httpx.TransportError:
            metrics = {}
        if metrics.get(("rescind_worker_round_duration_seconds_count", ()), 0) >= 1:
            return metrics
        time.sleep(0.2)
    pytest.fail(f"no worker round was counted at {url} within {TIMEOUT_SECONDS} s")


def test_serve_refuses_several_workers_on_sqlite_in_one_line(rescind: Rescind) -> None:
    result = rescind("serve", "--workers", "2", code=2)
    assert "--workers needs PostgreSQL" in result.error_line


@pytest.mark.postgres
def test_serve_with_two_workers_on_postgresql_counts_every_process_in_one_scrape(
    postgres_rescind: Rescind,
) -> None:
    postgres_rescind("db", "upgrade", stderr_ok=True)
    postgres_rescind.extra_env["RESCIND_LOG_FORMAT"] = "json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    err_path = postgres_rescind.data_dir / "serve.err"
    with err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
            [*rescind_command(), "serve", "--port", str(port), "--workers", "2"],
            env=postgres_rescind.env(),
            cwd=postgres_rescind.data_dir,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        servers = _wait_for_server_processes(process, err_path, count=2)
        for n in range(40):  # a new connection each: the kernel spreads them
            answer = httpx.get(f"{base}/api/v1/jobs", headers={"X-Request-ID": f"w-{n}"})
            assert answer.status_code == 401
        metrics = values(httpx.get(f"{base}/metrics", timeout=10).text)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    stderr = err_path.read_text()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    route = (("method", "GET"), ("route", "/api/v1/jobs"), ("status", "401"))
    assert metrics[("rescind_http_requests_total", route)] == 40
    access = [line for line in json_lines(stderr) if line["logger"] == "rescind.access"]
    answered = [line for line in access if str(line["request_id"]).startswith("w-")]
    assert len(answered) == 40
    assert {line["process"] for line in answered} <= servers


def _wait_for_server_processes(
    process: subprocess.Popen[bytes], err_path: Path, count: int
) -> set[int]:
    """The pids of ``count`` server processes once each has finished starting."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rescind serve exited early:\n{err_path.read_text()}")
        lines = json_lines(err_path.read_text())
        started = {
            line["process"] for line in lines if line["message"] == "Application startup complete."
        }
        if len(started) >= count:
            return started
        time.sleep(0.5)
    pytest.fail(f"{count} server processes did not start within {TIMEOUT_SECONDS} s")
