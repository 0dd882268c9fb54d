"""Throttling guesses: passwords at login and the 4-digit code at confirmation.

Built on the ``limits`` library (moving windows). The default storage is in-process memory,
which is right for the embedded single-process server; several processes share one limit
through ``RESCIND_RATE_LIMIT_STORAGE=redis://…``.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from rescind.domain.errors import RateLimited

LOGIN_PER_USERNAME = "5/minute"
LOGIN_PER_CLIENT = "20/minute"
CONFIRM_PER_REQUEST = "5/minute"
CONFIRM_PER_CLIENT = "20/minute"


class Throttle:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limit: str, *keys: str, what: str) -> None:
        """Count one attempt against ``limit`` for ``keys``; refuse once it is spent."""
        item: RateLimitItem = parse(limit)
        if self._limiter.hit(item, *keys):
            return
        reset_at, _ = self._limiter.get_window_stats(item, *keys)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"too many {what} attempts; wait {retry_after} s and try again", retry_after=retry_after
        )

    def clear(self) -> None:
        self._limiter.storage.reset()
