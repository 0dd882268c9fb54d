"""The console's login session and its CSRF tokens.

The session *is* the API's bearer token (``services.auth.login``): the browser holds it in an
http-only, SameSite=Lax cookie scoped to ``/console`` (``Secure`` over https), and the server
keeps only its digest, with the expiry, in the token table. So there is no second session
store and no signing key to configure, a logout revokes it (``services.auth.logout``) and an
admin's "revoke tokens" ends console sessions too.

CSRF: every POST form carries a per-session token, an HMAC of the session token (unknowable
without the cookie), compared in constant time. The login form, before any session exists,
uses a double-submit token: a random cookie that the form must repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import Depends, Form, Request, Response

from rescind.adapters.mail.demo_mailbox import DemoMailbox
from rescind.domain.access import Actor
from rescind.domain.errors import RescindError, Unauthenticated
from rescind.domain.user import User
from rescind.entrypoints.processes.logs import note_user
from rescind.entrypoints.web.proofs import ProofSource
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.auth import authenticate
from rescind.services.context import Context
from rescind.services.ports import DatabaseProbe, PasswordHasher

SESSION_COOKIE = "rescind_session"
LOGIN_CSRF_COOKIE = "rescind_login_csrf"
FLASH_COOKIE = "rescind_flash"
COOKIE_PATH = "/console"


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""


class CsrfRefused(RescindError):
    code = "csrf_refused"


@dataclass(frozen=True)
class ConsoleState:
    ctx: Context
    passwords: PasswordHasher
    throttle: Throttle  # the API's, so a password guess counts the same on either door
    demo_mailbox: DemoMailbox | None = None  # the embedded demo's unsent mail, when on
    probe: DatabaseProbe | None = None  # the queue tabs' counts
    # The API's checkpoints (read when asked, so both doors prove against the same ones).
    proofs: Callable[[], ProofSource | None] = lambda: None


@dataclass(frozen=True)
class Session:
    user: User
    token: str

    @property
    def actor(self) -> Actor:
        return self.user.actor

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"rescind-console-csrf", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def get_state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


State = Annotated[ConsoleState, Depends(get_state)]


def get_ctx(state: State) -> Context:
    return state.ctx


Ctx = Annotated[Context, Depends(get_ctx)]


def current_session(request: Request, ctx: Ctx) -> Session:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise LoginRequired
    try:
        user = authenticate(ctx, token)
    except Unauthenticated:
        raise LoginRequired from None
    note_user(user.id)
    return Session(user=user, token=token)


CurrentSession = Annotated[Session, Depends(current_session)]


def checked_session(session: CurrentSession, csrf_token: Annotated[str, Form()] = "") -> Session:
    """For every POST: the session, and a CSRF token that matches it."""
    if not csrf_token or not hmac.compare_digest(csrf_token, session.csrf):
        raise CsrfRefused(
            "this form is out of date or did not come from this console (CSRF check failed); "
            "reload the page and submit it again"
        )
    return session


PostSession = Annotated[Session, Depends(checked_session)]


def check_login_csrf(request: Request, submitted: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRefused(
            "the login form is out of date (CSRF check failed); reload the page and log in again"
        )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, token: str, lifetime: timedelta
) -> None:
    # Max-Age, not Expires: it counts from when the browser receives the cookie, so a client
    # whose clock differs from the server's (or a server on an injected clock) keeps it.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(int(lifetime.total_seconds()), 0),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def set_login_csrf_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def set_flash(response: Response, request: Request, message: str) -> None:
    """A one-time banner for the page after a redirect (POST, redirect, GET)."""
    response.set_cookie(
        FLASH_COOKIE,
        quote(message[:1000]),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def take_flash(request: Request) -> str:
    return unquote(request.cookies.get(FLASH_COOKIE, ""))
