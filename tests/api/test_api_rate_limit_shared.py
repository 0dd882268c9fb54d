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
from rescind.entrypoints.api.ratelimit import LOGIN_PER_USERNAME, Throttle

REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def redis_uri() -> str:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis answers at {REDIS[0]}:{REDIS[1]}")
    return f"redis://{REDIS[0]}:{REDIS[1]}"


def test_attempts_at_two_servers_count_against_one_limit(redis_uri: str) -> None:
    first, second = Throttle(redis_uri), Throttle(redis_uri)
    username = f"ops-test-{uuid.uuid4().hex}"
    allowed = int(LOGIN_PER_USERNAME.split("/")[0])
    for attempt in range(allowed):
        (first if attempt % 2 else second).hit(LOGIN_PER_USERNAME, username, what="login")

    with pytest.raises(RateLimited) as refused:
        first.hit(LOGIN_PER_USERNAME, username, what="login")
    assert refused.value.retry_after is not None
    assert refused.value.retry_after >= 1
    with pytest.raises(RateLimited):
        second.hit(LOGIN_PER_USERNAME, username, what="login")
    second.hit(LOGIN_PER_USERNAME, f"{username}-other", what="login")  # others unaffected


def test_memory_storage_counts_per_process() -> None:
    first, second = Throttle("memory://"), Throttle("memory://")
    username = "ops-memory"
    allowed = int(LOGIN_PER_USERNAME.split("/")[0])
    for _ in range(allowed):
        first.hit(LOGIN_PER_USERNAME, username, what="login")
    with pytest.raises(RateLimited):
        first.hit(LOGIN_PER_USERNAME, username, what="login")
    second.hit(LOGIN_PER_USERNAME, username, what="login")  # why several servers need Redis
