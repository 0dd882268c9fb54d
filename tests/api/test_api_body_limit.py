"""Request bodies over the limit are a 413 problem, refused before they are read.

Through httpx's ASGI transport, so a streamed (chunked) body arrives in pieces as from a real
client, and the test can count how much of it the server pulled before it refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from rescind.domain.access import Role
from rescind.entrypoints.api.body_limit import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UPLOAD_BYTES
from tests.api.conftest import API, Api

PROBLEM_JSON = "application/problem+json"
CHUNK = 64 * 1024


def a_filing(padding: int) -> bytes:
    """A request filing, made ``padding`` bytes larger than it needs to be."""
    body = {
        "job_id": "JOB-002",
        "channel": "phone",
        "requester_role": "homeowner",
        "requester_name": "Ben Reyes",
        "reason_text": "x" * padding,
    }
    return json.dumps(body).encode()


def send(api: Api, role: Role, path: str, **request: Any) -> httpx.Response:
    token = api.client(role).headers["Authorization"]

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            headers = {"Authorization": token, **request.pop("headers", {})}
            return await c.post(path, headers=headers, **request)

    return asyncio.run(go())


def assert_too_large(answer: httpx.Response, limit: int) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert problem["type"] == "/problems/request_too_large"
    assert f"at most {limit / (1024 * 1024):g} MiB ({limit} bytes)" in problem["detail"]


def no_requests_on(api: Api, job_id: str) -> bool:
    listed: list[object] = api.client(Role.AGENT).get(f"{API}/jobs/{job_id}/requests").json()
    return listed == []


def test_a_json_body_declared_over_1_mib_is_a_413_problem_and_nothing_is_filed(api: Api) -> None:
    answer = send(
        api,
        Role.AGENT,
        f"{API}/requests",
        content=a_filing(DEFAULT_MAX_BODY_BYTES),
        headers={"Content-Type": "application/json"},
    )

    assert_too_large(answer, DEFAULT_MAX_BODY_BYTES)
    assert no_requests_on(api, "JOB-002")


def test_a_chunked_body_is_cut_off_at_the_limit_not_read_to_its_end(api: Api) -> None:
    pulled = 0
    body = a_filing(0)

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield body[:-1]  # the filing, left open: a string that never ends
        for _ in range(10_000):  # 625 MiB if read to the end
            pulled += 1
            yield b"x" * CHUNK

    answer = send(
        api,
        Role.AGENT,
        f"{API}/requests",
        content=endless(),
        headers={"Content-Type": "application/json"},
    )

    assert_too_large(answer, DEFAULT_MAX_BODY_BYTES)
    assert pulled <= DEFAULT_MAX_BODY_BYTES // CHUNK + 1
    assert no_requests_on(api, "JOB-002")


def test_an_under_the_limit_body_is_served_as_before(api: Api) -> None:
    answer = send(
        api,
        Role.AGENT,
        f"{API}/requests",
        content=a_filing(100),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text


def test_a_csv_upload_has_the_larger_upload_limit(api: Api) -> None:
    over_the_json_limit = b"not,the,header\n" + b"a,b,c\n" * (DEFAULT_MAX_BODY_BYTES // 6 + 1)
    read = send(
        api,
        Role.ADMIN,
        f"{API}/jobs/import",
        content=over_the_json_limit,
        headers={"Content-Type": "text/csv"},
    )
    assert read.status_code == 422, read.text  # read, and refused for its header
    assert "lacks column(s)" in read.json()["detail"]

    too_large = send(
        api,
        Role.ADMIN,
        f"{API}/jobs/import",
        content=b"x" * (DEFAULT_MAX_UPLOAD_BYTES + 1),
        headers={"Content-Type": "text/csv"},
    )
    assert_too_large(too_large, DEFAULT_MAX_UPLOAD_BYTES)
    assert "split the file" in too_large.json()["detail"]


def test_a_console_form_over_the_limit_is_refused_too(api: Api) -> None:
    answer = send(
        api,
        Role.AGENT,
        "/console/jobs/JOB-002/feed",
        content=b"body=" + b"x" * DEFAULT_MAX_BODY_BYTES,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_too_large(answer, DEFAULT_MAX_BODY_BYTES)
