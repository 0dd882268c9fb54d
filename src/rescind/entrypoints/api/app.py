"""The HTTP API: FastAPI under ``/api/v1``, a thin adapter over the service layer.

``create_api`` takes a ready service context (from ``bootstrap``), so tests build the app on
fakes or on a temporary database without touching settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from rescind.entrypoints.api import (
    admin,
    auth,
    cases,
    health,
    inbound,
    insights,
    jobs,
    policy_simulate,
    problems,
    requests,
    users,
    webhooks,
)
from rescind.entrypoints.api.body_limit import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
    BodyLimitMiddleware,
)
from rescind.entrypoints.api.deps import API_PREFIX as API_PREFIX  # re-exported
from rescind.entrypoints.api.deps import ApiState, ProofSource, declare_required_if_match
from rescind.entrypoints.api.headers import SecuredFastAPI, install_docs
from rescind.entrypoints.api.health import Operations
from rescind.entrypoints.api.idempotency import DEFAULT_LEASE
from rescind.entrypoints.api.problems import TITLES, Problem
from rescind.entrypoints.processes.metrics import HttpMetrics, scrape_registries
from rescind.entrypoints.web.access_log import AccessMiddleware
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.context import Context
from rescind.services.ports import DatabaseProbe, PasswordHasher

DESCRIPTION = """
Runs the job-cancellation procedure end to end: eligibility by a versioned decision table,
homeowner verification, the 14-business-day Cancel Pending window with restore, Deal
Processing escalations, the homeowner feed, emails to the contract signers, and an audit trail.

* Log in at `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`.
* Every state change accepts `Idempotency-Key` (a retry returns the first answer).
* Every state change of a job, request or case **requires** `If-Match`: the ETag you read
  (a stale one gets 412: reload and decide again), or `If-Match: *` to write without the
  check on purpose. Without it the answer is 428 `/problems/precondition_required`.
* Errors are RFC 9457 `application/problem+json` with a stable `type` (`/problems/<code>`)
  and, where the answer is known, `retryable`: true (a 409 `conflict`: another change won
  the race; wait `Retry-After` seconds and send it again as it was) or false (a refusal that
  stands until something else changes: do not retry).
* A 503 (`database_unavailable`, with `Retry-After`) is worth retrying as it was sent: with
  the same `Idempotency-Key`, a change is never done twice.
"""

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "content": {problems.PROBLEM_JSON: {}}, "description": text}
    for status, text in {
        401: "Not logged in",
        403: "Your role may not do this",
        404: "Not found (or not yours to see)",
        409: "The procedure does not allow this now, or a concurrent change won",
        412: "If-Match is stale",
        413: "The body is over the size limit (RESCIND_MAX_BODY_BYTES, uploads "
        "RESCIND_MAX_UPLOAD_BYTES)",
        422: "Invalid input",
        429: "Too many attempts",
        503: "The database cannot be reached right now; retry after Retry-After seconds",
    }.items()
}


class RescindApi(SecuredFastAPI):
    """The app whose OpenAPI document states what the server enforces beyond FastAPI's own
    reading of the routes: ``If-Match`` required where a missing one is a 428."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = declare_required_if_match(super().openapi())
        return self.openapi_schema


def create_api(
    ctx: Context,
    passwords: PasswordHasher,
    throttle: Throttle,
    *,
    probe: DatabaseProbe | None = None,
    registry: CollectorRegistry | None = None,
    metrics_token: str = "",
    idempotency_lease: timedelta = DEFAULT_LEASE,
    proofs: ProofSource | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> FastAPI:
    """The API's app: ``/api/v1``, the health and metrics routes and the problem types.

    ``probe`` answers ``/readyz`` and the backlog metrics, ``registry`` is shared with an
    in-process worker's metrics (a new one when not given). ``site.create_app`` mounts the
    console and self-service on it."""
    app = RescindApi(
        title="rescind",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # install_docs serves it, with its own Content-Security-Policy
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    app.state.rescind = ApiState(
        ctx=ctx,
        passwords=passwords,
        throttle=throttle,
        idempotency_lease=idempotency_lease,
        proofs=proofs,
    )
    problems.install(app)
    install_docs(app, f"{API_PREFIX}/docs")
    counted, scraped = scrape_registries(probe, registry)
    app.state.operations = Operations(probe=probe, scrape=scraped, metrics_token=metrics_token)
    # Inside the access middleware, so a 413 is logged and counted with its request id; both
    # wrap whatever is mounted on this app later (the console, self-service).
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes
    )
    app.add_middleware(AccessMiddleware, metrics=HttpMetrics(counted))
    app.include_router(health.router)
    api = APIRouter(prefix=API_PREFIX)
    for module in (
        auth,
        jobs,
        requests,
        cases,
        inbound,
        policy_simulate,
        insights,
        admin,
        users,
        webhooks,
    ):
        api.include_router(module.router)
    app.include_router(api)

    @app.get("/problems/{code}", include_in_schema=False)
    def problem_type(code: str) -> JSONResponse:
        """The problem types are documented at their own URI."""
        if code not in TITLES:
            return problems.problem_response(404, "not_found", f"no problem type {code!r}")
        return JSONResponse({"type": f"/problems/{code}", "title": TITLES[code]})

    return app
