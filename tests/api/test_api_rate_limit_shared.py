"""Several server processes share one throttle through Redis (RESCIND_RATE_LIMIT_STORAGE):
guesses spread over two apps are counted together, so a second server is no second chance.

Uses the Redis at 127.0.0.1:6379 when it answers (skipped otherwise), with a key of its own
per test; it never resets the storage, which other users of that Redis may share.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from rescind.domain.errors import RateLimited
from rescind.entrypoints.web.ratelimit import (
    LOGIN_FAILURES_PER_USERNAME_AND_CLIENT,
    LoginThrottle,
    Throttle,
)

CLIENT = "203.0.113.9"
ALLOWED = int(LOGIN_FAILURES_PER_USERNAME_AND_CLIENT.split("/")[0])

REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def redis_uri() -> str:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis answers at {REDIS[0]}:{REDIS[1]}")
    return f"redis://{REDIS[0]}:{REDIS[1]}"


def test_failures_at_two_servers_count_against_one_limit(redis_uri: str) -> None:
    first, second = LoginThrottle(Throttle(redis_uri)), LoginThrottle(Throttle(redis_uri))
    username = f"ops-test-{uuid.uuid4().hex}"
    for attempt in range(ALLOWED):
        server = first if attempt % 2 else second
        server.before(username, CLIENT)
        server.failed(username, CLIENT)

    with pytest.raises(RateLimited) as refused:
        first.before(username, CLIENT)
    assert refused.value.retry_after is not None
    assert refused.value.retry_after >= 1
    with pytest.raises(RateLimited):
        second.before(username, CLIENT)
    second.before(f"{username}-other", CLIENT)  # others unaffected


def test_memory_storage_counts_per_process() -> None:
    first, second = LoginThrottle(Throttle("memory://")), LoginThrottle(Throttle("memory://"))
    username = "ops-memory"
    for _ in range(ALLOWED):
        first.failed(username, CLIENT)
    with pytest.raises(RateLimited):
        first.before(username, CLIENT)
    second.before(username, CLIENT)  # why several servers need Redis
