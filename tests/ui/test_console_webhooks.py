"""The admins' webhooks page in chromium: an endpoint, a failure, Retry, and it is delivered."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

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
        # Eight attempts take hours of backoff: give this one up as the eighth would, once the
        # worker has recorded its attempt (the receiver's answer).
        demo.once_ready(
            "UPDATE webhook_delivery SET status = 'failed', attempts = 8, "
            "last_error = 'gave up after 8 attempts: the receiver answered 500' "
            "WHERE endpoint_id = ? AND last_status_code IS NOT NULL",
            (made.json()["id"],),
        )

        log_in(page, demo, "admin")
        page.get_by_role("link", name="Webhooks").click()
        expect(page.locator("#endpoints")).to_contain_text(receiver.url)
        failure = page.locator("#failures tbody tr").first
        expect(failure).to_contain_text("request.filed")
        expect(failure).to_contain_text("HTTP 500")
        failure.get_by_role("button", name="Retry").click()

        expect(page.get_by_role("status")).to_contain_text("queued again (same webhook-id)")
        deadline = time.monotonic() + 30
        while not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.1)
        [accepted] = receiver.accepted()
        assert accepted.verified_by == (0,)
        assert accepted.webhook_id == receiver.received[0].webhook_id
        # The receiver has answered; the page shows "delivered" once the worker has said so.
        demo.once_ready(
            "SELECT 1 FROM webhook_delivery WHERE endpoint_id = ? AND status = 'delivered'",
            (made.json()["id"],),
        )
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
    page: Page, demo: Demo, shot: Shot
) -> None:
    with webhook_receiver() as receiver:
        log_in(page, demo, "admin")
        page.goto(demo.url("/console/webhooks"))
        form = page.locator("#add-endpoint")
        form.get_by_label("URL").fill(receiver.url)
        form.get_by_role("button", name="Add endpoint").click()
        # No event type ticked: the reason is next to the event types, the URL kept.
        expect(page.locator("#event_types-error")).to_contain_text("pick at least one event type")
        expect(form.get_by_label("URL")).to_have_value(receiver.url)

        form.get_by_label("workflow.cancelled").check()
        form.get_by_label("case.opened").check()
        form.get_by_label("Description (optional)").fill("Engine")
        form.get_by_role("button", name="Add endpoint").click()

        banner = page.locator("#new-secret")
        expect(banner).to_contain_text("added")
        secret = page.locator("#secret-value").inner_text()
        assert secret.startswith("whsec_")
        row = page.locator("#endpoints tbody tr", has_text=receiver.url)
        expect(row).to_contain_text("workflow.cancelled, case.opened")
        shot(page, "webhooks")
        with demo.api("admin") as admin:
            [listed] = [e for e in admin.get("/webhooks").json() if e["url"] == receiver.url]
        assert "secret" not in listed
        page.goto(demo.url("/console/webhooks"))
        expect(page.locator("#new-secret")).to_have_count(0)  # shown once

        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name=f"Rotate the secret of {listed['id']}").click()
        expect(page.locator("#new-secret")).to_contain_text(f"New secret for {listed['id']}")
        rotated = page.locator("#secret-value").inner_text()
        assert rotated.startswith("whsec_")
        assert rotated != secret
        expect(row).to_contain_text("rotating: the previous one signs too until")

        page.once("dialog", lambda dialog: dialog.dismiss())
        row.get_by_role("button", name=f"Remove {listed['id']}").click()
        expect(row).to_have_count(1)  # dismissed: nothing removed
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name=f"Remove {listed['id']}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Endpoint {listed['id']} removed")
        expect(page.locator("#endpoints tbody tr", has_text=receiver.url)).to_have_count(0)
