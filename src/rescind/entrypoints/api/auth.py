"""Logging in and out, and who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from rescind.entrypoints.api.deps import NO_NUL, CurrentUser, NewPassword, State, client_key
from rescind.entrypoints.api.models import Out, UserOut
from rescind.entrypoints.web.ratelimit import password_attempt
from rescind.services.auth import login, logout
from rescind.services.user_passwords import change_own_password

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=NO_NUL, examples=["agent"])
    password: str = Field(min_length=1, max_length=1000, examples=["agent-demo-pass"])


class TokenOut(Out):
    access_token: str = Field(validation_alias="token")
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_at: datetime
    user: UserOut


@router.post(
    "/token",
    summary="Log in with a password and get a bearer token",
    description="Wrong passwords are counted per username and client (5 in 15 minutes) and "
    "per client (50 in 15 minutes), then answered 429 with `Retry-After`; past 100 in an hour "
    "on one username from anywhere, every attempt on it is slowed down (never refused), so "
    "its owner can still log in. A user an admin forced to reset gets 403 "
    "`/problems/password_change_required`: change it at `POST /auth/password` first.",
)
async def issue_token(body: LoginIn, state: State, request: Request) -> TokenOut:
    issued = await password_attempt(
        state.logins,
        body.username,
        client_key(request),
        lambda: login(state.ctx, state.passwords, body.username, body.password),
    )
    return TokenOut.model_validate(issued)


class PasswordChangeIn(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=NO_NUL, examples=["agent"])
    password: str = Field(min_length=1, max_length=1000, description="The current password.")
    new_password: NewPassword


@router.post(
    "/password",
    status_code=204,
    summary="Change your own password (needs the current one); every token is revoked",
    description="Throttled as a login. Then log in with the new password.",
)
async def change_password(body: PasswordChangeIn, state: State, request: Request) -> Response:
    await password_attempt(
        state.logins,
        body.username,
        client_key(request),
        lambda: change_own_password(
            state.ctx,
            state.passwords,
            username=body.username,
            password=body.password,
            new_password=body.new_password,
        ),
    )
    return Response(status_code=204)


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
    return UserOut.model_validate(user)
