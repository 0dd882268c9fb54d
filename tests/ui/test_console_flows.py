"""The procedure through the console, in Debian's chromium, against ``rescind serve``."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.api.conftest import if_match
from tests.ui.conftest import Demo, Shot, log_in, log_out


def _both_signed_with_review_pending(job: dict[str, Any]) -> bool:
    return bool(
        job["review_status"] == "pending_review"
        and job["installer_signed"]
        and job["sales_rep_signed"]
    )


def test_an_agent_cancels_a_job_by_phone_with_the_code_read_from_the_email(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1", partner_program="none", where=_both_signed_with_review_pending)
    email = job["homeowner"]["email"]
    log_in(page, demo, "agent")

    # Find the job by the homeowner's email.
    page.get_by_label("Job id, homeowner name, email or phone").fill(email)
    page.get_by_role("button", name="Search").click()
    shot(page, "job-search")
    page.get_by_role("link", name=job["id"]).click()
    expect(page.get_by_text("Rule 2: Milestone M1")).to_be_visible()
    shot(page, "job-page")

    # Step 1, and the request: the homeowner is on the phone.
    page.get_by_role("link", name="Start a cancellation…").click()
    expect(page.get_by_text("Eligible for cancellation by support")).to_be_visible()
    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_role("button", name="Open the request and verify").click()
    expect(page.get_by_text(re.compile(r"Request REQ-\w+ filed"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Cancel the workflow"))).to_have_count(0)

    # Step 2: a code by email, read back from the email the SMTP server received.
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text(f"A 4-digit code is on its way to {email}")).to_be_visible()
    shot(page, "wizard-verify")
    text = demo.email_to(email, "verification code")
    found = re.search(r"verification code is: (\d{4})", text)
    assert found, text
    wrong = "0000" if found.group(1) != "0000" else "1111"
    page.get_by_label("Code the homeowner read back").fill(wrong)
    page.get_by_role("button", name="Confirm code").click()
    expect(page.locator("#code-error")).to_contain_text("does not match")
    page.get_by_label("Code the homeowner read back").fill(found.group(1))
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_text("Verified: the code matched.")).to_be_visible()

    # The written statement: the homeowner's email, pasted.
    page.get_by_label("Kind").select_option("email")
    page.get_by_label("Paste the text").fill("Please cancel my solar contract. — the homeowner")
    page.get_by_label("From address (for an email, optional)").fill(email)
    page.get_by_role("button", name="Attach statement").click()
    expect(page.get_by_text("The written statement is attached.")).to_be_visible()

    # Steps 4–6 shown before anything happens: the review, the comment, the notice's To/CC.
    expect(page.get_by_text("The milestone review is pending review.")).to_be_visible()
    reason = page.get_by_label("Reason for the cancellation")
    expect(reason).to_have_value("Homeowner requested cancellation by phone")
    preview = page.get_by_label("Preview of the cancellation notice")
    expect(preview).to_contain_text(f"To {email}")
    expect(preview).to_contain_text(job["installer"]["email"])
    expect(preview).to_contain_text(job["sales_rep"]["email"])
    reason.fill("Homeowner changed their mind (phone)")
    page.locator("#cancel").scroll_into_view_if_needed()
    shot(page, "wizard-cancel")
    page.get_by_role("button", name="Cancel the workflow and queue the notice").click()

    # The job page: pending with its countdown, the feed comment, the notice.
    expect(page.get_by_text(f"Job {job['id']} is now cancel pending until")).to_be_visible()
    expect(page.get_by_role("heading", name="Cancel pending", exact=True)).to_be_visible()
    expect(page.locator("[data-countdown]").first).to_contain_text("left")
    expect(page.locator("#feed")).to_contain_text("Reason: Homeowner changed their mind (phone)")
    expect(page.get_by_role("cell", name="cancellation notice")).to_be_visible()
    notice = demo.email_to(email, "Cancel Pending until")
    assert "Homeowner changed their mind (phone)" in notice


def test_a_beam_job_shows_its_rule_and_the_refusal_is_recorded_and_emailed_to_the_homeowner(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(partner_program="beam")
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    expect(page.get_by_text("Not eligible for cancellation by support").first).to_be_visible()
    expect(page.get_by_role("link", name="Start a cancellation…")).to_have_count(0)

    page.get_by_role("link", name="Refuse and tell the customer…").click()
    expect(page.get_by_text(re.compile(r"Rule 1: Partner program is Beam"))).to_be_visible()
    expect(page.get_by_text("inform the customer we are unable to cancel").first).to_be_visible()
    expect(page.get_by_text("Stop here")).to_be_visible()
    # On the page itself only the refusal: no way to cancel (the header holds Find and Log out).
    expect(page.locator("main").get_by_role("button")).to_have_count(1)
    shot(page, "wizard-ineligible")

    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_label("Note (for the trail and the homeowner)").fill("Told on the phone")
    page.get_by_role("button", name="Record the refusal and email the homeowner").click()

    expect(page.get_by_role("status").first).to_contain_text("The refusal is on record as request")
    expect(page.get_by_role("status").first).to_contain_text("not eligible (rule 1:")
    expect(page.get_by_role("heading", name="Open requests")).to_have_count(0)
    expect(page.locator("table.list").first).to_contain_text("not eligible")
    text = demo.email_to(job["homeowner"]["email"], "Your cancellation request for job")
    assert "rule 1: Partner program is Beam" in text, text
    assert "Told on the phone" in text, text


def test_an_agent_restores_a_job_inside_its_cancel_pending_window(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    with demo.api() as api:  # cancelled through the API, as another agent might have
        request = api.post(
            "/requests",
            json={
                "job_id": job["id"],
                "channel": "email",
                "requester_role": "homeowner",
                "requester_name": job["homeowner"]["name"],
                "statement": {"kind": "email", "content": "Cancel please."},
            },
        ).json()
        verified = api.post(
            f"/requests/{request['id']}/verification/address-on-file",
            json={"sender": job["homeowner"]["email"], "authenticated": True},
            headers=if_match(api, f"/requests/{request['id']}/verification/address-on-file"),
        )
        assert verified.status_code == 200, verified.text
        cancelled = api.post(
            f"/requests/{request['id']}/cancel",
            json={"reason": "Changed plans"},
            headers=if_match(api, f"/requests/{request['id']}/cancel"),
        )
        assert cancelled.status_code == 200, cancelled.text

    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/pending"))
    expect(page.get_by_role("link", name=job["id"])).to_be_visible()
    page.get_by_role("link", name=job["id"]).click()
    expect(page.get_by_text("Cancel pending until the end of")).to_be_visible()
    why = page.get_by_label("Why restore (required: goes on the feed and to the signers)")
    why.fill("   ")
    page.get_by_role("button", name="Restore to active").click()
    expect(page.locator("#why-error")).to_contain_text("say why the job is restored")
    expect(page.locator("h1 .badge")).to_have_text("cancel pending")
    why.fill("The homeowner wants to go ahead")
    page.get_by_role("button", name="Restore to active").click()

    expect(page.get_by_text(f"Job {job['id']} is restored to active.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("active")
    expect(page.locator("#feed")).to_contain_text("Reason: The homeowner wants to go ahead")
    expect(page.locator("#restores")).to_contain_text(
        "via console: The homeowner wants to go ahead"
    )
    shot(page, "job-restored")
    text = demo.email_to(job["homeowner"]["email"], "your cancellation was withdrawn")
    assert "The homeowner wants to go ahead" in text, text
    signers = [job["homeowner"]["email"]]
    signers += [job["installer"]["email"]] if job["installer_signed"] else []
    signers += [job["sales_rep"]["email"]] if job["sales_rep_signed"] else []
    for address in signers:
        demo.email_to(address, "your cancellation was withdrawn")

    # The request the cancel closed shows the restore too.
    page.goto(demo.url(f"/console/requests/{request['id']}"))
    expect(page.locator("#restores")).to_contain_text("The homeowner wants to go ahead")


def test_deal_processing_approves_an_m1b_escalation_and_the_agent_verifies_and_cancels(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(
        product_model="direct_pay",
        milestone="M1B",
        partner_program="none",
        where=lambda j: bool(j["invoice_uploaded"]),
    )
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    page.get_by_role("link", name="Escalate to Deal Processing…").click()
    expect(
        page.get_by_text(re.compile(r"Rule 5: .*invoice uploaded", re.IGNORECASE))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Open the request and verify")).to_have_count(0)
    page.get_by_label("Who asked").select_option("homeowner")
    page.get_by_label("Detail for Deal Processing").fill("Homeowner called; invoice is uploaded.")
    page.get_by_role("button", name="Escalate to Deal Processing").click()
    banner = page.get_by_text(re.compile(r"Escalated to Deal Processing: case CASE-\w+"))
    expect(banner).to_be_visible()
    found = re.search(r"CASE-\w+", banner.inner_text())
    assert found
    case_id = found.group(0)
    log_out(page, demo, "agent")

    log_in(page, demo, "deal_processing")
    page.goto(demo.url("/console/queues"))
    expect(page).to_have_url(re.compile("/console/queues/deal-processing$"))
    expect(page.get_by_role("heading", name=re.compile(case_id))).to_be_visible()
    shot(page, "queue-deal-processing")
    page.get_by_role("button", name=f"Approve {case_id}", exact=True).click()
    expect(page.get_by_text(f"Case {case_id} approved")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(case_id))).to_have_count(0)

    # The approval does not verify anyone: the job stays active until the agent does.
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    expect(page.locator("h1 .badge")).to_have_text("active")
    expect(page.locator("#cases")).to_contain_text("Approved by deal_processing:deal_processing")
    log_out(page, demo, "deal_processing")

    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    page.get_by_role("link", name=re.compile(r"REQ-\w+")).first.click()
    expect(page.locator("#approval")).to_contain_text(
        "approved by Deal Processing — verify the homeowner to cancel"
    )
    email = job["homeowner"]["email"]
    page.get_by_role("button", name="Send code").click()
    text = demo.email_to(email, "verification code")
    found_code = re.search(r"verification code is: (\d{4})", text)
    assert found_code, text
    page.get_by_label("Code the homeowner read back").fill(found_code.group(1))
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_text("Verified: the code matched.")).to_be_visible()
    page.get_by_label("Kind").select_option("chat_transcript")
    page.get_by_label("Paste the text").fill("Please cancel my solar contract. — the homeowner")
    page.get_by_role("button", name="Attach statement").click()
    expect(page.get_by_text("The written statement is attached.")).to_be_visible()
    page.get_by_role("button", name="Cancel the workflow and queue the notice").click()

    expect(page.get_by_text(f"Job {job['id']} is now cancel pending until")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("cancel pending")


def test_an_installer_cancels_with_a_reason_and_cannot_see_another_companys_job(
    page: Page, demo: Demo, shot: Shot
) -> None:
    own = demo.find(
        "installer",
        partner_program="none",
        milestone="M1A",
        where=lambda j: j["phase"] == "operations",
    )
    in_sales = demo.find("installer", where=lambda j: j["phase"] == "sales")
    installer_id = own["installer"]["id"]
    other = demo.find(where=lambda j: j["installer"]["id"] != installer_id)

    log_in(page, demo, "installer")
    expect(page).to_have_url(re.compile("/console/installer$"))
    page.get_by_label("Job id, homeowner name, email or phone").fill(own["id"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=own["id"]).click()

    expect(page.get_by_role("heading", name="You can cancel this job")).to_be_visible()
    # Cancel Workflow asks first; saying no changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_label("Reason for cancelling").select_option("milestone_aged")
    page.get_by_role("button", name="Cancel Workflow").click()
    expect(page.locator("h1 .badge")).to_have_text("active")
    page.on("dialog", lambda dialog: dialog.accept())

    # "Other" without saying why is refused next to the field that needs it.
    page.get_by_label("Reason for cancelling").select_option("other")
    page.get_by_label("What is the reason? (required for Other)").fill(" ")
    page.get_by_role("button", name="Cancel Workflow").click()
    expect(page.locator("#reason_text-error")).to_contain_text("needs a text")
    shot(page, "installer-cancel")
    page.get_by_label("Reason for cancelling").select_option("milestone_aged")
    page.get_by_role("button", name="Cancel Workflow").click()
    expect(page.get_by_text(f"job {own['id']} is now cancel pending until")).to_be_visible()

    # Outside the operations phase: no button, the written-request message, the 24–48 h path.
    page.goto(demo.url(f"/console/jobs/{in_sales['id']}"))
    expect(page.get_by_role("button", name="Cancel Workflow")).to_have_count(0)
    expect(page.get_by_text("A written cancellation request from the homeowner")).to_be_visible()
    page.get_by_role("button", name="The homeowner emailed us").click()
    expect(page.get_by_role("status")).to_contain_text(
        "resolve the homeowner's request within 24–48 hours"
    )

    # Another company's job does not exist for this installer.
    answer = page.goto(demo.url(f"/console/jobs/{other['id']}"))
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(other["homeowner"]["name"])).to_have_count(0)


def test_the_queues_and_a_job_page_read_well_on_a_phone(page: Page, demo: Demo, shot: Shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/requests"))
    expect(page.get_by_role("heading", name="Open requests")).to_be_visible()
    shot(page, "queue-open-requests-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"


def test_an_agent_finds_a_job_with_the_keyboard_alone(page: Page, demo: Demo) -> None:
    job = demo.find(milestone="M2", partner_program="none")
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/jobs"))
    expect(page.get_by_label("Job id, homeowner name, email or phone")).to_be_focused()
    page.keyboard.type(job["id"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/console/jobs/{job['id']}$"))
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
