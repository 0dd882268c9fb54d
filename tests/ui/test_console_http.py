"""The console over plain HTTP (no browser): login required, CSRF refused, logout revokes,
the session cookie's flags, and errors as pages.

The app is ``create_app`` over a fresh SQLite database with the API tests' jobs and users
(``tests/api/conftest.py``), at SPEC's Monday.
"""

from __future__ import annotations

import re
import shutil
import warnings
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from rescind.adapters.db.engine import make_engine, make_session_factory
from rescind.adapters.db.unit_of_work import SqlUnitOfWork
from rescind.adapters.mail.inbound import parse_email
from rescind.adapters.passwords import Argon2Passwords
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.adapters.us_holidays import FederalHolidays
from rescind.adapters.webhook_address import AddressGuard
from rescind.domain.access import Actor, Role
from rescind.domain.job import JobStatus
from rescind.entrypoints.site import create_app
from rescind.entrypoints.web.ratelimit import Throttle
from rescind.services.auth import create_user
from rescind.services.context import Context
from rescind.services.feed import read_feed
from rescind.services.inbound import receive_email
from rescind.services.policy import seed_policy
from rescind.services.queries import get_job, get_request, job_requests
from rescind.services.sweep import sweep
from tests.api.conftest import (
    MONDAY,
    NEW_YORK,
    USERS,
    password_of,
    seed_jobs,
)
from tests.fakes import FixedClock

with warnings.catch_warnings():
    # As in tests/api/conftest.py: Starlette warns once, at import, that it prefers httpx2.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INBOUND_ID = re.compile(r'name="inbound_id" value="([^"]+)"')
AGENT = Actor.system("tests")


@pytest.fixture
def app_ctx(api_sqlite_template: Path, tmp_path: Path) -> tuple[TestClient, Context]:
    path = tmp_path / "rescind.sqlite3"
    shutil.copyfile(api_sqlite_template, path)
    sessions = make_session_factory(make_engine(f"sqlite:///{path}"))
    ctx = Context(
        uow=lambda: SqlUnitOfWork(sessions),
        clock=FixedClock(MONDAY),
        tz=NEW_YORK,
        federal_observed=FederalHolidays(observed=True),
        federal_actual=FederalHolidays(observed=False),
        webhook_guard=AddressGuard(),  # as served: internal addresses refused
    )
    seed_policy(ctx, load_policy_document(default_policy_path()))
    with ctx.uow() as uow:
        for job in seed_jobs():
            uow.jobs.add(job)
        uow.commit()
    passwords = Argon2Passwords(time_cost=1, memory_cost=8192)
    for role, scope_id in USERS.items():
        create_user(
            ctx,
            passwords,
            actor=AGENT,
            username=role.value,
            password=password_of(role),
            role=role,
            display_name=f"Test {role.value}",
            scope_id=scope_id,
        )
    client = TestClient(create_app(ctx, passwords, Throttle()), base_url="http://testserver")
    return client, ctx


def log_in(client: TestClient, role: Role) -> str:
    """Through the form; returns the page's CSRF token."""
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
    home = client.get(answer.headers["location"])
    found = CSRF.search(home.text)
    assert found, home.text
    return found.group(1)


def test_every_page_and_form_needs_a_login(app_ctx: tuple[TestClient, Context]) -> None:
    client, ctx = app_ctx
    for path in ("/console/jobs", "/console/jobs/JOB-002", "/console/queues/requests"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login?next=")
    posted = client.post(
        "/console/jobs/JOB-002/feed", data={"body": "hello"}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/console/login")
    assert read_feed(ctx, "JOB-002", actor=AGENT).items == []


def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    token = log_in(client, Role.AGENT)
    # The last character always changes: a fixed "0" equals the real token one time in 16 or 64.
    tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
    for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": tampered}):
        answer = client.post("/console/jobs/JOB-002/feed", data={"body": "sneaky", **sent})
        assert answer.status_code == 403
        assert "CSRF check failed" in answer.text
        assert "Traceback" not in answer.text
    assert read_feed(ctx, "JOB-002", actor=AGENT).items == []

    done = client.post(
        "/console/jobs/JOB-002/feed",
        data={"body": "Called the homeowner", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [c.body for c in read_feed(ctx, "JOB-002", actor=AGENT).items] == [
        "Called the homeowner"
    ]


def test_the_login_form_needs_its_own_csrf_token(app_ctx: tuple[TestClient, Context]) -> None:
    client, _ = app_ctx
    answer = client.post(
        "/console/login",
        data={"username": "agent", "password": password_of(Role.AGENT), "csrf_token": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "CSRF check failed" in answer.text
    assert "rescind_session" not in answer.headers.get("set-cookie", "")


def test_the_session_cookie_is_http_only_same_site_lax_and_lives_as_long_as_its_token(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    answer = client.post(
        "/console/login",
        data={"username": "agent", "password": password_of(Role.AGENT), "csrf_token": token[1]},
        follow_redirects=False,
    )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("rescind_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    # Max-Age, not Expires: the server's clock here is SPEC's Monday, long past, and a browser
    # must still keep the cookie for the token's 12 hours from when it arrives.
    assert "Max-Age=43200" in cookie
    assert "expires=" not in cookie.lower().replace("max-age", "")


def test_logging_out_revokes_the_session_token(app_ctx: tuple[TestClient, Context]) -> None:
    client, _ = app_ctx
    csrf = log_in(client, Role.AGENT)
    session_token = client.cookies["rescind_session"]
    out = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    # The token itself is dead, not just forgotten by this browser.
    client.cookies.set("rescind_session", session_token, path="/console")
    again = client.get("/console/jobs", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/console/login")
    api = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session_token}"})
    assert api.status_code == 401


def test_a_wrong_password_and_a_missing_job_are_pages_not_tracebacks(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    wrong = client.post(
        "/console/login", data={"username": "agent", "password": "nope", "csrf_token": token[1]}
    )
    assert wrong.status_code == 401
    assert "wrong username or password" in wrong.text
    log_in(client, Role.AGENT)
    missing = client.get("/console/jobs/JOB-404")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "no job with id" in missing.text


def test_an_installer_gets_not_found_for_another_companys_job(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    csrf = log_in(client, Role.INSTALLER)
    assert client.get("/console/jobs/JOB-006").status_code == 404
    refused = client.post(
        "/console/installer/jobs/JOB-006/cancel",
        data={"reason": "milestone_aged", "csrf_token": csrf},
    )
    assert refused.status_code == 404
    assert "Shady" not in refused.text


def test_an_installer_clicking_cancel_outside_operations_is_told_a_written_request_is_needed(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    csrf = log_in(client, Role.INSTALLER)
    # JOB-005 is in the sales phase: a page opened earlier, or a hand-made post.
    answer = client.post(
        "/console/installer/jobs/JOB-005/cancel",
        data={"reason": "milestone_aged", "csrf_token": csrf},
    )
    assert answer.status_code == 409
    assert "A written cancellation request from the homeowner is required" in answer.text
    assert "A written request from the homeowner is required" in answer.text  # the title


def test_a_field_the_service_refuses_is_marked_next_to_that_field(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    csrf = log_in(client, Role.INSTALLER)
    answer = client.post(
        "/console/installer/jobs/JOB-002/cancel",
        data={"reason": "other", "reason_text": "", "csrf_token": csrf},
    )
    assert answer.status_code == 422
    assert 'id="reason_text-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_a_webhook_url_reaching_an_internal_address_is_refused_next_to_the_url_field(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, _ = app_ctx
    csrf = log_in(client, Role.ADMIN)
    answer = client.post(
        "/console/webhooks",
        data={
            "url": "http://169.254.169.254/latest/meta-data",
            "event_types": ["case.opened"],
            "csrf_token": csrf,
        },
    )
    assert answer.status_code == 422
    assert 'id="url-error"' in answer.text
    assert "169.254.169.254, an internal address" in answer.text
    assert 'value="http://169.254.169.254/latest/meta-data"' in answer.text
    assert "No endpoint yet." in answer.text


TRUSTED = ("mx.rescind.example",)
DMARC_PASS = "mx.rescind.example; spf=pass; dkim=pass; dmarc=pass"


def an_email(
    sender: str, message_id: str, subject: str, body: str, authentication: str = DMARC_PASS
) -> bytes:
    return (
        f"Authentication-Results: {authentication}\r\n"
        f"From: Homeowner <{sender}>\r\n"
        "To: support@rescind.example\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 -0500\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def a_phone_request(client: TestClient, csrf: str, job_id: str) -> str:
    filed = client.post(
        f"/console/jobs/{job_id}/requests",
        data={"channel": "phone", "requester_name": "The homeowner", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    return str(filed.headers["location"]).rsplit("/", 1)[-1]


def test_the_statement_step_lists_the_jobs_emails_and_one_can_be_picked(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    address = get_job(ctx, "JOB-002", actor=AGENT).job.homeowner.email
    raw = an_email(
        address, "<cancel-1@mail.home.example>", "Cancel JOB-002 please", "I cancel my contract."
    )
    filed = receive_email(ctx, parse_email(raw, authserv_ids=TRUSTED), raw)
    assert filed.job_id == "JOB-002"
    stranger = an_email("stranger@else.example", "<x@else.example>", "Hello", "Not about you.")
    receive_email(ctx, parse_email(stranger), stranger)

    csrf = log_in(client, Role.AGENT)
    request_id = a_phone_request(client, csrf, "JOB-002")
    step = client.get(f"/console/requests/{request_id}")
    assert step.status_code == 200
    assert "Cancel JOB-002 please" in step.text
    assert address in step.text
    assert "sender authenticated" in step.text
    assert f"DMARC pass for {address.rpartition('@')[2]} by mx.rescind.example" in step.text
    assert f"filed as {filed.request_id}" in step.text
    assert "stranger@else.example" not in step.text
    listed = INBOUND_ID.findall(step.text)
    assert listed == [filed.inbound_id]

    picked = client.post(
        f"/console/requests/{request_id}/statement/email",
        data={"inbound_id": listed[0], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert picked.status_code == 303, picked.text
    statement = get_request(ctx, request_id, actor=AGENT).statement
    assert statement is not None
    assert statement.kind.value == "email"
    assert statement.source_ref == "<cancel-1@mail.home.example>"
    assert statement.from_address == address
    assert "I cancel my contract." in statement.content


def test_a_job_without_email_says_so_and_another_jobs_email_cannot_be_picked(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    other = get_job(ctx, "JOB-007", actor=AGENT).job.homeowner.email
    raw = an_email(other, "<other@mail.home.example>", "Cancel JOB-007", "Cancel it.")
    elsewhere = receive_email(ctx, parse_email(raw), raw)
    assert elsewhere.job_id == "JOB-007"

    csrf = log_in(client, Role.AGENT)
    request_id = a_phone_request(client, csrf, "JOB-002")
    step = client.get(f"/console/requests/{request_id}")
    assert "Next, once the code is confirmed." in step.text  # a phone request: the code first
    refused = client.post(
        f"/console/requests/{request_id}/statement/email",
        data={"inbound_id": elsewhere.inbound_id, "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert 'id="inbound_id-error"' in refused.text
    assert "no email received from the address on file yet" in refused.text.lower()
    assert get_request(ctx, request_id, actor=AGENT).statement is None


def test_deal_processing_approval_waits_on_the_request_page_until_the_agent_verifies(
    app_ctx: tuple[TestClient, Context],
) -> None:
    agent, ctx = app_ctx
    csrf = log_in(agent, Role.AGENT)
    escalated = agent.post(
        "/console/jobs/JOB-004/escalate",
        data={
            "channel": "phone",
            "requester_role": "homeowner",
            "requester_name": "Dev Patel",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert escalated.status_code == 303, escalated.text
    with ctx.uow() as uow:
        [case] = uow.cases.for_job("JOB-004")
    assert case.request_id is not None
    request_id = case.request_id

    dp = TestClient(agent.app, base_url="http://testserver")
    dp_csrf = log_in(dp, Role.DEAL_PROCESSING)
    approved = dp.post(
        f"/console/cases/{case.id}/approve",
        data={"note": "", "version": str(case.version), "csrf_token": dp_csrf},
    )

    assert approved.status_code == 200, approved.text
    assert f"Case {case.id} approved" in approved.text
    assert "verify the homeowner to cancel" in approved.text
    assert get_job(ctx, "JOB-004", actor=AGENT).status.value == "active"
    page = agent.get(f"/console/requests/{request_id}")
    assert "approved by Deal Processing — verify the homeowner to cancel" in page.text
    assert "Send code" in page.text
    assert "Cancel the workflow and queue the notice" not in page.text
    worklist = agent.get("/console/queues/requests")
    assert "verify the homeowner to cancel" in worklist.text

    sent = agent.post(f"/console/requests/{request_id}/code", data={"csrf_token": csrf})
    assert sent.status_code == 200, sent.text
    with ctx.uow() as uow:
        code = str(uow.outbox.for_job("JOB-004")[-1].context["code"])
    confirmed = agent.post(
        f"/console/requests/{request_id}/code/confirm", data={"code": code, "csrf_token": csrf}
    )
    assert "Verified: the code matched." in confirmed.text
    attached = agent.post(
        f"/console/requests/{request_id}/statement",
        data={"kind": "chat_transcript", "content": "Cancel it. Dev", "csrf_token": csrf},
    )
    assert attached.status_code == 200, attached.text
    assert "Cancel the workflow and queue the notice" in attached.text
    job_version = get_job(ctx, "JOB-004", actor=AGENT).job.version

    cancelled = agent.post(
        f"/console/requests/{request_id}/cancel",
        data={"reason": "Homeowner request", "version": str(job_version), "csrf_token": csrf},
    )

    assert cancelled.status_code == 200, cancelled.text
    assert "cancel pending until the end of 2026-12-14" in cancelled.text
    assert get_job(ctx, "JOB-004", actor=AGENT).status.value == "cancel_pending"
    assert get_request(ctx, request_id, actor=AGENT).outcome.value == "cancel_pending"


def test_the_request_and_the_triage_queue_say_why_an_email_did_not_verify(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    address = get_job(ctx, "JOB-002", actor=AGENT).job.homeowner.email
    forged = an_email(
        address,
        "<forged@mail.home.example>",
        "Cancel JOB-002",
        "Cancel it.",
        authentication="attacker.example; dmarc=pass",
    )
    filed = receive_email(ctx, parse_email(forged, authserv_ids=TRUSTED), forged)
    assert (filed.job_id, filed.verified) == ("JOB-002", False)
    stranger = an_email("stranger@else.example", "<s@else.example>", "Hello", "Who are you?")
    receive_email(ctx, parse_email(stranger, authserv_ids=TRUSTED), stranger)

    log_in(client, Role.AGENT)
    step = client.get(f"/console/requests/{filed.request_id}")
    triage = client.get("/console/queues/triage")

    assert step.status_code == triage.status_code == 200
    note = re.search(r'id="verification-note">([^<]*)<', step.text)
    assert note, step.text
    assert "untrusted authserv-id attacker.example ignored" in note.group(1)
    assert "Sender authenticated: DMARC pass for else.example by mx.rescind.example" in (
        triage.text
    )


def test_an_installer_is_not_offered_the_statement_form_and_posting_it_changes_nothing(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    csrf = log_in(client, Role.INSTALLER)
    emailed = client.post(
        "/console/installer/jobs/JOB-002/homeowner-emailed",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert emailed.status_code == 303, emailed.text
    (request,) = job_requests(ctx, "JOB-002", actor=AGENT)

    step = client.get(f"/console/requests/{request.id}")

    assert step.status_code == 200
    assert f'action="/console/requests/{request.id}/statement"' not in step.text
    assert "Attach statement" not in step.text
    assert "Support takes the written statement from the homeowner" in step.text
    forged = client.post(
        f"/console/requests/{request.id}/statement",
        data={"kind": "email", "content": "I, the homeowner, cancel.", "csrf_token": csrf},
    )
    assert forged.status_code == 403
    assert get_request(ctx, request.id, actor=AGENT).statement is None


def test_a_statement_from_two_addresses_is_marked_next_to_the_field_and_not_attached(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    csrf = log_in(client, Role.AGENT)
    request_id = a_phone_request(client, csrf, "JOB-002")
    two = "ben.2@home.example,attacker@evil.example"

    answer = client.post(
        f"/console/requests/{request_id}/statement",
        data={"kind": "email", "content": "Cancel.", "from_address": two, "csrf_token": csrf},
    )

    assert answer.status_code == 422
    assert 'id="from_address-error"' in answer.text
    assert "is not one valid email address" in answer.text
    assert get_request(ctx, request_id, actor=AGENT).statement is None
    sender = client.post(
        f"/console/requests/{request_id}/address-on-file",
        data={"sender": two, "authenticated": "pass", "csrf_token": csrf},
    )
    assert sender.status_code == 422
    assert 'id="sender-error"' in sender.text
    assert get_request(ctx, request_id, actor=AGENT).verified is False


def test_the_job_page_says_final_being_processed_until_the_sweep_records_the_cancellation(
    app_ctx: tuple[TestClient, Context],
) -> None:
    client, ctx = app_ctx
    final_at = MONDAY + timedelta(days=3)
    with ctx.uow() as uow:
        uow.jobs.add(
            replace(
                seed_jobs()[1],
                id="JOB-PEND",
                status=JobStatus.CANCEL_PENDING,
                pending_since_at=MONDAY,
                final_at=final_at,
            )
        )
        uow.commit()
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.set(final_at + timedelta(minutes=5))
    log_in(client, Role.AGENT)

    page = client.get("/console/jobs/JOB-PEND")

    assert page.status_code == 200, page.text
    assert "final — being processed" in page.text
    assert "Final since" in page.text
    assert "Restore to active" not in page.text
    assert "Cancelled for good" not in page.text

    assert sweep(ctx).finalized == 1
    after = client.get("/console/jobs/JOB-PEND")
    assert "Cancelled for good" in after.text
    assert "being processed" not in after.text
