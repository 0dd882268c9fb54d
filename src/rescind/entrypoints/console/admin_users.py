"""The admins' area: its front page, and users (create, deactivate, passwords, sessions).

Every page asks the same service functions the API's ``/users`` routes call, which check the
admin's permission; a one-time password is shown once, on the page that answers the POST
(never in a cookie or a redirect's URL).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from rescind.domain.access import Role
from rescind.domain.errors import InvalidInput, RescindError
from rescind.domain.user import MIN_PASSWORD_LENGTH
from rescind.entrypoints.console.render import Problems, page, problems_of, redirect, status_of
from rescind.entrypoints.console.session import Ctx, CurrentSession, PostSession, Session, State
from rescind.services.auth import create_user, deactivate_user, list_users, revoke_tokens
from rescind.services.context import Context
from rescind.services.policy import policy_versions
from rescind.services.queues import list_holidays
from rescind.services.user_passwords import (
    force_password_reset,
    get_user,
    issue_one_time_password,
    one_time_password,
    set_password,
)

router = APIRouter()
PATH = "/admin"
ROLES = [(r.value, r.value.replace("_", " ")) for r in Role if r is not Role.SYSTEM]


@router.get(PATH)
def admin_home(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    actor = session.actor
    users = list_users(ctx, actor=actor)  # the admins' permission, checked by the service
    return page(
        request,
        "admin.html",
        session,
        users=users,
        policies=policy_versions(ctx, actor=actor),
        holidays=list_holidays(ctx, actor=actor),
    )


def users_page(
    request: Request,
    ctx: Context,
    session: Session,
    *,
    status: int = 200,
    problems: Problems | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return page(
        request,
        "admin_users.html",
        session,
        status=status,
        problems=problems,
        users=list_users(ctx, actor=session.actor),
        roles=ROLES,
        values=values or {},
        min_password=MIN_PASSWORD_LENGTH,
    )


@router.get(PATH + "/users")
def read_users(request: Request, ctx: Ctx, session: CurrentSession) -> Response:
    return users_page(request, ctx, session)


@router.post(PATH + "/users")
def add_user(
    request: Request,
    state: State,
    session: PostSession,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    scope_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    values = {"username": username, "display_name": display_name, "role": role}
    values["scope_id"] = scope_id
    one_time = "" if password else one_time_password()
    try:
        user = create_user(
            state.ctx,
            state.passwords,
            actor=session.actor,
            username=username.strip().lower(),
            password=password or one_time,
            role=_role(role),
            display_name=display_name,
            scope_id=scope_id.strip() or None,
            must_change_password=bool(one_time),
        )
    except RescindError as error:
        return users_page(
            request,
            state.ctx,
            session,
            status=status_of(error),
            problems=problems_of(error),
            values=values,
        )
    if one_time:
        return user_page(request, state.ctx, session, user.id, one_time=one_time, created=True)
    return redirect(
        request, f"/console{PATH}/users/{user.id}", f"Created {user.username} ({user.role.value})."
    )


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise InvalidInput("choose the person's role", field="role") from None
    if role is Role.SYSTEM:
        raise InvalidInput("'system' is not a role for people", field="role")
    return role


def user_page(
    request: Request,
    ctx: Context,
    session: Session,
    user_id: str,
    *,
    status: int = 200,
    problems: Problems | None = None,
    one_time: str = "",
    created: bool = False,
) -> Response:
    return page(
        request,
        "admin_user.html",
        session,
        status=status,
        problems=problems,
        person=get_user(ctx, actor=session.actor, user_id=user_id),
        one_time=one_time,
        created=created,
        min_password=MIN_PASSWORD_LENGTH,
    )


@router.get(PATH + "/users/{user_id}")
def read_user(request: Request, ctx: Ctx, session: CurrentSession, user_id: str) -> Response:
    return user_page(request, ctx, session, user_id)


@router.post(PATH + "/users/{user_id}/password")
def give_password(
    request: Request,
    state: State,
    session: PostSession,
    user_id: str,
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = set_password(
            state.ctx, state.passwords, actor=session.actor, user_id=user_id, password=password
        )
    except RescindError as error:
        return _refused(request, state.ctx, session, user_id, error)
    return redirect(
        request,
        f"/console{PATH}/users/{user_id}",
        f"{user.username} has a new password; every session they had is ended.",
    )


@router.post(PATH + "/users/{user_id}/one-time-password")
def give_one_time_password(
    request: Request, state: State, session: PostSession, user_id: str
) -> Response:
    try:
        _, password = issue_one_time_password(
            state.ctx, state.passwords, actor=session.actor, user_id=user_id
        )
    except RescindError as error:
        return _refused(request, state.ctx, session, user_id, error)
    return user_page(request, state.ctx, session, user_id, one_time=password)


@router.post(PATH + "/users/{user_id}/force-reset")
def force_reset(request: Request, ctx: Ctx, session: PostSession, user_id: str) -> Response:
    try:
        user = force_password_reset(ctx, actor=session.actor, user_id=user_id)
    except RescindError as error:
        return _refused(request, ctx, session, user_id, error)
    return redirect(
        request,
        f"/console{PATH}/users/{user_id}",
        f"{user.username} is logged out and must choose a new password at the next login.",
    )


@router.post(PATH + "/users/{user_id}/revoke-sessions")
def revoke_sessions(request: Request, ctx: Ctx, session: PostSession, user_id: str) -> Response:
    try:
        revoked = revoke_tokens(ctx, actor=session.actor, user_id=user_id)
    except RescindError as error:
        return _refused(request, ctx, session, user_id, error)
    ended = "1 session" if revoked == 1 else f"{revoked} sessions"
    return redirect(request, f"/console{PATH}/users/{user_id}", f"Ended {ended}.")


@router.post(PATH + "/users/{user_id}/deactivate")
def deactivate(request: Request, ctx: Ctx, session: PostSession, user_id: str) -> Response:
    try:
        user = deactivate_user(ctx, actor=session.actor, user_id=user_id)
    except RescindError as error:
        return _refused(request, ctx, session, user_id, error, field_name="deactivate")
    return redirect(
        request,
        f"/console{PATH}/users/{user_id}",
        f"{user.username} is deactivated: no more logins, every session ended.",
    )


def _refused(
    request: Request,
    ctx: Context,
    session: Session,
    user_id: str,
    error: RescindError,
    field_name: str | None = None,
) -> Response:
    problems = problems_of(error)
    if field_name:
        # A refusal of this button's action (a field named or not) is said next to the button.
        problems = Problems(fields={field_name: error.message}, title=problems.title)
    return user_page(request, ctx, session, user_id, status=status_of(error), problems=problems)
