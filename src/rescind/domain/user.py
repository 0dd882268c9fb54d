"""People who log in, and the tokens they act with.

A user's role and scope become the ``Actor`` every use case checks; the password hash is
opaque here (the adapter decides the algorithm), and tokens are kept only as their hash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from rescind.domain.access import SCOPED_ROLES, Actor, Role
from rescind.domain.errors import InvalidInput
from rescind.domain.wording import a

TOKEN_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
# Declared as is in the API schema, so a client can check a username before sending it.
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
_USERNAME = re.compile(USERNAME_PATTERN)


@dataclass
class User:
    id: str
    username: str
    display_name: str
    role: Role
    password_hash: str
    created_at: datetime
    scope_id: str | None = None
    active: bool = True
    # Set by an admin's forced reset: the password still proves who it is, but it must be
    # replaced before it buys a token.
    must_change_password: bool = False

    def __post_init__(self) -> None:
        if not _USERNAME.fullmatch(self.username):  # not .match: "$" passes a final newline
            raise InvalidInput(
                "a username is 2–63 lowercase letters, digits, '.', '_' or '-', starting with a "
                "letter or digit",
                field="username",
            )
        role = self.role.value.replace("_", " ")
        if self.role in SCOPED_ROLES and not self.scope_id:
            raise InvalidInput(
                f"{a(role)} user needs scope_id: the id of its installer company, "
                "sales rep or homeowner record",
                field="scope_id",
            )
        if self.role not in SCOPED_ROLES and self.scope_id:
            raise InvalidInput(
                f"{a(role)} user acts on every job; leave scope_id empty",
                field="scope_id",
            )
        if self.role is Role.SYSTEM:
            raise InvalidInput("'system' is not a role for people", field="role")

    @property
    def actor(self) -> Actor:
        return Actor(
            id=f"{self.role.value}:{self.username}", role=self.role, scope_id=self.scope_id
        )


def check_password_strength(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field=field
        )


def token_digest(token: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    digest: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
