"""The admins' area in chromium, on the demo server: users, policy versions, company holidays.

Each flow starts at the header's "Admin" link and goes through the same service functions the
API's admin routes call; what it changed is checked through the API or by logging in.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.sync_api import FilePayload, Page, expect

from rescind.adapters.csv_jobs import COLUMNS
from rescind.adapters.us_holidays import operations_calendar
from rescind.config import Settings
from tests.ui.conftest import API, Demo, Shot, log_in


def open_admin(page: Page, demo: Demo, tab: str) -> None:
    log_in(page, demo, "admin")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name=tab).click()


def make_pending(demo: Demo) -> dict[str, Any]:
    """A job cancelled through the API (email from the address on file, statement attached)."""
    job = demo.find(milestone="M1A", partner_program="none")
    with demo.api() as api:
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
            headers={"If-Match": api.get(f"/requests/{request['id']}").headers["ETag"]},
        )
        assert verified.status_code == 200, verified.text
        etag = api.get(f"/jobs/{job['id']}").headers["ETag"]
        cancelled = api.post(
            f"/requests/{request['id']}/cancel",
            json={"reason": "Changed plans"},
            headers={"If-Match": etag},
        )
        assert cancelled.status_code == 200, cancelled.text
        pending: dict[str, Any] = api.get(f"/jobs/{job['id']}").json()
    return pending


def next_free_weekday(after: date, taken: set[str]) -> date:
    """The first business day after ``after`` by the server's own calendar (federal holidays
    as observed, and the company holidays ``taken``): a holiday added there moves windows."""
    company = {date.fromisoformat(day): "taken" for day in taken}
    calendar = operations_calendar(Settings().company_timezone, company)
    day = after + timedelta(days=1)
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    return day


# --- users -----------------------------------------------------------------------------------


def test_an_admin_creates_an_installer_for_its_company_and_hands_over_a_one_time_password(
    page: Page, demo: Demo, shot: Shot
) -> None:
    company = demo.find("installer")["installer"]["id"]
    open_admin(page, demo, "Users")
    expect(page.locator("#users")).to_contain_text("installer")
    shot(page, "admin-users")

    page.get_by_label("Username").fill("cedar-ops")
    page.get_by_label("Name as others see it").fill("Cedar operations")
    page.get_by_label("Role").select_option("installer")
    page.get_by_label("Acts for (company, sales rep or homeowner id)").fill("INST-NOPE")
    page.get_by_role("button", name="Create user").click()
    # Refused next to the field, the rest of the form kept.
    expect(page.locator("#scope_id-error")).to_contain_text("no installer company with id")
    expect(page.get_by_label("Username")).to_have_value("cedar-ops")

    page.get_by_label("Acts for (company, sales rep or homeowner id)").fill(company)
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#one-time")).to_contain_text("shown only now")
    one_time = page.locator("#one-time code").inner_text()
    assert len(one_time) >= 10
    expect(page.locator("#user-status")).to_contain_text("must choose a new password")

    # The new installer logs in with it and is sent to choose their own first.
    other = page.context.browser
    assert other is not None
    context = other.new_context()
    try:
        fresh = context.new_page()
        fresh.goto(demo.url("/console/"))
        fresh.get_by_label("Username").fill("cedar-ops")
        fresh.get_by_label("Password").fill(one_time)
        fresh.get_by_role("button", name="Log in").click()
        expect(fresh.get_by_role("heading", name="Choose a new password")).to_be_visible()
        fresh.get_by_label("Current password").fill(one_time)
        fresh.get_by_label("New password", exact=True).fill("cedar's own passphrase")
        fresh.get_by_label("New password again").fill("cedar's own passphrase")
        fresh.get_by_role("button", name="Change password").click()
        expect(fresh.get_by_role("status")).to_contain_text("Your password is changed")
        fresh.get_by_label("Username").fill("cedar-ops")
        fresh.get_by_label("Password").fill("cedar's own passphrase")
        fresh.get_by_role("button", name="Log in").click()
        expect(fresh.get_by_role("link", name="Our jobs")).to_be_visible()
    finally:
        context.close()
    with demo.api("admin") as admin:
        [made] = [
            u for u in admin.get("/users?limit=200").json()["items"] if u["username"] == "cedar-ops"
        ]
    assert (made["role"], made["scope_id"]) == ("installer", company)


def test_an_admin_sets_a_password_ends_sessions_and_deactivates_a_user(
    page: Page, demo: Demo
) -> None:
    with demo.api("admin") as admin:
        made = admin.post(
            "/users",
            json={
                "username": "temp-agent",
                "password": "first long password",
                "role": "agent",
                "display_name": "Temporary Agent",
            },
        )
        assert made.status_code == 201, made.text
    token = httpx.post(
        demo.url(API + "/auth/token"),
        json={"username": "temp-agent", "password": "first long password"},
    ).json()["access_token"]
    as_temp = {"Authorization": f"Bearer {token}"}
    assert httpx.get(demo.url(API + "/auth/me"), headers=as_temp).status_code == 200

    open_admin(page, demo, "Users")
    page.get_by_role("link", name="temp-agent").click()
    page.get_by_role("button", name="End all sessions").click()
    expect(page.get_by_role("status")).to_have_text("Ended 1 session.")
    assert httpx.get(demo.url(API + "/auth/me"), headers=as_temp).status_code == 401

    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("#password-error")).to_contain_text("at least 10 characters")
    page.get_by_label("New password").fill("second long password")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("temp-agent has a new password")
    logged_in = httpx.post(
        demo.url(API + "/auth/token"),
        json={"username": "temp-agent", "password": "second long password"},
    )
    assert logged_in.status_code == 200, logged_in.text

    page.get_by_role("button", name="Deactivate temp-agent").click()
    expect(page.locator("#user-status")).to_have_text("deactivated")
    again = httpx.post(
        demo.url(API + "/auth/token"),
        json={"username": "temp-agent", "password": "second long password"},
    )
    assert again.status_code == 401

    # An admin cannot deactivate themself: said next to the button.
    page.get_by_role("link", name="← Users").click()
    page.get_by_role("link", name=demo.logins["admin"][0], exact=True).click()
    page.get_by_role("button", name=f"Deactivate {demo.logins['admin'][0]}").click()
    expect(page.locator("#deactivate-error")).to_contain_text("you cannot deactivate yourself")


# --- policy versions -------------------------------------------------------------------------


def test_an_admin_publishes_a_draft_for_a_later_date_and_compares_it_with_the_version_before(
    page: Page, demo: Demo, shot: Shot
) -> None:
    open_admin(page, demo, "Policy versions")
    expect(page.locator("#versions")).to_contain_text("in force")
    page.get_by_role("link", name="Publish a new version…").click()
    draft = page.get_by_label("Draft policy (YAML)")
    text = draft.input_value()
    rule_3 = text.index("- number: 3")
    head, tail = text[:rule_3], text[rule_3:]
    tail = tail.replace("eligible: true\n  action: cancel", "eligible: false\n  action: stop", 1)
    assert tail != text[rule_3:]
    draft.fill(head + tail)

    # In the past: refused next to the field when publishing, the draft kept.
    page.get_by_label("Takes effect at").fill("2020-01-01T00:00")
    page.get_by_role("button", name="Review the draft").click()
    expect(page.locator("#summary")).to_contain_text("live jobs would be decided differently")
    expect(page.locator("tr.changed")).to_have_count(1)
    page.get_by_role("button", name=re.compile(r"Publish v\d+")).click()
    expect(page.locator("#effective_at-error")).to_contain_text("cannot take effect in the past")
    kept = page.get_by_label("Draft policy (YAML)").input_value()
    assert "eligible: false\n  action: stop" in kept

    page.get_by_label("Takes effect at").fill("2030-01-01T00:00")
    page.get_by_role("button", name="Review the draft").click()
    expect(page.locator("#summary")).to_contain_text("2030-01-01 00:00")
    page.get_by_role("button", name=re.compile(r"Publish v\d+")).click()
    expect(page.get_by_role("status")).to_contain_text("Published policy v")
    expect(page.locator("h1")).to_contain_text("scheduled")
    heading = re.search(r"Policy v(\d+)", page.locator("h1").inner_text())
    assert heading
    version = int(heading.group(1))

    page.get_by_role("link", name="← Policy versions").click()
    page.get_by_label("Compare", exact=True).select_option(str(version - 1))
    page.get_by_label("with", exact=True).select_option(str(version))
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-summary")).to_contain_text("1 rule differ")
    changed = page.locator("#compare tr.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("stop")
    expect(page.get_by_role("link", name="Policy what-if")).to_have_count(2)  # tab and text
    shot(page, "admin-policy-compare")
    with demo.api("agent") as agent:
        published = agent.get(f"/policies/{version}").json()
    assert published["effective_at"].startswith("2030-01-01T05:00:00")


# --- company holidays ------------------------------------------------------------------------


def test_an_admin_previews_a_holiday_sees_which_windows_move_then_adds_and_removes_it(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = make_pending(demo)
    with demo.api("admin") as admin:
        taken = {h["day"] for h in admin.get("/holidays").json()["holidays"]}
    day = next_free_weekday(date.fromisoformat(job["final_date"]) - timedelta(days=10), taken)
    open_admin(page, demo, "Company holidays")

    page.get_by_label("Day", exact=True).fill(day.isoformat())
    page.get_by_label("Name", exact=True).fill("   ")
    page.get_by_role("button", name="Preview the windows it moves").click()
    expect(page.locator("#name-error")).to_contain_text("name the holiday")
    page.get_by_label("Name", exact=True).fill("Company retreat")
    page.get_by_role("button", name="Preview the windows it moves").click()

    expect(page.locator("#preview-summary")).to_contain_text("would move")
    row = page.locator("#moves tr", has_text=job["id"])
    expect(row).to_contain_text(job["final_date"])
    with demo.api() as agent:  # nothing moved yet
        assert agent.get(f"/jobs/{job['id']}").json()["final_date"] == job["final_date"]
    shot(page, "admin-holidays")
    later = row.locator("td").nth(3).inner_text()
    page.get_by_role("button", name=re.compile(r"Add the holiday")).click()

    expect(page.get_by_role("status")).to_contain_text("pending window")
    expect(page.locator("#holidays")).to_contain_text("Company retreat")
    with demo.api() as agent:
        final = agent.get(f"/jobs/{job['id']}").json()["final_date"]
    assert final != job["final_date"]
    assert final in later

    page.get_by_role("link", name=re.compile(f"Remove {day.isoformat()}")).click()
    expect(page.locator("#moves tr", has_text=job["id"])).to_contain_text(job["final_date"])
    page.get_by_role("button", name=re.compile("Remove the holiday")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Removed {day.isoformat()}")
    with demo.api() as agent:
        assert agent.get(f"/jobs/{job['id']}").json()["final_date"] == job["final_date"]


# --- importing jobs --------------------------------------------------------------------------


def test_an_admin_imports_an_engine_export_and_sees_the_refused_line(
    page: Page, demo: Demo
) -> None:
    good = (
        "JOB-800001,HO-800001,Ada Homeowner,ada.800001@homeowner.example,201-555-0100,"
        "INST-CEDAR,Cedar Solar,ops@cedar.example,REP-001,Sam Rep,sam@sales.example,regular,M1,"
        "not_submitted,false,false,none,false,false,2026-10-01,operations"
    )
    bad = good.replace("JOB-800001", "JOB-800002").replace("2026-10-01", "yesterday")
    open_admin(page, demo, "Import jobs")
    page.get_by_label("CSV file").set_input_files(
        files=FilePayload(
            name="export.csv",
            mimeType="text/csv",
            buffer="\n".join([",".join(COLUMNS), good, bad, ""]).encode(),
        )
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-report")).to_have_text("Imported 1 job; 1 row refused (below).")
    expect(page.locator("#import-errors tbody tr")).to_have_count(1)
    expect(page.locator("#import-errors tbody tr td").first).to_have_text("3")
    with demo.api() as agent:
        assert agent.get("/jobs/JOB-800001").status_code == 200


# --- who sees it -----------------------------------------------------------------------------


def test_the_admin_area_is_for_admins_while_anyone_staff_reads_the_policy_versions(
    page: Page, demo: Demo
) -> None:
    log_in(page, demo, "agent")
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    for path in (
        "/console/admin",
        "/console/admin/users",
        "/console/admin/holidays/preview?day=2026-12-24&name=x",
    ):
        answer = page.goto(demo.url(path))
        assert answer is not None
        assert answer.status == 403, path
    # From a job's decision to the table that made it.
    job = demo.find(partner_program="beam")
    page.goto(demo.url(f"/console/jobs/{job['id']}"))
    page.get_by_role("link", name="policy version 1").first.click()
    expect(page.locator("#rules tbody tr").first).to_contain_text("Beam")
    page.goto(demo.url("/console/admin/policies"))
    expect(page.get_by_role("link", name="Publish a new version…")).to_have_count(0)
    page.goto(demo.url("/console/admin/holidays"))
    expect(page.get_by_role("button", name="Preview the windows it moves")).to_have_count(0)
