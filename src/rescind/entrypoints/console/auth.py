"""Logging in and out of the console, and where each role lands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.access import Role
from rescind.domain.errors import (
    PasswordChangeRequired,
    RateLimited,
    RescindError,
    Unauthenticated,
)
from rescind.entrypoints.console.password import password_page
from rescind.entrypoints.console.render import Problems, page, redirect, status_of
from rescind.entrypoints.console.session import (
    LoginRequired,
    PostSession,
    State,
    check_login_csrf,
    clear_session,
    current_session,
    new_login_csrf,
    set_login_csrf_cookie,
    set_session_cookie,
)
from rescind.entrypoints.web.clients import client_key
from rescind.entrypoints.web.ratelimit import LoginThrottle, password_attempt
from rescind.services.auth import login, logout

router = APIRouter()

_RESET_FORCED = "An admin asked you to choose a new password before you log in again."


def home_for(role: Role) -> str:
    return "/console/installer" if role is Role.INSTALLER else "/console/jobs"


def _safe_next(target: str) -> str:
    """Only back into the console: never an open redirect to another site."""
    if target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return ""


@router.get("/", include_in_schema=False)
def home(request: Request, state: State) -> Response:
    try:
        session = current_session(request, state.ctx)
    except LoginRequired:
        return redirect(request, "/console/login")
    return redirect(request, home_for(session.user.role))


def _login_page(
    request: Request, *, next_url: str, username: str = "", problems: Problems | None = None
) -> Response:
    token = new_login_csrf()
    response = page(
        request,
        "login.html",
        None,
        status=401 if problems else 200,
        problems=problems,
        login_csrf=token,
        next_url=next_url,
        username=username,
    )
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login")
def login_form(request: Request, state: State, next: str = "") -> Response:
    try:
        session = current_session(request, state.ctx)
    except LoginRequired:
        return _login_page(request, next_url=_safe_next(next))
    return redirect(request, _safe_next(next) or home_for(session.user.role))


@router.post("/login")
async def log_in(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_url = _safe_next(next)
    try:
        check_login_csrf(request, csrf_token)
        if not username.strip() or not password:
            raise Unauthenticated("enter your username and password")
        issued = await password_attempt(
            LoginThrottle(state.throttle),
            username,
            client_key(request),
            lambda: login(state.ctx, state.passwords, username, password),
        )
    except PasswordChangeRequired as error:
        # The right password, but it must be replaced first: straight to the form for that.
        return password_page(
            request,
            username=username,
            problems=Problems(banner=_RESET_FORCED, title="Choose a new password"),
            status=status_of(error),
        )
    except RescindError as error:
        response = _login_page(
            request,
            next_url=next_url,
            username=username,
            problems=Problems(banner=error.message, title="Not logged in"),
        )
        if isinstance(error, RateLimited):
            response.status_code = status_of(error)
            if error.retry_after is not None:
                response.headers["Retry-After"] = str(error.retry_after)
        return response
    response = redirect(request, next_url or home_for(issued.user.role))
    set_session_cookie(response, request, issued.token, issued.expires_at - state.ctx.now())
    return response


@router.post("/logout")
def log_out(request: Request, state: State, session: PostSession) -> Response:
    logout(state.ctx, session.token)
    response = redirect(request, "/console/login", "You are logged out.")
    clear_session(response)
    return response
