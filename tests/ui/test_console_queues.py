"""The queues in chromium: tabs with counts, due times counted down in business time, and an
escalated request closed from the console taking its case with it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in

COUNTDOWN = re.compile(r"(due in|overdue by) (\d+|less than 1) business (hours?|days?)")


def test_queue_tabs_show_counts_and_requests_count_down_in_business_time(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find("agent", milestone="M2", partner_program="none")
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
        open_now = len(agent.get("/requests", params={"limit": "200"}).json())
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues/requests"))

    tabs = page.get_by_role("navigation", name="Queues")
    expect(tabs.get_by_role("link", name=re.compile(r"^Open requests \(\d+\)$"))).to_be_visible()
    expect(tabs.get_by_role("link", name=re.compile(r"^Failed emails \(\d+\)$"))).to_be_visible()
    count = re.search(
        r"\((\d+)\)", tabs.get_by_role("link", name=re.compile("Open requests")).inner_text()
    )
    assert count is not None
    assert int(count.group(1)) >= min(open_now, 200)
    row = page.locator("tbody tr", has_text=filed.json()["id"])
    expect(row.locator(".countdown")).to_have_text(COUNTDOWN)
    # Overdue requests lead the list; the rest follow soonest due first.
    texts = page.locator("tbody tr .countdown").all_inner_texts()
    overdue = [t.startswith("overdue") for t in texts]
    assert overdue == sorted(overdue, reverse=True)
    shot(page, "queue-requests")


def test_closing_an_escalated_request_in_the_console_closes_its_case(
    page: Page, demo: Demo
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

    page.goto(demo.url(f"/console/cases/{case_id}"))
    page.locator("dl.facts").get_by_role("link", name=re.compile(r"^REQ-")).click()
    page.get_by_label("Why it ends").select_option("withdrawn")
    page.get_by_label("Note (for the trail and the requester)").fill("Paid in full instead")
    page.get_by_role("button", name="Close the request").click()
    expect(page.get_by_role("status").first).to_be_visible()

    page.goto(demo.url(f"/console/cases/{case_id}"))
    expect(page.locator("dl.facts")).to_contain_text("closed")
    expect(page.locator("ol.audit")).to_contain_text(f"closed case {case_id}")
    page.goto(demo.url("/console/queues/back-office"))
    expect(page.get_by_role("link", name=case_id, exact=True)).to_have_count(0)
