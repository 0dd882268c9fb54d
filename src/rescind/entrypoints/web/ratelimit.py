"""Throttling guesses: passwords at login and the 4-digit code at confirmation.

Built on the ``limits`` library (moving windows). The default storage is in-process memory,
which is right for the embedded single-process server; several processes share one limit
through ``RESCIND_RATE_LIMIT_STORAGE=redis://…``.

Logins follow OWASP's Authentication Cheat Sheet: only *failures* count, so a user who types
the right password is never refused because of someone else's wrong ones.

- per (username, client): a low ceiling, answered with 429 and ``Retry-After``;
- per client, across usernames: a higher one (one address spraying many accounts), also 429;
- per username, across clients: past a higher ceiling every attempt on that username waits
  a progressive delay (1 s, doubling each further ceiling's worth, at most 8 s) instead of a
  refusal: many addresses hammering one account slow it down, but never lock its owner out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from rescind.domain.errors import RateLimited, Unauthenticated

LOGIN_FAILURES_PER_USERNAME_AND_CLIENT = "5/15 minutes"
LOGIN_FAILURES_PER_CLIENT = "50/15 minutes"
LOGIN_FAILURES_PER_USERNAME = 100  # an hour, from all clients together; then the delay
LOGIN_DELAY_MAX_SECONDS = 8.0
# Counts the username's failures past the ceiling too (a window's count stops at its limit).
_USERNAME_FAILURES = "1000/hour"
CONFIRM_PER_REQUEST = "5/minute"
CONFIRM_PER_CLIENT = "20/minute"

T = TypeVar("T")


class Throttle:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limit: str, *keys: str, what: str) -> None:
        """Count one attempt against ``limit`` for ``keys``; refuse once it is spent."""
        item = parse(limit)
        if not self._limiter.hit(item, *keys):
            raise self._refusal(item, keys, what)

    def check(self, limit: str, *keys: str, what: str) -> None:
        """Refuse if ``limit`` is spent for ``keys``, without counting this attempt."""
        item = parse(limit)
        if not self._limiter.test(item, *keys):
            raise self._refusal(item, keys, what)

    def count(self, limit: str, *keys: str) -> None:
        """Count one attempt, whether or not the limit is spent (a failure is a failure)."""
        self._limiter.hit(parse(limit), *keys)

    def used(self, limit: str, *keys: str) -> int:
        item = parse(limit)
        _, remaining = self._limiter.get_window_stats(item, *keys)
        return item.amount - remaining

    def forget(self, limit: str, *keys: str) -> None:
        self._limiter.clear(parse(limit), *keys)

    def clear(self) -> None:
        self._limiter.storage.reset()

    def _refusal(self, item: RateLimitItem, keys: tuple[str, ...], what: str) -> RateLimited:
        reset_at, _ = self._limiter.get_window_stats(item, *keys)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        return RateLimited(
            f"too many {what} attempts; wait {retry_after} s and try again", retry_after=retry_after
        )


class LoginThrottle:
    """The three login limits over one ``Throttle``; every door that checks a password
    (the API's login and password change, the console's) goes through ``before`` and
    ``failed``/``succeeded``."""

    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    def before(self, username: str, client: str) -> float:
        """Refuse (``RateLimited``) a client past its ceilings; else the seconds to wait
        before checking the password (0 unless the username is under attack)."""
        user = _username_key(username)
        self._throttle.check(
            LOGIN_FAILURES_PER_USERNAME_AND_CLIENT, "login-user-client", user, client, what="login"
        )
        self._throttle.check(LOGIN_FAILURES_PER_CLIENT, "login-client", client, what="login")
        past = self._throttle.used(_USERNAME_FAILURES, "login-user", user)
        if past < LOGIN_FAILURES_PER_USERNAME:
            return 0.0
        doublings = past // LOGIN_FAILURES_PER_USERNAME - 1
        return float(min(LOGIN_DELAY_MAX_SECONDS, 2.0**doublings))

    def failed(self, username: str, client: str) -> None:
        user = _username_key(username)
        self._throttle.count(
            LOGIN_FAILURES_PER_USERNAME_AND_CLIENT, "login-user-client", user, client
        )
        self._throttle.count(LOGIN_FAILURES_PER_CLIENT, "login-client", client)
        self._throttle.count(_USERNAME_FAILURES, "login-user", user)

    def succeeded(self, username: str, client: str) -> None:
        """The owner got in from this client: its own earlier typos are forgiven there."""
        user = _username_key(username)
        self._throttle.forget(
            LOGIN_FAILURES_PER_USERNAME_AND_CLIENT, "login-user-client", user, client
        )


def _username_key(username: str) -> str:
    return username.strip().lower()


async def password_attempt(
    logins: LoginThrottle, username: str, client: str, attempt: Callable[[], T]
) -> T:
    """Run ``attempt`` (which checks this username's password) under the login limits: the
    delay is awaited, holding no thread; storage and the password check run in the pool."""
    delay = await run_in_threadpool(logins.before, username, client)
    if delay:
        await anyio.sleep(delay)
    try:
        result = await run_in_threadpool(attempt)
    except Unauthenticated:
        await run_in_threadpool(logins.failed, username, client)
        raise
    await run_in_threadpool(logins.succeeded, username, client)
    return result
