"""The admins' webhooks page in chromium: an endpoint, a failure, Retry, and it is delivered."""

from __future__ import annotations

import sqlite3
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import SQLITE_NAME
from tests.ui.conftest import Demo, Shot, log_in
from tests.webhook_receiver import webhook_receiver


def test_an_admin_sees_a_failed_delivery_retries_it_and_the_receiver_gets_it_signed(
    page: Page, demo: Demo, shot: Shot
) -> None:
    with webhook_receiver(answers=[500]) as receiver:
        with demo.api("admin") as admin:
            made = admin.post(
                "/webhooks",
                json={"url": receiver.url, "event_types": ["request.filed"], "description": "CRM"},
            )
            assert made.status_code == 201, made.text
            receiver.secrets = [made.json()["secret"]]
        job = demo.find("agent")
        with demo.api("agent") as agent:
            filed = agent.post(
                "/requests",
                json={
                    "job_id": job["id"],
                    "channel": "phone",
                    "requester_role": "homeowner",
                    "requester_name": job["homeowner"]["name"],
                },
            )
            assert filed.status_code == 201, filed.text
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.received, "the worker never posted the webhook"
        # Eight attempts take hours of backoff: give this one up as the eighth would.
        assert demo.data_dir is not None
        with sqlite3.connect(demo.data_dir / SQLITE_NAME) as db:
            db.execute(
                "UPDATE webhook_delivery SET status = 'failed', attempts = 8, "
                "last_error = 'gave up after 8 attempts: the receiver answered 500' "
                "WHERE endpoint_id = ?",
                (made.json()["id"],),
            )

        log_in(page, demo, "admin")
        page.get_by_role("link", name="Webhooks").click()
        expect(page.locator("#endpoints")).to_contain_text(receiver.url)
        failure = page.locator("#failures tbody tr").first
        expect(failure).to_contain_text("request.filed")
        expect(failure).to_contain_text("HTTP 500")
        shot(page, "webhooks")
        failure.get_by_role("button", name="Retry").click()

        expect(page.get_by_role("status")).to_contain_text("queued again (same webhook-id)")
        deadline = time.monotonic() + 30
        while not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.1)
        [accepted] = receiver.accepted()
        assert accepted.verified_by == (0,)
        assert accepted.webhook_id == receiver.received[0].webhook_id
        page.reload()
        expect(page.locator("#failures")).to_have_count(0)
        expect(page.locator("#recent tbody tr").first).to_contain_text("delivered")


def test_the_webhooks_page_is_for_admins_only(page: Page, demo: Demo) -> None:
    log_in(page, demo, "agent")
    expect(page.get_by_role("link", name="Webhooks")).to_have_count(0)
    answer = page.goto(demo.url("/console/webhooks"))
    assert answer is not None
    assert answer.status == 403


def test_an_admin_adds_an_endpoint_sees_its_secret_once_rotates_it_and_removes_it(
    page: Page, demo: Demo
) -> None:
    log_in(page, demo, "admin")
    page.goto(demo.url("/console/webhooks"))
    page.get_by_label("URL").fill("https://crm.example/hooks/rescind")
    page.get_by_label("Description").fill("CRM sync")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#event_types-error")).to_contain_text("pick at least one event type")
    expect(page.get_by_label("URL")).to_have_value("https://crm.example/hooks/rescind")

    page.get_by_label("workflow.cancel_pending").check()
    page.get_by_role("button", name="Add endpoint").click()
    first = page.locator("#secret code").inner_text()
    assert first.startswith("whsec_")
    row = page.locator("#endpoints tr", has_text="https://crm.example/hooks/rescind")
    expect(row).to_contain_text("workflow.cancel_pending")

    row.get_by_role("button", name="Rotate the secret of").click()
    second = page.locator("#secret code").inner_text()
    assert second.startswith("whsec_")
    assert second != first
    expect(page.locator("#secret")).to_contain_text("previous one keeps signing too")
    with demo.api("admin") as admin:
        [listed] = [e for e in admin.get("/webhooks").json() if e["url"].startswith("https://crm")]
    assert first not in str(listed)
    assert second not in str(listed)

    page.goto(demo.url("/console/webhooks"))  # the secret was shown once: not again
    expect(page.locator("#secret")).to_have_count(0)
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text("nothing more is sent to it")
    expect(page.locator("#endpoints tr", has_text="https://crm.example")).to_have_count(0)
