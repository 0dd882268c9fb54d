"""Passwords after a user exists: an admin sets one or forces a reset, a user changes their own.

Each change revokes every token the user holds (a session opened with the old password must
not outlive it) and is audited on the system stream. A forced reset leaves the password in
place but marks it as one that must be replaced: ``auth.login`` then refuses it a token with
``PasswordChangeRequired``, and ``change_own_password`` is the way out.
"""

from __future__ import annotations

import secrets

from rescind.domain.access import Actor, Permission, require
from rescind.domain.errors import InvalidInput, NotFound
from rescind.domain.events import EventKind
from rescind.domain.user import User, check_password_strength
from rescind.services.auth import check_credentials, save_and_log_out
from rescind.services.context import Context
from rescind.services.ports import PasswordHasher


def get_user(ctx: Context, *, actor: Actor, user_id: str) -> User:
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        return uow.users.get(user_id)


def find_user(ctx: Context, *, actor: Actor, username: str) -> User:
    """The user with this username (for the CLI, which names people, not ids)."""
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        user = uow.users.by_username(username.strip().lower())
    if user is None:
        raise NotFound(f"no user named {username!r}; `rescind users list` shows them")
    return user


def set_password(
    ctx: Context, passwords: PasswordHasher, *, actor: Actor, user_id: str, password: str
) -> User:
    """An admin gives a user a new password (e.g. one forgotten); it is good at once."""
    require(actor, Permission.MANAGE_USERS)
    check_password_strength(password)
    new_hash = passwords.hash(password)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        user.password_hash = new_hash
        user.must_change_password = False
        save_and_log_out(uow, actor, ctx.now(), EventKind.PASSWORD_SET, user)
        uow.commit()
    return user


def one_time_password() -> str:
    """A random password to hand over once (16 URL-safe characters: about 96 bits)."""
    return secrets.token_urlsafe(12)


def issue_one_time_password(
    ctx: Context, passwords: PasswordHasher, *, actor: Actor, user_id: str
) -> tuple[User, str]:
    """An admin has a new password made for a user, shown once to the admin: it replaces the
    old one at once, every token is revoked, and the user must choose their own at the next
    login. Returns the user and the password (we keep only its hash)."""
    require(actor, Permission.MANAGE_USERS)
    password = one_time_password()
    new_hash = passwords.hash(password)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        user.password_hash = new_hash
        user.must_change_password = True
        save_and_log_out(uow, actor, ctx.now(), EventKind.PASSWORD_SET, user, one_time=1)
        uow.commit()
    return user, password


def force_password_reset(ctx: Context, *, actor: Actor, user_id: str) -> User:
    """The user is logged out everywhere and must choose a new password at the next login."""
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        user.must_change_password = True
        save_and_log_out(uow, actor, ctx.now(), EventKind.PASSWORD_RESET_FORCED, user)
        uow.commit()
    return user


def change_own_password(
    ctx: Context, passwords: PasswordHasher, *, username: str, password: str, new_password: str
) -> User:
    """A user replaces their password, proving it first (the doors throttle it as a login)."""
    with ctx.uow() as uow:
        user = check_credentials(uow, passwords, username, password)
        check_password_strength(new_password, field="new_password")
        if new_password == password:
            raise InvalidInput(
                "the new password must differ from the current one", field="new_password"
            )
        user.password_hash = passwords.hash(new_password)
        user.must_change_password = False
        save_and_log_out(uow, user.actor, ctx.now(), EventKind.PASSWORD_CHANGED, user)
        uow.commit()
    return user
