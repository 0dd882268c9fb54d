"""The homeowner's own page (/cancel) in chromium, with the link read from the email the
SMTP server received: no staff login anywhere."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import update

from rescind.adapters.db.engine import make_engine
from rescind.adapters.db.tables import SelfServiceLinkRow
from tests.ui.conftest import Demo, Shot

LINK = re.compile(r"https?://\S+/cancel/link\?t=[A-Za-z0-9_-]+")


def ask_for_link(page: Page, demo: Demo, target: str) -> None:
    page.goto(demo.url("/cancel"))
    page.get_by_label("Job number, email or phone").fill(target)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def link_from_email(demo: Demo, address: str, subject: str = "Your link to cancel") -> str:
    found = LINK.search(demo.email_to(address, subject))
    assert found, "no link in the email"
    return found.group(0)


def new_link(demo: Demo, address: str, old: str) -> str:
    """The newest link to ``address`` once it is another than ``old`` (the worker sends it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        link = link_from_email(demo, address)
        if link != old:
            return link
        time.sleep(0.2)
    raise AssertionError(f"no new link to {address}")


def open_link(page: Page, link: str, button: str = "Continue") -> None:
    page.goto(link)
    page.get_by_role("button", name=button).click()


def signed_in(page: Page, demo: Demo, job: dict[str, Any]) -> None:
    email = job["homeowner"]["email"]
    ask_for_link(page, demo, job["id"])
    open_link(page, link_from_email(demo, email))
    expect(page.get_by_role("heading", name=f"Your job {job['id']}")).to_be_visible()


def cancel_with_statement(page: Page, button: str = "Cancel my project") -> None:
    page.get_by_label("Your written statement").fill("I no longer want the solar panels.")
    page.get_by_label("I am the homeowner and I want to cancel this project.").check()
    page.get_by_role("button", name=button).click()


def requests_of(demo: Demo, job_id: str) -> list[dict[str, Any]]:
    with demo.api("agent") as client:
        found: list[dict[str, Any]] = client.get(f"/jobs/{job_id}/requests").json()
    return found


def test_a_homeowner_cancels_an_eligible_job_from_the_emailed_link_and_agents_see_it(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1", partner_program="none")
    ask_for_link(page, demo, job["homeowner"]["email"])
    open_link(page, link_from_email(demo, job["homeowner"]["email"]))
    expect(page.get_by_role("heading", name="Your project can be cancelled")).to_be_visible()
    cancel_with_statement(page)
    expect(page.get_by_text("You can still change your mind until the end of")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw my cancellation")).to_be_visible()
    shot(page, "self-service")
    (request,) = requests_of(demo, job["id"])
    assert request["channel"] == "self_service"
    assert request["verified"] is True
    assert request["outcome"] == "cancel_pending"


def test_a_beam_homeowner_is_told_why_the_job_cannot_be_cancelled(page: Page, demo: Demo) -> None:
    job = demo.find(partner_program="beam")
    signed_in(page, demo, job)
    expect(page.get_by_role("heading", name="We are unable to cancel this project")).to_be_visible()
    expect(page.get_by_text("Partner program is Beam or Concert (any milestone)")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel my project")).to_have_count(0)


def test_a_direct_pay_m1b_homeowner_with_the_invoice_uploaded_goes_to_deal_processing(
    page: Page, demo: Demo
) -> None:
    job = demo.find(
        milestone="M1B", partner_program="none", where=lambda j: bool(j["invoice_uploaded"])
    )
    signed_in(page, demo, job)
    expect(
        page.get_by_role("heading", name="Deal Processing decides on this project")
    ).to_be_visible()
    cancel_with_statement(page, button="Send my request")
    expect(
        page.get_by_role("heading", name="Your request is with our Deal Processing team")
    ).to_be_visible()
    with demo.api("back_office") as client:
        queue = client.get("/queues/back_office").text
    assert job["id"] in queue


def test_an_expired_link_says_so_and_a_new_one_works(page: Page, demo: Demo) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    email = job["homeowner"]["email"]
    ask_for_link(page, demo, job["id"])
    link = link_from_email(demo, email)
    # Thirty minutes pass: no click can wait that long in a test, so the row is aged.
    assert demo.data_dir is not None
    engine = make_engine(f"sqlite:///{demo.data_dir / 'rescind.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(
            update(SelfServiceLinkRow)
            .where(SelfServiceLinkRow.job_id == job["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    engine.dispose()
    open_link(page, link)
    expect(page.get_by_text("This link has expired: links work for 30 minutes.")).to_be_visible()
    page.get_by_label("Job number, email or phone").fill(job["id"])
    page.get_by_role("button", name="Email me a new link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    fresh = new_link(demo, email, link)
    open_link(page, fresh)
    expect(page.get_by_role("heading", name=f"Your job {job['id']}")).to_be_visible()


def test_a_link_used_once_says_so_when_opened_again(page: Page, demo: Demo) -> None:
    job = demo.find(
        milestone="M2", partner_program="none", where=lambda j: not j["system_photos_uploaded"]
    )
    email = job["homeowner"]["email"]
    ask_for_link(page, demo, job["id"])
    link = link_from_email(demo, email)
    open_link(page, link)
    expect(page.get_by_role("heading", name=f"Your job {job['id']}")).to_be_visible()
    page.context.clear_cookies()
    open_link(page, link)
    expect(page.get_by_text("This link has already been used.")).to_be_visible()
    expect(page.get_by_role("button", name="Email me a new link")).to_be_visible()


def test_the_homeowner_withdraws_inside_the_window(page: Page, demo: Demo) -> None:
    job = demo.find(milestone="M1", partner_program="none")
    signed_in(page, demo, job)
    cancel_with_statement(page)
    page.get_by_role("button", name="Withdraw my cancellation").click()
    expect(page.get_by_role("heading", name="Your project can be cancelled")).to_be_visible()
    with demo.api("agent") as client:
        assert client.get(f"/jobs/{job['id']}").json()["status"] == "active"


def test_a_homeowner_cancels_in_spanish_and_reads_both_emails_in_spanish(
    page: Page, demo: Demo, shot: Shot
) -> None:
    job = demo.find(milestone="M1A", partner_program="none")
    email = job["homeowner"]["email"]
    page.goto(demo.url("/cancel"))
    page.get_by_role("button", name="Español").click()
    page.get_by_label("Número de trabajo, correo electrónico o teléfono").fill(job["id"])
    page.get_by_role("button", name="Envíenme un enlace").click()
    expect(page.get_by_role("heading", name="Revise su correo electrónico")).to_be_visible()
    open_link(page, link_from_email(demo, email, "Su enlace para cancelar"), button="Continuar")
    expect(page.get_by_role("heading", name="Su proyecto puede cancelarse")).to_be_visible()
    page.get_by_label("Su declaración por escrito").fill("Ya no quiero los paneles solares.")
    page.get_by_label("Soy el propietario y deseo cancelar este proyecto.").check()
    page.get_by_role("button", name="Cancelar mi proyecto").click()
    expect(page.get_by_text("Todavía puede cambiar de opinión hasta el final del")).to_be_visible()
    shot(page, "self-service-es")
    notice = demo.email_to(email, f"Trabajo {job['id']} cancelado")
    assert "Hola," in notice
    # Back to English: the page follows, and the job keeps the choice.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("You can still change your mind until the end of")).to_be_visible()


def test_axe_finds_no_serious_violation_on_the_homeowners_pages(page: Page, demo: Demo) -> None:
    from tests.ui.test_console_readable import described, serious

    job = demo.find(milestone="M1", partner_program="none")
    failures: dict[str, str] = {}
    page.goto(demo.url("/cancel/"))
    failures["start"] = described(serious(page))
    signed_in(page, demo, job)
    failures["job"] = described(serious(page))
    page.goto(demo.url("/cancel/job/notice"))
    failures["notice"] = described(serious(page))
    assert {k: v for k, v in failures.items() if v} == {}
