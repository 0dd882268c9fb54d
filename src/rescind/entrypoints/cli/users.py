"""``rescind users``: the first admin of a server database, and passwords at the machine.

A server database starts with no logins at all (``rescind serve`` says so, and how to create
the first); an operator at the machine creates the first admin here, acting as the system.
Passwords are prompted for (hidden, twice) or read from standard input with
``--password-stdin``, never taken as an argument where ``ps`` and the shell history see them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from rescind.adapters.passwords import Argon2Passwords
from rescind.domain.access import SCOPED_ROLES, Actor, Role
from rescind.domain.errors import InvalidInput
from rescind.domain.wording import a
from rescind.entrypoints.cli.wiring import application
from rescind.services.auth import create_user, list_users
from rescind.services.user_passwords import find_user, force_password_reset, set_password

CLI_ACTOR = Actor.system("cli")
PEOPLE = [role.value for role in Role if role is not Role.SYSTEM]

users_app = typer.Typer(help="People who log in: create them, set passwords.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input instead of prompting.",
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("standard input had no password on its first line", field="password")
        return line
    prompted: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return prompted


def _role(text: str) -> Role:
    if text not in PEOPLE:
        raise InvalidInput(f"--role is one of {', '.join(PEOPLE)}, not {text!r}", field="role")
    return Role(text)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Their login: lowercase, e.g. ada.ops.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(PEOPLE)}.")],
    display_name: Annotated[
        str, typer.Option(help="Their name as others see it (default: the username).")
    ] = "",
    scope_id: Annotated[
        str,
        typer.Option(help="installer, sales_rep, homeowner: the company, rep or homeowner id."),
    ] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (the first admin of a new database: `--role admin NAME`)."""
    person = _role(role)
    if person in SCOPED_ROLES and not scope_id:
        raise InvalidInput(
            f"{a(str(role).replace('_', ' '))} user needs --scope-id", field="scope_id"
        )
    app = application()
    user = create_user(
        app.ctx,
        Argon2Passwords(),
        actor=CLI_ACTOR,
        username=username,
        password=_password(password_stdin),
        role=person,
        display_name=display_name or username,
        scope_id=scope_id or None,
    )
    acts_for = f" for {user.scope_id}" if user.scope_id else ""
    out.print(f"created {user.role.value} {user.username} ({user.id}){acts_for}", markup=False)


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="Whose password.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give a user a new password; every session they had is ended."""
    app = application()
    user = find_user(app.ctx, actor=CLI_ACTOR, username=username)
    password = _password(password_stdin)
    set_password(app.ctx, Argon2Passwords(), actor=CLI_ACTOR, user_id=user.id, password=password)
    out.print(f"{user.username}: password set; their sessions were ended", markup=False)


@users_app.command("force-reset")
def users_force_reset(username: Annotated[str, typer.Argument(help="Whose password.")]) -> None:
    """End a user's sessions and make them choose a new password at their next login."""
    app = application()
    user = find_user(app.ctx, actor=CLI_ACTOR, username=username)
    force_password_reset(app.ctx, actor=CLI_ACTOR, user_id=user.id)
    out.print(
        f"{user.username}: sessions ended; a new password is needed before the next login",
        markup=False,
    )


@users_app.command("list")
def users_list() -> None:
    """Every user, with role, scope and state."""
    for user in list_users(application().ctx, actor=CLI_ACTOR):
        state = "active" if user.active else "deactivated"
        if user.must_change_password:
            state += ", must change password"
        scope = f" {user.scope_id}" if user.scope_id else ""
        out.print(f"{user.username}  {user.role.value}{scope}  ({state})", markup=False)
