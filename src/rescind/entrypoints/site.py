"""The whole web site on one app: the API, the agent console and installer portal under
``/console``, and the homeowner's self-service page under ``/cancel``.

The three doors do not import each other (an import-linter contract); this module alone puts
them side by side and hands them the same services, passwords and throttle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from prometheus_client import CollectorRegistry

from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.entrypoints.api.app import create_api
from rescind.entrypoints.api.body_limit import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UPLOAD_BYTES
from rescind.entrypoints.api.deps import ApiState
from rescind.entrypoints.api.idempotency import DEFAULT_LEASE
from rescind.entrypoints.console.app import create_console
from rescind.entrypoints.selfservice.app import create_self_service
from rescind.entrypoints.web.proofs import ProofSource
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.context import Context
from rescind.services.ports import DatabaseProbe, PasswordHasher


def create_app(
    ctx: Context,
    passwords: PasswordHasher,
    throttle: Throttle | None = None,
    *,
    probe: DatabaseProbe | None = None,
    registry: CollectorRegistry | None = None,
    metrics_token: str = "",
    idempotency_lease: timedelta = DEFAULT_LEASE,
    proofs: ProofSource | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    demo_mailbox: DemoMailbox | None = None,
) -> FastAPI:
    """The app; ``probe`` answers ``/readyz`` and the backlog metrics, ``registry`` is shared
    with an in-process worker's metrics (a new one when not given)."""
    throttle = throttle or Throttle()
    app = create_api(
        ctx,
        passwords,
        throttle,
        probe=probe,
        registry=registry,
        metrics_token=metrics_token,
        idempotency_lease=idempotency_lease,
        proofs=proofs,
        max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
    )
    # The agent console and installer portal: HTML pages over the same services.
    app.mount(
        "/console",
        create_console(
            ctx,
            passwords,
            throttle,
            demo_mailbox=demo_mailbox,
            probe=probe,
            # Read when asked: the API state may be replaced after start (with proofs set).
            proofs=lambda: cast(ApiState, app.state.rescind).proofs,
        ),
    )

    # The homeowner's own page: public, throttled with the same limiter.
    @app.get("/cancel", include_in_schema=False)
    def self_service_start() -> RedirectResponse:
        return RedirectResponse("/cancel/")

    app.mount("/cancel", create_self_service(ctx, throttle))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console/")

    return app
