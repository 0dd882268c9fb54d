"""Cursor paging at the page-size maximum: a client paging at the largest page the API
allows must meet every row, and a cursor only while rows remain.

Each list is tried at limit = max, max − 1, and with exactly max rows left, since a page read
clamped to the maximum before asking for "one more" cannot tell a full last page from a
page with more behind it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from rescind.domain.email import EmailKind, OutgoingEmail
from rescind.domain.recipients import Recipients
from rescind.services.paging import MAX_PAGE
from tests.api.conftest import API, JOBS, MONDAY, Api, seed_jobs


def add_jobs(api: Api, total: int) -> list[str]:
    """Bring the job count to ``total`` (the seeded ones first); all ids, in id order."""
    template = seed_jobs()[1]
    with api.uow() as uow:
        for n in range(total - len(JOBS)):
            uow.jobs.add(replace(template, id=f"JOB-X{n:04d}"))
        uow.commit()
    return sorted(JOBS + [f"JOB-X{n:04d}" for n in range(total - len(JOBS))])


def walk(client: TestClient, path: str, limit: int, **first: Any) -> list[tuple[int, bool]]:
    """Follow ``next_cursor`` from the first page; each page's size and whether it had one."""
    pages: list[tuple[int, bool]] = []
    params: dict[str, Any] = {"limit": limit, **first}
    while True:
        answer = client.get(f"{API}{path}", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append((len(body["items"]), body["next_cursor"] is not None))
        if body["next_cursor"] is None:
            return pages
        params = {"limit": limit, "cursor": body["next_cursor"]}


def test_the_page_maximum_is_what_the_api_declares(api: Api) -> None:
    schema = api.anonymous().get(f"{API}/openapi.json").json()
    for path in ("/jobs", "/outbox"):
        limit = next(
            p for p in schema["paths"][f"{API}{path}"]["get"]["parameters"] if p["name"] == "limit"
        )
        assert limit["schema"]["maximum"] == MAX_PAGE


@pytest.mark.parametrize(
    ("total", "limit", "pages"),
    [
        (MAX_PAGE + 1, MAX_PAGE, [(MAX_PAGE, True), (1, False)]),
        (MAX_PAGE + 1, MAX_PAGE - 1, [(MAX_PAGE - 1, True), (2, False)]),
        (MAX_PAGE, MAX_PAGE, [(MAX_PAGE, False)]),
    ],
    ids=["limit-is-max", "limit-is-max-minus-one", "exactly-max-rows"],
)
def test_paging_jobs_at_the_maximum_meets_every_job(
    api: Api, total: int, limit: int, pages: list[tuple[int, bool]]
) -> None:
    add_jobs(api, total)
    assert walk(api.client(Role.AGENT), "/jobs", limit) == pages


def test_exactly_max_jobs_left_after_a_cursor_end_the_walk(api: Api) -> None:
    every = add_jobs(api, MAX_PAGE + 1)
    agent = api.client(Role.AGENT)
    first = agent.get(f"{API}/jobs", params={"limit": 1}).json()
    assert first["next_cursor"] == every[0]
    rest = agent.get(f"{API}/jobs", params={"limit": MAX_PAGE, "cursor": every[0]}).json()
    assert [job["id"] for job in rest["items"]] == every[1:]
    assert rest["next_cursor"] is None


def add_emails(api: Api, total: int) -> None:
    email = OutgoingEmail(
        kind=EmailKind.EXPECT_RESOLUTION,
        recipients=Recipients(to=("ben.2@home.example",)),
        job_id="JOB-002",
    )
    with api.uow() as uow:
        uow.outbox.add_many([email] * total, queued_at=MONDAY)
        uow.commit()


@pytest.mark.parametrize(
    ("total", "limit", "pages"),
    [
        (MAX_PAGE + 1, MAX_PAGE, [(MAX_PAGE, True), (1, False)]),
        (MAX_PAGE, MAX_PAGE, [(MAX_PAGE, False)]),
    ],
    ids=["limit-is-max", "exactly-max-rows"],
)
def test_paging_the_outbox_at_the_maximum_meets_every_email(
    api: Api, total: int, limit: int, pages: list[tuple[int, bool]]
) -> None:
    add_emails(api, total)
    assert walk(api.client(Role.ADMIN), "/outbox", limit) == pages
