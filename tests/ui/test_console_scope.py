"""Each company sees only its own work, through the console, on SQLite and PostgreSQL.

The same homeowner with jobs of two installer companies as the API's scope tests
(``tests/api/two_installers``), over the console's pages as plain HTTP: the installer and the
sales rep of the first job find nothing of the second on any page they can open, and every
page of the second's is the same "not found" as a page of a job that does not exist.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rescind.domain.access import Role
from tests.api.conftest import Api
from tests.api.two_installers import OURS, THEIRS, World, two_installers
from tests.ui.test_console_http import log_in

SCOPED_OUT = [Role.INSTALLER, Role.SALES_REP]  # of JOB-000301, not of JOB-000302


@pytest.fixture
def world(api: Api) -> World:
    return two_installers(api.ctx)


def console(api: Api, role: Role) -> TestClient:
    client = api.anonymous()
    log_in(client, role)
    return client


def _shown(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.text)
    return str(answer.text)


def _assert_nothing_of(world: World, text: str, where: str) -> None:
    for marker in (*world.theirs.markers, world.triage_inbound_id):
        assert marker not in text, (where, marker)


@pytest.mark.parametrize("role", SCOPED_OUT)
def test_a_scoped_readers_pages_show_their_jobs_items_and_none_of_the_other_companys(
    api: Api, world: World, role: Role
) -> None:
    client = console(api, role)
    ours = world.ours
    search = "/console/installer" if role is Role.INSTALLER else "/console/jobs"
    pages = {
        "job": f"/console/jobs/{OURS}",
        "search": f"{search}?q=Ada",
        "search by email": f"{search}?q=ada.1@home.example",
    }
    if role is Role.SALES_REP:  # the installer has its portal, not the guided cancellation
        pages |= {
            "start": f"/console/jobs/{OURS}/cancel",
            "request": f"/console/requests/{ours.phone_request_id}",
            "emailed request": f"/console/requests/{ours.emailed_request_id}",
            "statement step": f"/console/requests/{world.eligible_request_id}",
        }
    for where, path in pages.items():
        _assert_nothing_of(world, _shown(client, path), where)

    job_page = _shown(client, pages["job"])
    assert f"Sam about {OURS}" in job_page  # the phone request, by its requester
    if role is Role.SALES_REP:
        assert ours.phone_request_id in job_page
        assert ours.emailed_request_id in job_page
        assert ours.case_id in job_page
        assert ours.comment in job_page  # the feed: this job's comment, not the other one's
        # A sales rep may not attach the homeowner's statement, so the statement step lists
        # none of Ada's emails (the repository narrows them to its jobs besides).
        step = _shown(client, pages["statement step"])
        assert 'id="statement-emails"' not in step
        assert "Support takes the written statement from the homeowner" in step


@pytest.mark.parametrize("role", SCOPED_OUT)
def test_every_page_of_the_other_companys_job_is_the_same_not_found_as_a_missing_one(
    api: Api, world: World, role: Role
) -> None:
    client = console(api, role)
    theirs = world.theirs
    missing_job, missing_request = "JOB-000399", "REQ-000000000000"
    for path, missing, real_id, fake_id in [
        (f"/console/jobs/{THEIRS}", f"/console/jobs/{missing_job}", THEIRS, missing_job),
        (
            f"/console/jobs/{THEIRS}/cancel",
            f"/console/jobs/{missing_job}/cancel",
            THEIRS,
            missing_job,
        ),
        *[
            (f"/console/requests/{r}", f"/console/requests/{missing_request}", r, missing_request)
            for r in (theirs.phone_request_id, theirs.emailed_request_id)
        ],
    ]:
        foreign, absent = client.get(path), client.get(missing)
        assert foreign.status_code == absent.status_code == 404, (path, foreign.text)
        assert foreign.text == absent.text.replace(fake_id, real_id), path
        _assert_nothing_of(world, foreign.text.replace(real_id, ""), path)
