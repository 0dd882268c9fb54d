"""Users (admins): create, list, set a password, force a reset, revoke tokens, deactivate.

Only the API manages users of every role; ``rescind users`` on the command line makes the
first admin of a server database, and the same service functions back both doors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from rescind.domain.access import SCOPED_ROLES, Role
from rescind.domain.user import USERNAME_PATTERN
from rescind.entrypoints.api.deps import (
    NO_NUL,
    NOT_BLANK_SCHEMA,
    CurrentActor,
    Idempotent,
    NewPassword,
    State,
)
from rescind.entrypoints.api.models import Out, Page, UserOut
from rescind.entrypoints.api.paging import DEFAULT_LIMIT, PageCursor, PageLimit, page_out
from rescind.services.auth import create_user, deactivate_user, revoke_tokens, users_page
from rescind.services.user_passwords import force_password_reset, set_password

router = APIRouter()

PersonRole = Literal[
    "agent", "back_office", "deal_processing", "installer", "sales_rep", "homeowner", "admin"
]

UserId = Annotated[str, Path(min_length=1, max_length=100, pattern=NO_NUL)]

# The domain's rule (``User.validate``: a scoped role names its scope, the others none) said in
# the schema too, from the same ``SCOPED_ROLES``, so a request the schema accepts is created.
_SCOPED: list[JsonValue] = [r.value for r in sorted(SCOPED_ROLES)]
SCOPE_RULE: dict[str, JsonValue] = {
    "if": {
        "properties": {"role": {"enum": _SCOPED}},
        "required": ["role"],
    },
    "then": {
        "required": ["scope_id"],
        "properties": {"scope_id": {"type": "string", "minLength": 1}},
    },
    "else": {
        "properties": {
            "scope_id": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}]}
        }
    },
}


class UserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            **SCOPE_RULE,
            "examples": [
                {
                    "username": "sunny-ops",
                    "password": "a long passphrase",
                    "role": "installer",
                    "display_name": "Sunny Installs operations",
                    "scope_id": "INST-001",
                }
            ],
        },
    )
    # The domain checks these (with messages that say how to fix them); the schema declares
    # the same rules from the same constants.
    username: str = Field(
        max_length=63, json_schema_extra={"pattern": USERNAME_PATTERN}, examples=["sunny-ops"]
    )
    password: NewPassword
    role: PersonRole
    display_name: str = Field(max_length=200, pattern=NO_NUL, json_schema_extra=NOT_BLANK_SCHEMA)
    scope_id: str | None = Field(
        default=None,
        max_length=100,
        pattern=NO_NUL,
        description="Installer, sales rep and homeowner users: the id of their company, own "
        "sales-rep record or homeowner record; others: leave it out.",
    )


class RevokedOut(Out):
    revoked: int = Field(description="How many live tokens were revoked.")


@router.get("/users", tags=["users"], summary="Every user by username, paged (admins)")
def read_users(
    state: State, actor: CurrentActor, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> Page[UserOut]:
    page = users_page(state.ctx, actor=actor, after=cursor, limit=limit)
    return page_out(page, UserOut.model_validate, lambda u: u.id)


@router.post(
    "/users",
    tags=["users"],
    status_code=201,
    summary="Create a user who logs in with a password (admins)",
    response_model=UserOut,
)
def add_user(body: UserIn, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    return idem.run(
        lambda ctx: UserOut.model_validate(
            create_user(
                ctx,
                state.passwords,
                username=body.username,
                password=body.password,
                role=Role(body.role),
                display_name=body.display_name,
                scope_id=body.scope_id,
                actor=actor,
            )
        ),
        status_code=201,
    )


@router.post(
    "/users/{user_id}/revoke-tokens",
    tags=["users"],
    summary="Revoke every token of a user: they must log in again (admins)",
    response_model=RevokedOut,
)
def revoke_user_tokens(
    user_id: UserId, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    return idem.run(
        lambda ctx: RevokedOut(revoked=revoke_tokens(ctx, user_id=user_id, actor=actor))
    )


@router.post(
    "/users/{user_id}/deactivate",
    tags=["users"],
    summary="Deactivate a user: no more logins, every token revoked (admins)",
    response_model=UserOut,
)
def deactivate(user_id: UserId, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    return idem.run(
        lambda ctx: UserOut.model_validate(deactivate_user(ctx, user_id=user_id, actor=actor))
    )


class PasswordIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "another long passphrase"}]}
    )
    password: NewPassword


@router.post(
    "/users/{user_id}/password",
    tags=["users"],
    summary="Give a user a new password: good at once, every token revoked (admins)",
    response_model=UserOut,
)
def change_password(
    user_id: UserId, body: PasswordIn, state: State, actor: CurrentActor, idem: Idempotent
) -> Response:
    return idem.run(
        lambda ctx: UserOut.model_validate(
            set_password(ctx, state.passwords, user_id=user_id, password=body.password, actor=actor)
        )
    )


@router.post(
    "/users/{user_id}/force-reset",
    tags=["users"],
    summary="Force a password reset: every token revoked, a new password before the next "
    "login (admins)",
    response_model=UserOut,
)
def force_reset(user_id: UserId, state: State, actor: CurrentActor, idem: Idempotent) -> Response:
    return idem.run(
        lambda ctx: UserOut.model_validate(force_password_reset(ctx, user_id=user_id, actor=actor))
    )
