"""Each company sees only its own work, through the API, on SQLite and PostgreSQL.

One homeowner holds a job with each of two installer companies (``tests/api/two_installers``).
The installer and the sales rep of the first never read an item of the second — not in a
list, not by id — and an id of the second answers exactly like an id that does not exist.
The homeowner and the staff read both.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import API, Api
from tests.api.two_installers import OURS, THEIRS, World, two_installers

SCOPED_OUT = [Role.INSTALLER, Role.SALES_REP]  # of JOB-000301, not of JOB-000302


@pytest.fixture
def world(api: Api) -> World:
    return two_installers(api.ctx)


def _everything_readable(client: TestClient, job_id: str) -> str:
    """Every list a scoped role may read about a job, as one text to search."""
    answers = [
        client.get(f"{API}/jobs/{job_id}{tail}")
        for tail in ("", "/feed", "/requests", "/cases", "/eligibility")
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return "\n".join(answer.text for answer in answers)


@pytest.mark.parametrize("role", SCOPED_OUT)
def test_a_scoped_reader_of_one_job_never_reads_the_other_companys_items_in_its_lists(
    api: Api, world: World, role: Role
) -> None:
    client = api.client(role)

    seen = _everything_readable(client, OURS)
    ours = world.ours
    for marker in (ours.emailed_request_id, ours.phone_request_id, ours.case_id, ours.comment):
        assert marker in seen, marker
    for marker in world.theirs.markers:
        assert marker not in seen, marker

    feed = client.get(f"{API}/jobs/{OURS}/feed").json()["items"]
    assert [c["body"] for c in feed] == [world.ours.comment]
    assert {c["job_id"] for c in feed} == {OURS}

    found = client.get(f"{API}/jobs", params={"q": "ada.1@home.example"}).json()["items"]
    assert OURS in {j["id"] for j in found}
    assert THEIRS not in {j["id"] for j in found}
    by_id = client.get(f"{API}/jobs", params={"q": THEIRS})
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["items"] == []


@pytest.mark.parametrize("role", SCOPED_OUT)
def test_every_item_of_the_other_companys_job_answers_404_exactly_like_a_missing_one(
    api: Api, world: World, role: Role
) -> None:
    client = api.client(role)
    theirs = world.theirs
    for path, missing in [
        (f"/jobs/{THEIRS}", "/jobs/JOB-000399"),
        *[
            (f"/jobs/{THEIRS}/{tail}", f"/jobs/JOB-000399/{tail}")
            for tail in ("feed", "requests", "cases", "audit", "emails", "eligibility")
        ],
        (f"/requests/{theirs.phone_request_id}", "/requests/REQ-000000000000"),
        (f"/requests/{theirs.emailed_request_id}", "/requests/REQ-000000000000"),
        (f"/cases/{theirs.case_id}", "/cases/CASE-000000000000"),
    ]:
        foreign, absent = client.get(API + path), client.get(API + missing)
        assert foreign.status_code == absent.status_code == 404, (path, foreign.text)
        assert foreign.headers["content-type"] == "application/problem+json"
        real_id, fake_id = path.split("/")[2], missing.split("/")[2]
        expected = {k: v for k, v in absent.json().items() if k != "request_id"}
        got = {k: v for k, v in foreign.json().items() if k != "request_id"}
        # The same answer word for word, but for the id asked about: nothing says it exists.
        assert got == {
            k: v.replace(fake_id, real_id) if isinstance(v, str) else v for k, v in expected.items()
        }, path


def test_the_homeowner_and_the_staff_read_the_whole_profile_feed(api: Api, world: World) -> None:
    for role in (Role.HOMEOWNER, Role.AGENT):
        client = api.client(role)
        for job_id in (OURS, THEIRS):
            feed = client.get(f"{API}/jobs/{job_id}/feed")
            assert feed.status_code == 200, feed.text
            bodies = {c["body"] for c in feed.json()["items"]}
            assert bodies == {world.ours.comment, world.theirs.comment}
        case = client.get(f"{API}/cases/{world.theirs.case_id}")
        assert case.status_code == 200, case.text
