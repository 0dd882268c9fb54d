"""The failed-email queue in chromium: an agent fixes the address of a failed email and it
arrives at the fixed address; another one is sent again as it is."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def a_failed_code_email(demo: Demo, job: dict[str, Any]) -> None:
    """A verification code for ``job``, which (as if the server refused it for good) failed."""
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
        sent = agent.post(f"/requests/{filed.json()['id']}/verification/code")
        assert sent.status_code in (200, 201), sent.text
    # Once the worker has sent it (so it no longer touches the row), as if it had failed.
    demo.email_to(job["homeowner"]["email"], "code")
    demo.once_ready(
        "UPDATE outbox_message SET status = 'failed', attempts = 8, "
        "last_error = '550 5.1.1 no such user' "
        "WHERE job_id = ? AND kind = 'verification_code' AND status = 'sent'",
        (job["id"],),
    )


def test_an_agent_fixes_the_address_of_a_failed_email_and_it_arrives_there(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find("agent", milestone="M2", partner_program="none")
    a_failed_code_email(demo, job)
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/failed-emails"))
    row = page.locator("tbody tr", has_text=job["id"])
    expect(row).to_contain_text("550 5.1.1 no such user")
    shot(page, "failed-emails")

    row.get_by_label("Correct address (this email only)").fill("not an address")
    row.get_by_role("button", name="Fix and resend").click()
    # The browser's own check stops a malformed address before it is posted.
    expect(page).to_have_url(demo.url("/console/queues/failed-emails"))
    fixed = f"fixed.{job['id'].lower()}@homeowner.example"
    row = page.locator("tbody tr", has_text=job["id"])
    row.get_by_label("Correct address (this email only)").fill(fixed)
    row.get_by_role("button", name="Fix and resend").click()

    expect(page.get_by_role("status")).to_contain_text(f"queued again to {fixed}")
    expect(page.locator("tbody tr", has_text=job["id"])).to_have_count(0)
    assert "code" in demo.email_to(fixed, "code").lower()
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    expect(page.locator("ol.audit")).to_contain_text("fixed an address of the failed")


def test_an_agent_resends_a_failed_email_as_it_is(page: Page, demo: Demo) -> None:
    job = demo.find("agent", milestone="M2", partner_program="none")
    a_failed_code_email(demo, job)
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/failed-emails"))
    row = page.locator("tbody tr", has_text=job["id"])
    row.get_by_role("button", name="Resend as is").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"queued again to {job['homeowner']['email']}"
    )
    expect(page.locator("tbody tr", has_text=job["id"])).to_have_count(0)
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    expect(page.locator("ol.audit")).to_contain_text(
        "sent the failed verification code email again"
    )
