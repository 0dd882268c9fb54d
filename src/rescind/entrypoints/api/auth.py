"""Logging in and out, and who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from rescind.entrypoints.api.deps import NO_NUL, CurrentUser, State, client_key
from rescind.entrypoints.api.models import UserOut
from rescind.entrypoints.api.ratelimit import LOGIN_PER_CLIENT, LOGIN_PER_USERNAME
from rescind.services.auth import login, logout

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=NO_NUL, examples=["agent"])
    password: str = Field(min_length=1, max_length=1000, examples=["agent-demo-pass"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_at: datetime
    user: UserOut


@router.post("/token", summary="Log in with a password and get a bearer token")
def issue_token(body: LoginIn, state: State, request: Request) -> TokenOut:
    state.throttle.hit(LOGIN_PER_USERNAME, "login-user", body.username.lower(), what="login")
    state.throttle.hit(LOGIN_PER_CLIENT, "login-client", client_key(request), what="login")
    issued = login(state.ctx, state.passwords, body.username, body.password)
    return TokenOut(
        access_token=issued.token, expires_at=issued.expires_at, user=UserOut.of(issued.user)
    )


_bearer = HTTPBearer(auto_error=False)


@router.post("/logout", status_code=204, summary="Revoke the token this request carries")
def revoke_token(
    user: CurrentUser,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    assert credentials is not None  # CurrentUser already required it
    logout(state.ctx, credentials.credentials)
    return Response(status_code=204)


@router.get("/me", summary="The logged-in user")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)
