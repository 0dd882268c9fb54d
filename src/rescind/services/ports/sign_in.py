"""Signing in: password hashes and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from rescind.domain.user import TokenRecord, User


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class TokenRepository(Protocol):
    def add(self, token: TokenRecord) -> None: ...

    def get(self, digest: str) -> TokenRecord | None: ...

    def holder(self, digest: str) -> tuple[TokenRecord, User] | None:
        """The token with its user, in one read: every API request asks."""
        ...

    def revoke(self, digest: str, at: datetime) -> None: ...

    def revoke_all(self, user_id: str, at: datetime) -> int:
        """Revoke every live token of a user; returns how many."""
        ...
