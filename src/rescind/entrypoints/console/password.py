"""Changing one's own password in the console: the way back in after an admin forced a reset.

Like the login form it comes before any session, so it carries the login's double-submit
CSRF token, and it counts against the same login limits (it checks a password).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.errors import InvalidInput, RateLimited, RescindError
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import (
    State,
    check_login_csrf,
    new_login_csrf,
    set_login_csrf_cookie,
)
from rescind.entrypoints.web.clients import client_key
from rescind.entrypoints.web.ratelimit import LoginThrottle, password_attempt
from rescind.services.user_passwords import change_own_password

router = APIRouter()


def password_page(
    request: Request, *, username: str = "", problems: Problems | None = None, status: int = 200
) -> Response:
    token = new_login_csrf()
    response = page(
        request,
        "password.html",
        None,
        status=status,
        problems=problems,
        login_csrf=token,
        username=username,
    )
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/password")
def password_form(request: Request, username: str = "") -> Response:
    return password_page(request, username=username[:100])


@router.post("/password")
async def change_password(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    confirm_password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_login_csrf(request, csrf_token)
        if new_password != confirm_password:
            raise InvalidInput(
                "the two new passwords differ; type the same one twice", field="confirm_password"
            )
        await password_attempt(
            LoginThrottle(state.throttle),
            username,
            client_key(request),
            lambda: change_own_password(
                state.ctx,
                state.passwords,
                username=username,
                password=password,
                new_password=new_password,
            ),
        )
    except RescindError as error:
        status = status_of(error)
        response = password_page(
            request, username=username, problems=problems_of(error), status=status
        )
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    return redirect(request, "/console/login", "Your password is changed: log in with the new one.")
