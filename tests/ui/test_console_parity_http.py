"""What the API lets a role do, done from the console, over plain HTTP on SQLite and
PostgreSQL (``tests/api``'s app): a sales rep files a request, a proof is downloaded."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rescind.adapters.checkpoint_archive import DirectoryArchive
from rescind.adapters.signing import Ed25519Signer
from rescind.domain.access import Actor, Role
from rescind.domain.request import Channel, CloseReason, RequestDraft, RequesterRole
from rescind.entrypoints.api.deps import ProofSource
from rescind.entrypoints.console import requests_list
from rescind.services.checkpoints import issue_checkpoint
from rescind.services.closing import close_with_reason
from rescind.services.requests import file_request
from tests.api.conftest import API, Api, password_of

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REPS_JOB = "JOB-002"  # REP-1's, active, no request yet


def console_as(api: Api, role: Role, landing: str = "/console/jobs") -> tuple[TestClient, str]:
    """A console session of ``role``'s user, through the login form; with its CSRF token."""
    client = api.anonymous()
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token, form.text
    answer = client.post(
        "/console/login",
        data={
            "username": role.value,
            "password": password_of(role),
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    home = client.get(landing)
    assert home.status_code == 200, home.text
    found = CSRF.search(home.text)
    assert found, home.text
    return client, found.group(1)


def test_a_sales_rep_files_a_request_for_the_homeowner_from_the_job_page(api: Api) -> None:
    client, csrf = console_as(api, Role.SALES_REP, f"/console/jobs/{REPS_JOB}")
    assert (
        "File a cancellation request for the homeowner"
        in client.get(f"/console/jobs/{REPS_JOB}").text
    )

    filed = client.post(
        f"/console/jobs/{REPS_JOB}/sales-rep-request",
        data={"csrf_token": csrf, "channel": "phone"},
    )

    assert filed.status_code == 200, filed.text
    assert "filed for the homeowner; support will resolve it by" in filed.text
    [request] = [
        r
        for r in api.client(Role.AGENT).get(f"{API}/jobs/{REPS_JOB}/requests").json()
        if r["outcome"] == "open"
    ]
    assert (request["requester_role"], request["channel"]) == ("sales_rep", "phone")
    assert f"Your request {request['id']}" in filed.text


def test_a_sales_rep_asking_twice_is_told_of_the_open_request_and_nothing_new_is_filed(
    api: Api,
) -> None:
    client, csrf = console_as(api, Role.SALES_REP, f"/console/jobs/{REPS_JOB}")
    first = client.post(
        f"/console/jobs/{REPS_JOB}/sales-rep-request",
        data={"csrf_token": csrf, "channel": "email"},
    )
    assert first.status_code == 200, first.text

    again = client.post(
        f"/console/jobs/{REPS_JOB}/sales-rep-request",
        data={"csrf_token": csrf, "channel": "email"},
    )

    assert "Nothing new was filed: your request" in again.text
    requests = api.client(Role.AGENT).get(f"{API}/jobs/{REPS_JOB}/requests").json()
    assert len(requests) == 1


def test_a_sales_rep_picking_no_channel_is_told_next_to_the_field(api: Api) -> None:
    client, csrf = console_as(api, Role.SALES_REP, f"/console/jobs/{REPS_JOB}")
    refused = client.post(
        f"/console/jobs/{REPS_JOB}/sales-rep-request",
        data={"csrf_token": csrf, "channel": "self_service"},
    )
    assert refused.status_code == 422, refused.text
    assert 'id="channel-error"' in refused.text
    assert api.client(Role.AGENT).get(f"{API}/jobs/{REPS_JOB}/requests").json() == []


def test_the_downloaded_proof_is_the_api_s_bundle_for_roles_that_read_the_trail(
    api: Api, tmp_path: Path
) -> None:
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    archive = DirectoryArchive(tmp_path / "checkpoints")
    api.app.state.rescind = replace(
        api.app.state.rescind, proofs=ProofSource(archive, signer.verifier())
    )
    rep, csrf = console_as(api, Role.SALES_REP, f"/console/jobs/{REPS_JOB}")
    rep.post(
        f"/console/jobs/{REPS_JOB}/sales-rep-request", data={"csrf_token": csrf, "channel": "chat"}
    )
    issue_checkpoint(api.ctx, signer, archive, actor=Actor.system("tests"))
    agent, _ = console_as(api, Role.AGENT, f"/console/jobs/{REPS_JOB}")
    assert (
        f'href="/console/jobs/{REPS_JOB}/audit/proof"'
        in agent.get(f"/console/jobs/{REPS_JOB}").text
    )

    downloaded = agent.get(f"/console/jobs/{REPS_JOB}/audit/proof")

    assert downloaded.status_code == 200, downloaded.text
    assert "attachment" in downloaded.headers["content-disposition"]
    from_api = api.client(Role.AGENT).get(f"{API}/jobs/{REPS_JOB}/audit/proof").json()
    assert downloaded.json() == from_api
    assert "/audit/proof" not in rep.get(f"/console/jobs/{REPS_JOB}").text
    assert rep.get(f"/console/jobs/{REPS_JOB}/audit/proof").status_code == 403


def test_without_checkpoints_the_proof_link_says_there_is_nothing_to_prove(api: Api) -> None:
    agent, _ = console_as(api, Role.AGENT)
    answer = agent.get(f"/console/jobs/{REPS_JOB}/audit/proof")
    assert answer.status_code == 404
    assert "issues no audit checkpoints" in answer.text


def _filed(api: Api, job_id: str) -> str:
    return file_request(
        api.ctx,
        RequestDraft(
            job_id=job_id,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The Homeowner",
        ),
        actor=Actor.system("tests"),
    ).id


def test_the_requests_list_shows_closed_requests_too_filtered_by_status(api: Api) -> None:
    kept, ended = _filed(api, "JOB-001"), _filed(api, "JOB-003")
    close_with_reason(api.ctx, ended, CloseReason.WITHDRAWN, actor=Actor.system("tests"))
    agent, _ = console_as(api, Role.AGENT)

    closed = agent.get("/console/requests?status=closed")
    opened = agent.get("/console/requests", params={"status": "open"})
    every = agent.get("/console/requests")

    assert closed.status_code == opened.status_code == every.status_code == 200
    assert f">{ended}<" in closed.text
    assert f">{kept}<" not in closed.text
    assert f">{kept}<" in opened.text
    assert f">{ended}<" not in opened.text
    assert f">{kept}<" in every.text
    assert f">{ended}<" in every.text
    assert "Withdrawn" in closed.text or "withdrawn" in closed.text


def test_the_requests_list_pages_on_with_the_cursor_keeping_the_filter(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests_list, "LIST_LIMIT", 1)
    first, second = _filed(api, "JOB-001"), _filed(api, "JOB-003")
    agent, _ = console_as(api, Role.AGENT)

    one = agent.get("/console/requests?status=open")
    link = re.search(r'href="([^"]+)" rel="next"', one.text)
    assert link, one.text
    two = agent.get(link.group(1).replace("&amp;", "&"))

    # Filed at the same instant (a fixed clock), so in id order: one on each page.
    shown = [[r for r in (first, second) if f">{r}<" in p.text] for p in (one, two)]
    assert len(shown[0]) == len(shown[1]) == 1
    assert shown[0] != shown[1]
    assert "status=open" in link.group(1)
    assert "First page" in two.text


def test_a_scoped_role_may_not_read_the_requests_list(api: Api) -> None:
    rep, _ = console_as(api, Role.SALES_REP)
    assert rep.get("/console/requests").status_code == 403


def test_an_endpoint_s_deliveries_page_lists_its_deliveries_only(api: Api) -> None:
    admin_api = api.client(Role.ADMIN)
    filed_hook = admin_api.post(
        f"{API}/webhooks",
        json={"url": "https://crm.example/hooks", "event_types": ["request.filed"]},
    ).json()
    case_hook = admin_api.post(
        f"{API}/webhooks",
        json={"url": "https://cases.example/hooks", "event_types": ["case.opened"]},
    ).json()
    _filed(api, "JOB-002")
    admin, _ = console_as(api, Role.ADMIN, "/console/webhooks")
    assert (
        f'href="/console/webhooks/{filed_hook["id"]}/deliveries"'
        in admin.get("/console/webhooks").text
    )

    filed = admin.get(f"/console/webhooks/{filed_hook['id']}/deliveries")
    cased = admin.get(f"/console/webhooks/{case_hook['id']}/deliveries")

    [delivery] = admin_api.get(f"{API}/webhooks/{filed_hook['id']}/deliveries").json()
    assert filed.status_code == cased.status_code == 200
    assert f"<td>{delivery['id']}</td>" in filed.text
    assert "request.filed" in filed.text
    assert "Nothing delivered to this endpoint yet." in cased.text
    assert admin.get("/console/webhooks/whe_nope/deliveries").status_code == 404
    agent, _ = console_as(api, Role.AGENT)
    assert agent.get(f"/console/webhooks/{filed_hook['id']}/deliveries").status_code == 403
