"""The insights page in Debian's chromium against ``rescind serve``: charts with their numbers
beside them, a period to choose, a CSV per chart, and each reader's own figures."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page, expect

from tests.ui.conftest import Demo, Shot, log_in


def test_an_agent_opens_insights_from_the_header_and_reads_each_chart_with_its_numbers(
    page: Page, demo: Demo, shot: Shot
) -> None:
    log_in(page, demo, "agent")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()

    page.get_by_role("link", name="this quarter").click()
    expect(page.locator("#period")).to_contain_text("This quarter:")
    for heading in (
        "By week",
        "Time from request to decision",
        "Funnel",
        "Where requests stop",
        "By reason (refusals by rule)",
        "By milestone",
        "By installer company",
        "By channel",
        "Pending windows ending in the next 10 business days",
    ):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    # Every chart is an SVG picture the browser has drawn, without any script of ours.
    page.wait_for_load_state("load")  # every image decoded: "load" waits for them all
    images = page.locator("figure img")
    assert images.count() == 8
    for i in range(images.count()):
        image = images.nth(i)
        assert (image.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#strip li")).to_have_count(10)
    # The demo's cancellations of a month ago were finalized at start: they are counted.
    finalized = page.locator("#totals div", has_text="Finalized").locator("dd")
    assert int(finalized.inner_text()) > 0
    shot(page, "insights")

    # The CSV of the funnel holds the numbers its table shows.
    link = page.get_by_role("link", name="Download funnel (CSV)")
    answer = page.request.get(demo.url(link.get_attribute("href") or ""))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text())))
    shown = page.locator("#table-funnel tbody tr").all_inner_texts()
    assert rows[0] == ["step", "count"]
    assert [r[1] for r in rows[1:]] == [line.split("\t")[-1].strip() for line in shown]


def test_an_installer_sees_its_own_companys_insights_and_a_sales_rep_has_no_link(
    page: Page, demo: Demo
) -> None:
    log_in(page, demo, "installer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.locator("#period")).to_contain_text("INST-CEDAR's jobs only")
    expect(page.get_by_role("heading", name="By installer company")).to_have_count(0)

    page.context.clear_cookies()
    log_in(page, demo, "sales_rep")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights")
    ).to_have_count(0)
    page.goto(demo.url("/console/insights"))
    expect(page.get_by_role("heading", name="Insights", level=1)).to_have_count(0)
