"""Who may log in, and the tokens they act with: one function per use case.

A login trades a password for a bearer token (random, 256 bits, kept only as its SHA-256 and
good for ``TOKEN_LIFETIME``); every API call trades the token back for its ``User``. A wrong
username, a wrong password and a deactivated user all get the same answer, and an unknown
username still costs one password verification, so neither the message nor the time tells
whether an account exists. Managing users is an admin's job and is audited on the system
stream.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from rescind.domain.access import SCOPED_ROLES, Actor, Permission, Role, require
from rescind.domain.audit import AuditChannel, AuditContext
from rescind.domain.errors import (
    InvalidInput,
    NotAllowed,
    PasswordChangeRequired,
    Unauthenticated,
    UnknownReference,
)
from rescind.domain.events import Event, EventKind
from rescind.domain.user import (
    TOKEN_LIFETIME,
    TokenRecord,
    User,
    check_password_strength,
    token_digest,
)
from rescind.domain.wording import a
from rescind.services.context import Context
from rescind.services.paging import MAX_PAGE, Paged, read_page
from rescind.services.ports import JobQuery, PasswordHasher, UnitOfWork
from rescind.services.records import new_id, record

WRONG_CREDENTIALS = "wrong username or password"
LOG_IN_AGAIN = "your session has expired or was ended; log in again at /api/v1/auth/token"
RESET_FORCED_MESSAGE = (
    "an admin asked you to choose a new password before you log in again: send your username, "
    "this password and a new one to POST /api/v1/auth/password (or the console's "
    "/console/password page)"
)
# What each scoped role's scope_id names, in the words of a refusal.
SCOPE_NOUNS: dict[Role, str] = {
    Role.INSTALLER: "installer company",
    Role.SALES_REP: "sales rep",
    Role.HOMEOWNER: "homeowner",
}
_CHANNEL = AuditChannel.ADMIN


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, to the person who logged in; we keep only its digest
    expires_at: datetime
    user: User


def create_user(
    ctx: Context,
    passwords: PasswordHasher,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    scope_id: str | None = None,
    must_change_password: bool = False,
) -> User:
    """``must_change_password``: the password is a one-time one, to be replaced at the first
    login (as after a forced reset)."""
    require(actor, Permission.MANAGE_USERS)
    user = _new_user(ctx, passwords, username, password, role, display_name, scope_id)
    user.must_change_password = must_change_password
    with ctx.uow() as uow:
        _add(uow, actor, ctx.now(), user)
        uow.commit()
    return user


def login(ctx: Context, passwords: PasswordHasher, username: str, password: str) -> IssuedToken:
    with ctx.uow() as uow:
        user = check_credentials(uow, passwords, username, password)
        if user.must_change_password:
            # Said only to someone who knows the password, so it tells an attacker nothing.
            raise PasswordChangeRequired(RESET_FORCED_MESSAGE)
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)
            uow.users.save(user)
        now = ctx.now()
        token = secrets.token_urlsafe(32)
        expires_at = now + TOKEN_LIFETIME
        uow.tokens.add(
            TokenRecord(
                digest=token_digest(token), user_id=user.id, issued_at=now, expires_at=expires_at
            )
        )
        uow.commit()
    return IssuedToken(token=token, expires_at=expires_at, user=user)


def check_credentials(
    uow: UnitOfWork, passwords: PasswordHasher, username: str, password: str
) -> User:
    """The active user with this username and password, or ``Unauthenticated``: one answer
    for every way it can be wrong, at the cost of one verification each."""
    user = uow.users.by_username(username.strip().lower())
    if user is None:
        passwords.verify(_dummy_hash(passwords), password)
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not passwords.verify(user.password_hash, password) or not user.active:
        raise Unauthenticated(WRONG_CREDENTIALS)
    return user


def authenticate(ctx: Context, token: str) -> User:
    with ctx.uow() as uow:
        held = uow.tokens.holder(token_digest(token))
        if held is None or not held[0].valid_at(ctx.now()):
            raise Unauthenticated(LOG_IN_AGAIN)
        user = held[1]
        if not user.active:
            raise Unauthenticated(LOG_IN_AGAIN)
        return user


def logout(ctx: Context, token: str) -> None:
    """Revoke this token; an unknown or already revoked one is fine (logging out twice is)."""
    with ctx.uow() as uow:
        uow.tokens.revoke(token_digest(token), ctx.now())
        uow.commit()


def revoke_tokens(ctx: Context, *, actor: Actor, user_id: str) -> int:
    """Log a user out everywhere; returns how many live tokens that ended."""
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        revoked = uow.tokens.revoke_all(user.id, ctx.now())
        audit_user(uow, actor, ctx.now(), EventKind.TOKENS_REVOKED, user, revoked=revoked)
        uow.commit()
    return revoked


def deactivate_user(ctx: Context, *, actor: Actor, user_id: str) -> User:
    """The user can no longer log in, and every token they hold stops working now."""
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user.actor.id == actor.id:
            raise NotAllowed("you cannot deactivate yourself; ask another admin")
        user.active = False
        save_and_log_out(uow, actor, ctx.now(), EventKind.USER_DEACTIVATED, user)
        uow.commit()
    return user


def list_users(ctx: Context, *, actor: Actor) -> list[User]:
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        return uow.users.list()


def users_page(
    ctx: Context, *, actor: Actor, after: str | None = None, limit: int = MAX_PAGE
) -> Paged[User]:
    """A page of users by username, continuing after the user with id ``after``."""
    require(actor, Permission.MANAGE_USERS)
    with ctx.uow() as uow:
        return read_page(lambda n: uow.users.list(after=after, limit=n), limit)


# One demo user per role; the scoped ones act on the first demo job's people.
_DEMO_USERS: tuple[tuple[Role, str], ...] = (
    (Role.AGENT, "Alex Agent"),
    (Role.BACK_OFFICE, "Blair Back Office"),
    (Role.DEAL_PROCESSING, "Dana Deal Processing"),
    (Role.ADMIN, "Ada Admin"),
    (Role.INSTALLER, "Ivy Installer"),
    (Role.SALES_REP, "Sam Sales Rep"),
    (Role.HOMEOWNER, "Harper Homeowner"),
)


def demo_password(role: Role) -> str:
    return f"{role.value}-demo-pass"


def ensure_demo_users(ctx: Context, passwords: PasswordHasher) -> list[tuple[User, str]]:
    """On a database with no users, create one per role with a known password (for a
    demo), all in one unit of work; returns them with their passwords, or [] when there
    were users already. Scoped roles act on the first job's people, so without jobs they
    are left out."""
    system = Actor.system("demo")
    with ctx.uow() as uow:
        if uow.users.list():
            return []
        first = uow.jobs.search(JobQuery(limit=1))
        scopes: dict[Role, str] = {}
        if first:
            job = first[0]
            scopes = {
                Role.INSTALLER: job.installer.id,
                Role.SALES_REP: job.sales_rep.id,
                Role.HOMEOWNER: job.homeowner.id,
            }
        created: list[tuple[User, str]] = []
        for role, display_name in _DEMO_USERS:
            if role in SCOPED_ROLES and role not in scopes:
                continue
            password = demo_password(role)
            user = _new_user(
                ctx, passwords, role.value, password, role, display_name, scopes.get(role)
            )
            _add(uow, system, ctx.now(), user)
            created.append((user, password))
        uow.commit()
    return created


def _new_user(
    ctx: Context,
    passwords: PasswordHasher,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    scope_id: str | None,
) -> User:
    check_password_strength(password)
    if not display_name.strip():
        raise InvalidInput("give the person's name as others should see it", field="display_name")
    user = User(
        id=new_id("USR"),
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash="",
        created_at=ctx.now(),
        scope_id=scope_id,
    )
    # Hash only once the user is known to be valid: hashing is deliberately slow.
    user.password_hash = passwords.hash(password)
    return user


def _add(uow: UnitOfWork, actor: Actor, at: datetime, user: User) -> None:
    if user.scope_id is not None and not uow.users.scope_exists(user.role, user.scope_id):
        noun = SCOPE_NOUNS.get(user.role, "record")
        raise UnknownReference(
            f"no {noun} with id {user.scope_id!r} is on record: "
            f"{a(user.role.value.replace('_', ' '))} user acts for an existing {noun}; "
            "use the id its jobs show",
            field="scope_id",
        )
    uow.users.add(user)
    audit_user(uow, actor, at, EventKind.USER_CREATED, user)


_DUMMY_HASHES: WeakKeyDictionary[PasswordHasher, str] = WeakKeyDictionary()


def _dummy_hash(passwords: PasswordHasher) -> str:
    """A hash made with the hasher's own parameters, so verifying it costs what a real
    account's would."""
    found = _DUMMY_HASHES.get(passwords)
    if found is None:
        found = passwords.hash(secrets.token_urlsafe(16))
        _DUMMY_HASHES[passwords] = found
    return found


def save_and_log_out(
    uow: UnitOfWork, actor: Actor, at: datetime, kind: EventKind, user: User, **extra: int
) -> None:
    """Store a change to ``user`` that must end every session they hold, and audit it."""
    uow.users.save(user)
    revoked = uow.tokens.revoke_all(user.id, at)
    audit_user(uow, actor, at, kind, user, revoked=revoked, **extra)


def audit_user(
    uow: UnitOfWork, actor: Actor, at: datetime, kind: EventKind, user: User, **extra: int
) -> None:
    """A change to a user, on the system stream."""
    data: dict[str, str | int | bool | None] = {
        "user_id": user.id,
        "username": user.username,
        "role": user.role.value,
        "scope_id": user.scope_id,
        **extra,
    }
    record(uow, None, AuditContext(actor=actor.id, at=at, channel=_CHANNEL), [Event(kind, data)])
