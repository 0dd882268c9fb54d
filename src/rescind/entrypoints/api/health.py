"""Health checks and metrics, outside ``/api/v1`` and without a login.

``/healthz`` says the process answers (it touches nothing, so a slow database never gets a
server killed); ``/readyz`` says the database answers and its schema is the one this code
needs (503 problem details naming what is wrong, so a proxy stops sending traffic);
``/metrics`` is the Prometheus exposition. They are meant for the proxy and the scraper on
the inside network: ``/metrics`` takes a bearer token when ``RESCIND_METRICS_TOKEN`` is set.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from rescind.entrypoints.api.problems import FieldProblem, problem_response
from rescind.services.ports import DatabaseProbe

PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Operations:
    probe: DatabaseProbe | None
    scrape: Callable[[], CollectorRegistry]
    metrics_token: str


def _operations(request: Request) -> Operations:
    operations: Operations = request.app.state.operations
    return operations


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    probe = _operations(request).probe
    problems = (
        probe.problems() if probe is not None else ["this app was built without a database probe"]
    )
    if problems:
        return problem_response(
            503,
            "not_ready",
            "; ".join(problems),
            errors=[FieldProblem(field="database", message=p) for p in problems],
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    operations = _operations(request)
    if operations.metrics_token:
        sent = request.headers.get("authorization", "")
        expected = f"Bearer {operations.metrics_token}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return problem_response(
                401,
                "unauthenticated",
                "send `Authorization: Bearer <RESCIND_METRICS_TOKEN>` to read the metrics",
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(generate_latest(operations.scrape()), media_type=CONTENT_TYPE_LATEST)
