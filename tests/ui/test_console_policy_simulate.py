"""The admins' policy what-if page in chromium, on the demo server."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def test_an_admin_pastes_a_draft_and_sees_the_flips_and_the_changed_rule_side_by_side(
    page: Page, demo: Demo, shot: Shot
) -> None:
    log_in(page, demo, "admin")
    page.get_by_role("link", name="Policy what-if").click()
    draft = page.get_by_label("Draft policy (YAML)")
    text = draft.input_value()
    rule_3 = text.index("number: 3")
    head, tail = text[:rule_3], text[rule_3:]
    tail = tail.replace(
        "eligible: true\n    action: cancel", "eligible: false\n    action: stop", 1
    )
    draft.fill(head + tail)
    page.get_by_role("button", name="Simulate").click()

    expect(page.locator("#summary")).to_contain_text("live jobs would be decided differently")
    first = page.locator("#flips tbody tr").first
    expect(first).to_contain_text("3 (eligible)")
    expect(first).to_contain_text("3 (not eligible)")
    expect(page.locator("tr.changed")).to_have_count(1)
    page.get_by_role("heading", name="What changes").evaluate("e => e.scrollIntoView()")
    shot(page, "policy-what-if")
    first.get_by_role("link").first.click()
    expect(page).to_have_url(demo.url("/console/jobs/") + page.url.rsplit("/", 1)[-1])


def test_a_draft_that_could_not_be_published_is_explained_next_to_the_field(
    page: Page, demo: Demo
) -> None:
    log_in(page, demo, "admin")
    page.goto(demo.url("/console/policies/simulate"))
    page.get_by_label("Draft policy (YAML)").fill("rules: [unclosed")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#draft-error")).to_contain_text("not valid YAML")
