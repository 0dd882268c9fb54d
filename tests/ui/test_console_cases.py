"""A case page, in chromium: reached from its queue by its id, reassigned and commented."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def test_an_agent_opens_a_case_from_its_queue_assigns_reassigns_and_comments(
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
    page.get_by_label("Who asked").select_option("homeowner")
    page.get_by_role("button", name="Escalate to Deal Processing").click()
    banner = page.get_by_text(re.compile(r"Escalated to Deal Processing: case CASE-\w+"))
    found = re.search(r"CASE-\w+", banner.inner_text())
    assert found
    case_id = found.group(0)

    page.goto(demo.url("/console/queues/deal-processing"))
    page.get_by_role("link", name=case_id, exact=True).click()
    expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
    expect(page.locator("ol.audit")).to_contain_text(f"opened case {case_id} for deal processing")
    page.get_by_label("Move to queue").select_option("deal_processing")
    page.get_by_role("button", name=f"Reassign {case_id}").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Case {case_id} moved to deal processing"
    )
    expect(page.locator("ol.audit")).to_contain_text(
        f"reassigned case {case_id} to deal processing"
    )

    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Case {case_id} assigned to agent:")
    page.get_by_label("Assign to").select_option(index=0)
    page.get_by_role("button", name=f"Assign {case_id}", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Case {case_id} assigned to")
    expect(page.locator("ol.audit")).to_contain_text(f"assigned case {case_id} to")

    page.get_by_label("Comment (goes on the job's feed)").fill("Called the installer.")
    shot(page, "case-page")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status").first).to_contain_text("Comment added")
    expect(page.locator("ol.audit")).to_contain_text(f"“Case {case_id}: Called the installer.”")
    page.goto(demo.url("/console/queues/deal-processing"))
    expect(page.get_by_role("link", name=case_id, exact=True)).to_be_visible()
