"""The login throttle's arithmetic, on in-memory storage: which failures count where, and
how the per-username delay grows (the HTTP tests show the doors using it)."""

from __future__ import annotations

import pytest

from rescind.domain.errors import RateLimited
from rescind.entrypoints.web.ratelimit import LoginThrottle, Throttle


def fail(logins: LoginThrottle, username: str, times: int, *, clients: int) -> None:
    for n in range(times):
        logins.failed(username, f"198.51.100.{n % clients}")


def test_the_per_username_delay_starts_at_the_ceiling_doubles_and_stops_at_eight_seconds() -> None:
    logins = LoginThrottle(Throttle())
    delays = []
    for _ in range(10):
        delays.append(logins.before("agent", "203.0.113.1"))
        fail(logins, "agent", 100, clients=250)
    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    assert logins.before("admin", "203.0.113.1") == 0.0


def test_usernames_are_counted_as_the_login_reads_them() -> None:
    logins = LoginThrottle(Throttle())
    for spelling in ("Agent", " agent", "AGENT ", "agent", "aGent"):
        logins.failed(spelling, "203.0.113.2")
    with pytest.raises(RateLimited):
        logins.before("agent", "203.0.113.2")


def test_a_success_forgives_only_that_clients_failures_on_that_username() -> None:
    logins = LoginThrottle(Throttle())
    fail(logins, "agent", 4, clients=1)
    logins.succeeded("agent", "198.51.100.0")
    fail(logins, "agent", 4, clients=1)
    logins.before("agent", "198.51.100.0")  # 4 since the success: still allowed
    logins.failed("agent", "198.51.100.0")
    with pytest.raises(RateLimited):
        logins.before("agent", "198.51.100.0")
