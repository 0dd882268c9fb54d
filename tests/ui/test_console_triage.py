"""The email triage queue acts, in chromium: open a waiting message, attach it to a job (the
homeowner's request, the message its statement) or dismiss it with a reason."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def stranger_email(message_id: str, subject: str) -> bytes:
    return (
        "From: Pat Stranger <pat@nowhere.example>\r\nTo: support@rescind.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{message_id}@nowhere.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        "--XX\r\nContent-Type: text/plain\r\n\r\nI want to cancel my solar contract.\r\n"
        "--XX\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="signed-letter.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
    ).encode()


def test_an_agent_opens_a_waiting_email_and_attaches_it_to_the_job_it_is_about(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    demo.deliver("attach", stranger_email("ui-attach", "Stop my install"))
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/triage"))

    page.get_by_role("link", name="Stop my install").click()
    expect(page.get_by_role("heading", name=re.compile(r"Email IN-"))).to_be_visible()
    expect(page.get_by_text("I want to cancel my solar contract.")).to_be_visible()
    expect(page.get_by_text("signed-letter.pdf")).to_be_visible()
    page.get_by_label("Job id").fill(job["id"])
    shot(page, "triage-message")
    page.get_by_role("button", name="Attach to job").click()

    expect(page.get_by_role("status").first).to_contain_text(
        f"The email is filed on job {job['id']} as request REQ-"
    )
    expect(page.get_by_role("status").first).to_contain_text("not verified")
    page.goto(demo.url("/console/queues/triage"))
    expect(page.get_by_role("link", name="Stop my install")).to_have_count(0)


def test_an_agent_dismisses_a_waiting_email_only_with_a_reason(page: Page, demo: Demo) -> None:
    demo.deliver("dismiss", stranger_email("ui-dismiss", "Great deals on panels"))
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/triage"))
    page.get_by_role("link", name="Great deals on panels").click()

    page.get_by_role("button", name="Dismiss email").click()
    expect(page.locator("#reason-error")).to_contain_text("say why the email is dismissed")

    page.get_by_label("Reason for dismissing").fill("Marketing, not a request")
    page.get_by_role("button", name="Dismiss email").click()

    expect(page.get_by_role("status").first).to_contain_text("dismissed")
    expect(page.get_by_role("link", name="Great deals on panels")).to_have_count(0)
