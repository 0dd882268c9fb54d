"""Finding, reading and accessibility, in Debian's chromium against ``rescind serve``:
the header search, the stepped phone flow with its error focus, and axe-core on every kind
of console page (no serious or critical violations)."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in
from tests.ui.test_console_failed_emails import a_failed_code_email

HEADER_SEARCH = "Find a job by id, name, email or phone"


def us_spellings(e164: str) -> list[str]:
    digits = e164.removeprefix("+1")
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return [f"({area}) {exchange}-{line}", f"{area} {exchange} {line}", e164]


def test_the_header_search_on_any_page_finds_a_job_the_way_people_say_it(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M2", partner_program="none")
    homeowner = job["homeowner"]
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/queues"))

    # A phone number in any of its usual spellings, from the header of the queues page.
    for typed in us_spellings(homeowner["phone"]):
        page.get_by_label(HEADER_SEARCH).fill(typed)
        page.get_by_label(HEADER_SEARCH).press("Enter")
        expect(page.get_by_role("link", name=job["id"], exact=True)).to_be_visible()
    shot(page, "job-search-by-phone")

    # The surname alone, and the start of the email.
    surname = homeowner["name"].split()[-1]
    page.get_by_label(HEADER_SEARCH).fill(surname.upper())
    page.get_by_label(HEADER_SEARCH).press("Enter")
    expect(page.locator("table.list tbody tr").first).to_contain_text(surname)
    page.get_by_label(HEADER_SEARCH).fill(homeowner["email"].split("@")[0] + "@")
    page.get_by_label(HEADER_SEARCH).press("Enter")
    expect(page.get_by_role("link", name=job["id"], exact=True)).to_be_visible()

    # The job's number, without JOB- and its zeros: straight to the job's page.
    number = str(int(re.sub(r"\D", "", job["id"])))
    page.get_by_label(HEADER_SEARCH).fill(number)
    page.get_by_label(HEADER_SEARCH).press("Enter")
    expect(page).to_have_url(re.compile(f"/console/jobs/{job['id']}$"))


def test_the_job_list_filters_and_pages_through_everything(page: Page, demo: Demo) -> None:
    log_in(page, demo, "agent")
    page.goto(demo.url("/console/jobs"))
    page.get_by_label("Milestone").select_option("M2")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"milestone=M2"))
    page.wait_for_load_state("load")  # the whole list, not the part parsed so far
    first = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert first
    for row in page.locator("table.list tbody tr").all():
        expect(row).to_contain_text("M2")
    with page.expect_navigation():  # loaded: the next page's rows, not this one's
        page.get_by_role("link", name="Next page").click()
    second = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert second
    assert min(second) > max(first)
    for row in page.locator("table.list tbody tr").all():
        expect(row).to_contain_text("M2")


def test_the_phone_flow_goes_step_by_step_and_a_wrong_code_focuses_the_code_field(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    email = job["homeowner"]["email"]
    log_in(page, demo, "agent")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    page.get_by_role("link", name="Start a cancellation…").click()
    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_role("button", name="Open the request and verify").click()

    # Verification is the step: the statement and the cancel wait, the email route folds away.
    expect(page.get_by_text("Next, once the code is confirmed.")).to_be_visible()
    expect(page.get_by_label("Reason for the cancellation")).to_have_count(0)
    expect(page.get_by_label("The email's From address")).to_be_hidden()
    page.get_by_role("button", name="Send code").click()
    # The verify step and the heading of what comes next fit in one tall screen (what follows
    # them, such as ending the request without cancelling, is further down on purpose).
    box = page.locator("#statement").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] < 1600, f"the verify step ends at {box['y'] + box['height']} px"

    text = demo.email_to(email, "verification code")
    found = re.search(r"verification code is: (\d{4})", text)
    assert found, text
    wrong = "0000" if found.group(1) != "0000" else "1111"
    page.get_by_label("Code the homeowner read back").fill(wrong)
    page.get_by_role("button", name="Confirm code").click()
    code = page.get_by_label("Code the homeowner read back")
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", re.compile(r"\bcode-error\b"))
    expect(page.locator("#code-error")).to_contain_text(re.compile(r"\d+ attempts? left"))
    shot(page, "wizard-wrong-code")

    code.fill(found.group(1))
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_text("Verified: the code matched.")).to_be_visible()
    page.get_by_label("Paste the text").fill("Please cancel my solar contract. — the homeowner")
    page.get_by_role("button", name="Attach statement").click()
    expect(page.get_by_label("Reason for the cancellation")).to_be_visible()
    page.get_by_role("button", name="Cancel the workflow and queue the notice").click()
    expect(page.get_by_text(f"Job {job['id']} is now cancel pending until")).to_be_visible()

    # The trail reads as sentences with the agent's name, not event kinds and key=value.
    trail = page.locator("ol.timeline.audit")
    expect(trail).to_contain_text(re.compile(r"cancelled the workflow .*final at the end of"))
    expect(trail).not_to_contain_text("workflow_cancel_pending")
    expect(trail).not_to_contain_text("False")


def a_case(demo: Demo) -> str:
    """A Direct Pay M1B job's request escalated to Deal Processing, through the API."""
    job = demo.find(
        product_model="direct_pay",
        milestone="M1B",
        partner_program="none",
        where=lambda j: bool(j["invoice_uploaded"]),
    )
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
        escalated = agent.post(
            f"/requests/{filed.json()['id']}/escalation",
            json={"detail": "invoice uploaded"},
            headers={"If-Match": f'"{filed.json()["version"]}"'},
        )
        assert escalated.status_code in (200, 201), escalated.text
    case_id: str = escalated.json()["id"]
    return case_id


def serious(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def described(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in violations
    )


def check(page: Page, path: str, failures: dict[str, str]) -> None:
    # A click returns once its navigation has started: audit the page it lands on, whole.
    page.wait_for_load_state("load")
    found = serious(page)
    if found:
        failures[path] = described(found)


def test_axe_finds_no_serious_or_critical_violation_on_any_kind_of_page(
    page: Page, demo: Demo
) -> None:
    # The check itself works: a page with an unlabelled field and an image without alt fails.
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    assert {v["id"] for v in serious(page)} >= {"image-alt", "label"}

    failures: dict[str, str] = {}
    page.goto(demo.url("/console/"))
    check(page, "login (or start)", failures)

    job = demo.find(milestone="M1", partner_program="none")
    beam = demo.find(partner_program="beam")
    log_in(page, demo, "agent")
    for path in (
        "/console/jobs",
        "/console/jobs?q=a",
        f"/console/jobs/{job['id']}",
        f"/console/jobs/{beam['id']}",
        f"/console/jobs/{job['id']}/cancel",
        "/console/queues",
        "/console/queues/requests",
        "/console/queues/pending",
        "/console/queues/back-office",
        "/console/queues/triage",
        "/console/queues/failed-emails",
        "/console/password",
        "/console/jobs/JOB-999999",
        "/console/insights?period=quarter",
        "/console/requests",
        "/console/requests?status=closed",
    ):
        page.goto(demo.url(path))
        check(page, path, failures)
    # A failed email with its actions, one with an error next to its address field.
    failed = demo.find(milestone="M2", partner_program="none")
    a_failed_code_email(demo, failed)
    page.goto(demo.url("/console/queues/failed-emails"))
    row = page.locator("tbody tr", has_text=failed["id"])
    row.get_by_label("Correct address (this email only)").fill("ann@localhost")
    row.get_by_role("button", name="Fix and resend").click()
    expect(page.locator(".field-error").first).to_be_visible()
    check(page, "failed emails with an error", failures)
    # A case page, with its history.
    page.goto(demo.url(f"/console/cases/{a_case(demo)}"))
    check(page, "case", failures)
    # The wizard, with an error on its code field.
    page.goto(demo.url(f"/console/jobs/{job['id']}/cancel"))
    page.get_by_label("How the homeowner contacted us").select_option("phone")
    page.get_by_role("button", name="Open the request and verify").click()
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code the homeowner read back").fill("12")
    page.get_by_role("button", name="Confirm code").click()
    check(page, "wizard with an error", failures)

    page.context.clear_cookies()
    log_in(page, demo, "admin")
    page.goto(demo.url("/console/policies/simulate"))
    check(page, "/console/policies/simulate", failures)
    for path in (
        "/console/admin",
        "/console/admin/users",
        "/console/admin/policies",
        "/console/admin/policies/1",
        "/console/admin/policies/compare?a=1&b=1",
        "/console/admin/policies/new",
        "/console/admin/holidays",
        "/console/admin/import",
        "/console/outbox",
        "/console/webhooks",
        "/console/admin/holidays/preview?change=add&day=2027-03-01&name=Retreat",
    ):
        page.goto(demo.url(path))
        check(page, path, failures)
    with demo.api("admin") as client:  # removed at once: nothing more is delivered to it
        hook = {"url": "http://127.0.0.1:9/axe", "event_types": ["case.opened"]}
        endpoint = client.post("/webhooks", json=hook).json()["id"]
        client.delete(f"/webhooks/{endpoint}")
    page.goto(demo.url(f"/console/webhooks/{endpoint}/deliveries"))
    check(page, "an endpoint's deliveries", failures)
    page.goto(demo.url("/console/admin/users"))
    page.locator("#users a").first.click()
    check(page, "a user's page", failures)
    page.goto(demo.url("/console/admin/users"))
    page.get_by_role("button", name="Create user").click()  # the browser's own checks first
    page.get_by_label("Username").fill("axe-check")
    page.get_by_label("Name as others see it").fill("Axe Check")
    page.get_by_label("Role").select_option("installer")
    page.get_by_role("button", name="Create user").click()
    check(page, "the users page with an error", failures)
    page.goto(demo.url("/console/admin/policies/new"))
    page.get_by_role("button", name="Review the draft").click()
    check(page, "the draft policy's review", failures)

    page.context.clear_cookies()
    log_in(page, demo, "sales_rep")
    page.goto(demo.url(f"/console/jobs/{demo.find('sales_rep')['id']}"))
    check(page, "sales rep job (file a request)", failures)

    page.context.clear_cookies()
    log_in(page, demo, "installer")
    page.goto(demo.url("/console/installer"))
    check(page, "/console/installer", failures)
    link = page.locator("table a[href^='/console/jobs/']").first
    link.click()
    check(page, "installer job", failures)
    page.goto(demo.url("/console/insights"))
    check(page, "installer insights", failures)

    assert not failures, "\n".join(f"{where}: {what}" for where, what in failures.items())
