"""The embedded demo without a mail server (``make run``): outgoing mail lands in the demo
mailbox page, so a phone cancellation can be finished by reading the code there."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.mail.conftest import Inbox
from tests.ui.conftest import Demo, Shot, log_in, served_demo


@pytest.fixture(scope="module")
def bare_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``rescind serve`` as ``make run`` starts it: no RESCIND_SMTP_HOST, the demo SQLite."""
    with served_demo(tmp_path_factory.mktemp("ui-demo-mailbox"), Inbox()) as running:
        yield running


def test_an_agent_finishes_a_phone_cancellation_reading_the_code_in_the_demo_mailbox(
    page: Page, bare_demo: Demo, shot: Shot
) -> None:
    demo = bare_demo
    job = demo.find(milestone="M1", partner_program="none")
    email = job["homeowner"]["email"]
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    page.get_by_role("link", name="Start a cancellation…").click()
    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_role("button", name="Open the request and verify").click()
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text(f"A 4-digit code is on its way to {email}")).to_be_visible()
    request_url = page.url

    page.get_by_role("link", name="Demo mailbox").click()
    expect(page.locator("#demo-mailbox-banner")).to_contain_text("Demo mailbox — mail is not sent")
    message = page.locator("#messages tbody tr", has_text=email).first
    # The worker writes it within a round or two (0.2 s each) on a quiet machine; a loaded one
    # (the worker also sweeps the demo's backdated jobs at start) may take far longer.
    deadline = time.monotonic() + 60
    while not message.count() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        page.reload()
    message.get_by_role("link", name=re.compile("verification code")).click()
    expect(page.locator("#message")).to_contain_text(f"To{email}", use_inner_text=False)
    shot(page, "demo-mailbox")
    found = re.search(r"verification code is: (\d{4})", page.locator(".email-text").inner_text())
    assert found

    page.goto(request_url)
    page.get_by_label("Code the homeowner read back").fill(found.group(1))
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_text("Verified: the code matched.")).to_be_visible()
    page.get_by_label("Kind").select_option("email")
    page.get_by_label("Paste the text").fill("Please cancel my solar contract. — the homeowner")
    page.get_by_label("From address (for an email, optional)").fill(email)
    page.get_by_role("button", name="Attach statement").click()
    page.get_by_role("button", name="Cancel the workflow and queue the notice").click()
    expect(page.get_by_text(f"Job {job['id']} is now cancel pending until")).to_be_visible()
    assert demo.inbox.received == []  # nothing was sent anywhere


def test_the_demo_mailbox_is_not_there_when_mail_is_sent_by_a_server(
    page: Page, demo: Demo
) -> None:
    log_in(page, demo, "agent")
    expect(page.get_by_role("link", name="Demo mailbox")).to_have_count(0)
    answer = page.goto(demo.url("/console/demo/mailbox"))
    assert answer is not None
    assert answer.status == 404


def test_an_installer_may_not_read_the_demo_mailbox(page: Page, bare_demo: Demo) -> None:
    log_in(page, bare_demo, "installer")
    expect(page.get_by_role("link", name="Demo mailbox")).to_have_count(0)
    answer = page.goto(bare_demo.url("/console/demo/mailbox"))
    assert answer is not None
    assert answer.status == 403
