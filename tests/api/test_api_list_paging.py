"""Every cursor-paged list pages alike: ``limit`` and ``cursor`` in, ``{"items",
"next_cursor"}`` out, at most ``MAX_PAGE`` a page.

Each list is walked at limit = max, max − 1 and with exactly max rows, its rows sharing one
sort time so the id breaks the ties; the cursor is a keyset (rows added between pages neither
repeat nor push one out), and a scoped reader pages through its own rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from rescind.domain.audit import AuditChannel, AuditContext, job_stream
from rescind.domain.case import Case, Queue
from rescind.domain.events import Event, EventKind
from rescind.domain.feed import FeedComment
from rescind.domain.request import CancellationRequest, Channel, RequesterRole
from rescind.domain.user import User
from rescind.services.paging import MAX_PAGE
from tests.api.conftest import (
    API,
    MONDAY,
    OTHER_INSTALLER,
    USERS,
    Api,
    homeowner,
    seed_jobs,
)


def add_requests(api: Api, total: int) -> None:
    # A job each: a requester has at most one open request per job (a unique index holds it).
    template = next(job for job in seed_jobs() if job.id == "JOB-002")
    with api.uow() as uow:
        for n in range(total):
            uow.jobs.add(replace(template, id=f"JOB-P{n:04d}"))
            uow.requests.add(
                CancellationRequest(
                    id=f"REQ-P{n:04d}",
                    job_id=f"JOB-P{n:04d}",
                    channel=Channel.PHONE,
                    requester_role=RequesterRole.HOMEOWNER,
                    requester_name="The Homeowner",
                    filed_by="agent:test",
                    filed_at=MONDAY,
                    due_at=MONDAY + timedelta(days=1),
                )
            )
        uow.commit()


def add_cases(api: Api, total: int) -> None:
    with api.uow() as uow:
        for n in range(total):
            uow.cases.add(
                Case(
                    id=f"CASE-P{n:04d}",
                    job_id="JOB-004",
                    request_id=None,
                    requested_by=RequesterRole.HOMEOWNER,
                    subject="Cancel",
                    description="Paging",
                    queue=Queue.BACK_OFFICE,
                    created_at=MONDAY,
                    created_by="agent:test",
                )
            )
        uow.commit()


def add_comments(api: Api, total: int, job_id: str = "JOB-002", prefix: str = "FC-P") -> None:
    with api.uow() as uow:
        for n in range(total):
            uow.feed.add(
                FeedComment(
                    id=f"{prefix}{n:04d}",
                    homeowner_id="HO-2",
                    job_id=job_id,
                    author="agent:test",
                    body=f"note {n}",
                    created_at=MONDAY,
                )
            )
        uow.commit()


def add_audit(api: Api, total: int) -> None:
    with api.uow() as uow:
        actx = AuditContext(actor="agent:test", at=MONDAY, channel=AuditChannel.API)
        events = [Event(EventKind.FEED_COMMENTED, {"n": n}) for n in range(total)]
        uow.audit.append(job_stream("JOB-002"), actx, events)
        uow.commit()


def add_users(api: Api, total: int) -> None:
    """Bring the user count to ``total`` (one per role are there already)."""
    with api.uow() as uow:
        for n in range(total - len(USERS)):
            uow.users.add(
                User(
                    id=f"U-P{n:04d}",
                    username=f"paged-{n:04d}",
                    display_name=f"Paged {n}",
                    role=Role.AGENT,
                    password_hash="not-a-hash",
                    created_at=MONDAY,
                )
            )
        uow.commit()


@dataclass(frozen=True)
class Listed:
    path: str
    role: Role
    add: Callable[[Api, int], None]


LISTS = {
    "requests": Listed("/requests", Role.AGENT, add_requests),
    "queue": Listed("/queues/back_office", Role.BACK_OFFICE, add_cases),
    "feed": Listed("/jobs/JOB-002/feed", Role.AGENT, add_comments),
    "audit": Listed("/jobs/JOB-002/audit", Role.AGENT, add_audit),
    "users": Listed("/users", Role.ADMIN, add_users),
}


def walk(
    client: TestClient, path: str, limit: int, between: Callable[[], None] = lambda: None
) -> tuple[list[tuple[int, bool]], list[Any]]:
    """Follow ``next_cursor``: each page's size and whether it had one, and every item."""
    pages: list[tuple[int, bool]] = []
    items: list[Any] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        answer = client.get(f"{API}{path}", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append((len(body["items"]), body["next_cursor"] is not None))
        items += body["items"]
        if body["next_cursor"] is None:
            return pages, items
        between()
        params = {"limit": limit, "cursor": body["next_cursor"]}


def key(item: dict[str, Any]) -> Any:
    return item.get("seq", item.get("id"))


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize(
    ("total", "limit", "pages"),
    [
        (MAX_PAGE + 1, MAX_PAGE, [(MAX_PAGE, True), (1, False)]),
        (MAX_PAGE + 1, MAX_PAGE - 1, [(MAX_PAGE - 1, True), (2, False)]),
        (MAX_PAGE, MAX_PAGE, [(MAX_PAGE, False)]),
    ],
    ids=["limit-is-max", "limit-is-max-minus-one", "exactly-max-rows"],
)
def test_each_list_paged_at_the_maximum_meets_every_row_once(
    api: Api, name: str, total: int, limit: int, pages: list[tuple[int, bool]]
) -> None:
    listed = LISTS[name]
    listed.add(api, total)

    walked, items = walk(api.client(listed.role), listed.path, limit)

    assert walked == pages
    assert len({key(item) for item in items}) == total


@pytest.mark.parametrize("name", list(LISTS))
def test_each_list_takes_the_same_limit_and_cursor_as_jobs(api: Api, name: str) -> None:
    listed = LISTS[name]
    client = api.client(listed.role)
    schema = api.anonymous().get(f"{API}/openapi.json").json()
    path = listed.path.replace("JOB-002", "{job_id}").replace("back_office", "{queue}")
    params = {p["name"]: p for p in schema["paths"][f"{API}{path}"]["get"]["parameters"]}

    assert params["limit"]["schema"]["maximum"] == MAX_PAGE
    assert "cursor" in params
    too_big = client.get(f"{API}{listed.path}", params={"limit": MAX_PAGE + 1})
    assert too_big.status_code == 422, too_big.text
    # A well-formed cursor naming no row is a fact of the data: 404 on the field, not a 422.
    unknown = client.get(f"{API}{listed.path}", params={"cursor": "no-such-row"})
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["type"] == "/problems/not_found"
    assert [e["field"] for e in unknown.json()["errors"]] == ["cursor"]


def test_rows_added_between_pages_neither_repeat_nor_push_one_out(api: Api) -> None:
    add_comments(api, 5)
    agent = api.client(Role.AGENT)
    added: list[str] = []

    def insert() -> None:
        # One sorting before every row seen so far (an offset would repeat a row), one after.
        n = len(added)
        with api.uow() as uow:
            for at, suffix in ((MONDAY - timedelta(hours=1), "a"), (MONDAY, "z")):
                uow.feed.add(
                    FeedComment(
                        id=f"FC-Q{n}{suffix}",
                        homeowner_id="HO-2",
                        job_id="JOB-002",
                        author="agent:test",
                        body="added",
                        created_at=at,
                    )
                )
                added.append(f"FC-Q{n}{suffix}")
            uow.commit()

    _, items = walk(agent, "/jobs/JOB-002/feed", 2, between=insert)

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert {f"FC-P{n:04d}" for n in range(5)} <= set(ids)
    assert not {i for i in added if i.endswith("a")} & set(ids)


def test_an_installer_pages_the_feed_through_its_own_companys_comments_only(api: Api) -> None:
    # Ben (HO-2) also has a job with another installer; its comments are not this one's.
    theirs = replace(seed_jobs()[5], id="JOB-OTHER", homeowner=homeowner(2, "Ben Reyes"))
    assert theirs.installer == OTHER_INSTALLER
    with api.uow() as uow:
        uow.jobs.add(theirs)
        uow.commit()
    add_comments(api, 5, job_id="JOB-002", prefix="FC-OURS")
    add_comments(api, 5, job_id="JOB-OTHER", prefix="FC-THEIRS")

    _, items = walk(api.client(Role.INSTALLER), "/jobs/JOB-002/feed", 2)
    _, every = walk(api.client(Role.AGENT), "/jobs/JOB-002/feed", 2)

    assert [c["id"] for c in items] == [f"FC-OURS{n:04d}" for n in range(5)]
    assert len(every) == 10
