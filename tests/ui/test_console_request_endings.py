"""Every request ends, in chromium: closing with a reason, asking twice, and the installer
portal telling the truth before anyone clicks."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def test_filing_twice_continues_the_open_request_and_closing_it_as_withdrawn_emails_the_homeowner(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}/cancel"))
    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_role("button", name="Open the request and verify").click()
    expect(page.get_by_text(re.compile(r"Request REQ-\w+ filed"))).to_be_visible()
    first = page.url

    # The homeowner calls again: nothing new is filed, the open request is shown.
    page.goto(demo.url(f"/console/jobs/{job['id']}/cancel"))
    page.get_by_label("How the homeowner contacted us").select_option("chat")
    page.get_by_role("button", name="Open the request and verify").click()
    expect(page.get_by_role("status").first).to_contain_text("Nothing new was filed")
    assert page.url.split("#")[0] == first.split("#")[0]

    # The homeowner changed their mind: close it, with a note.
    page.get_by_label("Why it ends").select_option("withdrawn")
    page.get_by_label("Note (for the trail and the requester)").fill("Keeps the system")
    shot(page, "request-close")
    page.get_by_role("button", name="Close the request").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "is closed: withdrawn by the homeowner — Keeps the system"
    )
    expect(page.get_by_role("heading", name="Open requests")).to_have_count(0)
    expect(page.locator("table.list").first).to_contain_text("withdrawn")
    text = demo.email_to(job["homeowner"]["email"], "Your cancellation request for job")
    assert "Withdrawn by the homeowner" in text, text
    assert "Keeps the system" in text, text


def test_closing_an_eligible_job_as_not_eligible_is_refused_next_to_the_field(
    page: Page, demo: Demo
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}/cancel"))
    page.get_by_role("button", name="Open the request and verify").click()

    page.get_by_label("Why it ends").select_option("not_eligible")
    page.get_by_role("button", name="Close the request").click()

    expect(page.locator("#close_reason-error")).to_contain_text("eligible now")
    expect(page.get_by_role("button", name="Close the request")).to_be_visible()


def test_the_installer_portal_says_up_front_why_a_job_cannot_be_cancelled_and_takes_one_request(
    page: Page, demo: Demo, shot: Shot
) -> None:
    beam = demo.find(
        "installer", partner_program="beam", where=lambda j: j["phase"] == "operations"
    )
    log_in(page, demo, "installer")
    page.goto(demo.url(f"/console/jobs/{beam['id']}"))

    expect(
        page.get_by_role("heading", name="You cannot cancel this job from the portal")
    ).to_be_visible()
    expect(page.locator("#verdict")).to_contain_text("rule 1 of our cancellation policy")
    expect(page.get_by_role("button", name="Cancel Workflow")).to_have_count(0)
    expect(page.get_by_text("A written cancellation request from the homeowner")).to_be_visible()
    # Support's own words never reach the installer.
    expect(page.get_by_text("by support")).to_have_count(0)
    expect(page.get_by_text("inform the customer")).to_have_count(0)
    shot(page, "installer-not-eligible")

    page.get_by_role("button", name="The homeowner emailed us").click()
    expect(page.get_by_role("status").first).to_contain_text("within 24–48 hours")
    # Told once is enough: the page now names the request instead of offering the button.
    expect(page.get_by_role("button", name="The homeowner emailed us")).to_have_count(0)
    expect(
        page.get_by_text(re.compile(r"Support already has this job's request REQ-"))
    ).to_be_visible()
    with demo.api() as api:
        requests = api.get(f"/jobs/{beam['id']}/requests").json()
    assert [r["outcome"] for r in requests] == ["open"]
