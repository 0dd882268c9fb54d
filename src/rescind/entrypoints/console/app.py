"""The agent console and the installer portal: server-rendered pages under ``/console``.

A sub-application mounted by ``api.app.create_app`` next to the JSON API, calling the same
service functions with the same ``Actor``: the console never decides a rule itself. Its own
error handlers turn every error into a page (a banner, or words next to the field), never a
traceback and never problem+json.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rescind.adapters.db.outage import RETRY_AFTER_SECONDS, database_unavailable
from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.domain.errors import NotFound, RescindError
from rescind.entrypoints.console import (
    admin_holidays,
    admin_import,
    admin_policies,
    admin_users,
    auth,
    cases,
    closing,
    insights,
    installer,
    jobs,
    mailbox,
    outbox,
    password,
    policy_simulate,
    queues,
    requests_list,
    sales_rep,
    start,
    triage,
    webhooks,
    wizard,
)
from rescind.entrypoints.console.render import (
    HERE,
    Problems,
    login_url,
    make_templates,
    page,
    problems_of,
    status_of,
)
from rescind.entrypoints.console.session import (
    ConsoleState,
    LoginRequired,
    Session,
    current_session,
)
from rescind.entrypoints.web.proofs import ProofSource
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.context import Context
from rescind.services.ports import DatabaseProbe, PasswordHasher

log = logging.getLogger(__name__)

_UNAVAILABLE = (
    "The database cannot be reached right now, so this page could not be shown or saved. "
    "Wait a few seconds and try again; a form you sent may need sending again."
)


def create_console(
    ctx: Context,
    passwords: PasswordHasher,
    throttle: Throttle,
    demo_mailbox: DemoMailbox | None = None,
    probe: DatabaseProbe | None = None,
    proofs: Callable[[], ProofSource | None] = lambda: None,
) -> FastAPI:
    console = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    console.state.console = ConsoleState(
        ctx=ctx,
        passwords=passwords,
        throttle=throttle,
        demo_mailbox=demo_mailbox,
        probe=probe,
        proofs=proofs,
    )
    console.state.templates = make_templates(ctx.tz, ctx.now)
    console.state.templates.env.globals["demo_mailbox"] = demo_mailbox is not None
    console.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        auth,
        password,
        jobs,
        start,
        wizard,
        closing,
        queues,
        requests_list,
        cases,
        triage,
        installer,
        sales_rep,
        policy_simulate,
        mailbox,
        webhooks,
        admin_users,
        admin_policies,
        admin_holidays,
        admin_import,
        outbox,
        insights,
    ):
        console.include_router(module.router)
    _install_error_pages(console)
    return console


def _session_or_none(request: Request) -> Session | None:
    try:
        return current_session(request, request.app.state.console.ctx)
    except LoginRequired:
        return None


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    session = _session_or_none(request)
    return page(
        request,
        "error.html",
        session,
        status=status,
        problems=Problems(banner=message, title=title),
        title=title,
        status_code=status,
    )


def _install_error_pages(console: FastAPI) -> None:
    @console.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        return RedirectResponse(login_url(request), status_code=303)

    @console.exception_handler(RescindError)
    async def _rescind(request: Request, error: RescindError) -> Response:
        problems = problems_of(error)
        status = status_of(error)
        title = "Not found" if isinstance(error, NotFound) else (problems.title or "Not done")
        return _error_page(request, status, title, error.message)

    @console.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ("?",))[-1]) for e in error.errors()[:3])
        return _error_page(
            request, 422, "Check the form", f"some fields were missing or invalid: {fields}"
        )

    @console.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return _error_page(request, 404, "Not found", "There is no such page.")
        return _error_page(request, error.status_code, "Not done", str(error.detail))

    @console.exception_handler(DBAPIError)
    async def _database(request: Request, error: DBAPIError) -> Response:
        if not database_unavailable(error):
            return await _unexpected(request, error)
        log.warning("database unavailable in the console: %s", error.orig)
        # No session lookup here: it would need the database that just failed.
        response = page(
            request,
            "error.html",
            None,
            status=503,
            problems=Problems(banner=_UNAVAILABLE, title="The database is unavailable"),
            title="The database is unavailable",
            status_code=503,
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @console.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error in the console", exc_info=error)
        return _error_page(
            request,
            500,
            "Something went wrong on our side",
            "Nothing was changed by this page. Try again; if it happens again, tell operations "
            "the time it happened.",
        )
