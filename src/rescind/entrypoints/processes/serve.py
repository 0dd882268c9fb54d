"""``rescind serve``: the HTTP API on uvicorn.

On a new SQLite database it first loads the demo data (as ``rescind demo`` does, without the
walkthrough) and creates one demo login per role, so a checkout can be explored at once. A
server database (PostgreSQL) never gets a login with a known password: with no users yet it
says, in one line on stderr, how to create the first admin.
On PostgreSQL, ``--workers N`` runs N server processes on one port (several cores, one box).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from datetime import timedelta
from types import FrameType

import uvicorn
from fastapi import FastAPI
from limits.errors import ConfigurationError
from prometheus_client import CollectorRegistry
from rich.console import Console
from sqlalchemy.engine import make_url

from rescind.bootstrap import (
    App,
    bootstrap,
    checkpointing,
    demo_mailbox_for,
    password_hasher,
    read_settings,
)
from rescind.config import Settings
from rescind.domain.errors import InvalidInput, RescindError
from rescind.entrypoints.api.app import API_PREFIX
from rescind.entrypoints.cli.demo import load_demo_data
from rescind.entrypoints.processes.logs import configure_logging
from rescind.entrypoints.processes.metrics import (
    MULTIPROCESS_DIR_ENV,
    WorkerMetrics,
    process_registry,
)
from rescind.entrypoints.processes.worker import worker_for
from rescind.entrypoints.site import create_app
from rescind.entrypoints.web.proofs import ProofSource
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.auth import ensure_demo_users
from rescind.services.ports import JobQuery

log = logging.getLogger("rescind.serve")
NO_USERS_YET = "no users yet: create the first admin with 'rescind users create --role admin NAME'"


def prepare(
    app: App,
    out: Console,
    *,
    host: str,
    port: int,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """Demo data and logins where they belong, then the ASGI app; prints what to open."""
    passwords = password_hasher()
    throttle = throttle_for(app.settings)
    if _is_sqlite(app) and not _has_jobs(app):
        load_demo_data(app, out)
    created = ensure_demo_users(app.ctx, passwords) if _is_sqlite(app) else []
    if not _is_sqlite(app) and not _has_users(app):
        print(NO_USERS_YET, file=sys.stderr)
    if created:
        out.print("\ndemo logins (username / password / role):")
        for user, password in created:
            acts_for = f" (acts for {user.scope_id})" if user.scope_id else ""
            out.print(f"  {user.username} / {password} / {user.role.value}{acts_for}", markup=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only a display
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    out.print(f"\nconsole: {base}/console/", markup=False)
    out.print(f"API docs: {base}{API_PREFIX}/docs", markup=False)
    if _is_sqlite(app):
        smtp = app.settings.smtp_host
        out.print(
            "the worker runs in this process: it finalizes ended windows and "
            + (
                f"sends email through {smtp}"
                if smtp and not app.settings.demo_mailbox_on
                else f"writes email to the demo mailbox, {base}/console/demo/mailbox (mail is "
                "not sent; set RESCIND_SMTP_HOST to send)"
                if app.settings.demo_mailbox_on
                else "keeps email in the outbox (set RESCIND_SMTP_HOST to send)"
            ),
            markup=False,
        )
    else:
        out.print("run `rescind worker` alongside to finalize windows and send email")
    return create_app(
        app.ctx,
        passwords,
        throttle,
        probe=app.probe,
        registry=registry,
        metrics_token=app.settings.metrics_token,
        idempotency_lease=timedelta(seconds=app.settings.idempotency_lease_seconds),
        proofs=proof_source(app.settings),
        max_body_bytes=app.settings.max_body_bytes,
        max_upload_bytes=app.settings.max_upload_bytes,
        demo_mailbox=demo_mailbox_for(app.settings),
    )


def throttle_for(settings: Settings) -> Throttle:
    """The web doors' shared limiter, on the storage settings name (memory, or Redis)."""
    try:
        return Throttle(settings.rate_limit_storage)
    except ConfigurationError as e:
        raise InvalidInput(
            f"bad setting RESCIND_RATE_LIMIT_STORAGE: {e}", field="rate_limit_storage"
        ) from None


def proof_source(settings: Settings) -> ProofSource | None:
    setup = checkpointing(settings)
    return None if setup is None else ProofSource(setup.archive, setup.signer.verifier())


class PortUnavailable(RescindError):
    code = "port_unavailable"


def check_port(host: str, port: int) -> None:
    """Refuse at once, in one line, a port we cannot listen on (another server has it),
    before the demo data is loaded and before uvicorn would log its own error and a trace."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by our own last run is free to take.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                other = port + 1 if port < 65535 else 8000
                raise PortUnavailable(
                    f"port {port} on {host} is already in use (another rescind serve?): stop "
                    f"it, or pick another port with `make run PORT={other}` or "
                    "`rescind serve --port N`"
                ) from None
            raise PortUnavailable(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None


def serve(app: App, out: Console, *, host: str, port: int, workers: int = 1) -> None:
    check_port(host, port)
    if workers > 1:
        _serve_processes(app, out, host=host, port=port, workers=workers)
        return
    registry = process_registry()
    api = prepare(app, out, host=host, port=port, registry=registry)
    # The embedded default works alone: on SQLite the worker runs in a thread of this process,
    # counted on the app's own /metrics.
    background = (
        worker_for(
            app.ctx,
            app.settings,
            WorkerMetrics(registry),
            demo_mailbox=demo_mailbox_for(app.settings),
        )
        if _is_sqlite(app)
        else None
    )
    thread = None
    if background is not None:
        thread = threading.Thread(target=background.run_forever, name="rescind-worker", daemon=True)
        thread.start()
    # uvicorn shuts down gracefully on SIGTERM and then re-raises it; a stop we asked for is
    # a clean exit (0), not a death by signal.
    signal.signal(signal.SIGTERM, _stop)
    try:
        with contextlib.suppress(KeyboardInterrupt, _Stopped):
            uvicorn.run(
                api,
                host=host,
                port=port,
                # Our logging (entrypoints/processes/logs.py) and our access line, not uvicorn's.
                log_config=None,
                access_log=False,
                proxy_headers=True,
                forwarded_allow_ips=app.settings.forwarded_allow_ips,
            )
    finally:
        if background is not None and thread is not None:
            background.stopping.set()
            thread.join(timeout=30)
    out.print("rescind serve stopped")


def _serve_processes(app: App, out: Console, *, host: str, port: int, workers: int) -> None:
    """``--workers N``: uvicorn's supervisor and N server processes sharing one socket (the
    kernel spreads connections); each builds its own app (``process_app``)."""
    if _is_sqlite(app):
        raise InvalidInput(
            "--workers needs PostgreSQL (RESCIND_DATABASE_URL): on SQLite one process serves "
            "and runs the worker",
            field="workers",
        )
    prepare(app, out, host=host, port=port)  # the settings checked, and "no users yet" said
    if app.settings.rate_limit_storage.startswith("memory://"):
        log.warning(
            "RESCIND_RATE_LIMIT_STORAGE is memory://: each of the %d processes counts login "
            "and code attempts on its own; set redis://… to share them",
            workers,
        )
    metrics_dir = tempfile.mkdtemp(prefix="rescind-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir  # inherited by the processes uvicorn spawns
    try:
        uvicorn.run(
            "rescind.entrypoints.processes.serve:process_app",
            factory=True,
            workers=workers,
            # A process that takes longer to start (or answer its supervisor's ping) is killed
            # and started again; uvicorn's 5 s is too short on a busy machine.
            timeout_worker_healthcheck=120,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips=app.settings.forwarded_allow_ips,
        )
    finally:
        del os.environ[MULTIPROCESS_DIR_ENV]
        shutil.rmtree(metrics_dir, ignore_errors=True)
    out.print("rescind serve stopped")


def process_app() -> FastAPI:
    """The app of one ``--workers`` process: a fresh interpreter, so settings, logging and
    the database are set up here again."""
    settings = read_settings()
    configure_logging(settings.log_format, settings.log_level)
    app = bootstrap(settings)
    return create_app(
        app.ctx,
        password_hasher(),
        throttle_for(settings),
        probe=app.probe,
        metrics_token=settings.metrics_token,
        idempotency_lease=timedelta(seconds=settings.idempotency_lease_seconds),
        proofs=proof_source(settings),
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        demo_mailbox=demo_mailbox_for(settings),
    )


class _Stopped(Exception):
    """SIGTERM, after uvicorn's graceful shutdown."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def _is_sqlite(app: App) -> bool:
    return make_url(app.settings.effective_database_url).get_backend_name() == "sqlite"


def _has_users(app: App) -> bool:
    with app.ctx.uow() as uow:
        return bool(uow.users.list())


def _has_jobs(app: App) -> bool:
    with app.ctx.uow() as uow:
        return bool(uow.jobs.search(JobQuery(limit=1)))
