"""Password hashing with Argon2id (argon2-cffi), the ``PasswordHasher`` port.

Production uses argon2-cffi's defaults (RFC 9106's low-memory profile); tests pass cheaper
parameters so a login costs microseconds. A hash made with other parameters still verifies,
and ``needs_rehash`` tells the login to upgrade it.
"""

from __future__ import annotations

from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        given = {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": parallelism}
        options: dict[str, Any] = {
            name: value for name, value in given.items() if value is not None
        }
        self._hasher = argon2.PasswordHasher(**options)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """False on a wrong password and on a hash that is not Argon2 at all: both mean no."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
