"""A new user's whole path through the web app against the demo orgs, in headless Chromium:
connect production and sandbox, deny once, select, conceal, review, import, watch progress,
preview, refresh, hit a removed field and recover, delete the connection."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Page, expect

from sfimport.emulator import DEMO_USERS
from tests.browser.conftest import SCREENSHOTS, DemoSite

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]

ADMIN = next(u for u in DEMO_USERS if u.key == "admin")
NO_REPORTS = next(u for u in DEMO_USERS if u.key == "noreports")


class Shots:
    """Numbered screenshots of each step, under test-output/screenshots/."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("[0-9][0-9]-*.png"):  # its own; other tests keep theirs
            old.unlink()

    def __call__(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=SCREENSHOTS / f"{self.count:02d}-{name}.png", full_page=True)


def _log_in(page: Page, username: str, password: str) -> None:
    expect(page.locator("#login_form")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#Login")
    expect(page.get_by_role("heading", name="Allow Access?")).to_be_visible()


def _new_connection(page: Page, site: DemoSite, name: str, *, sandbox: bool = False) -> None:
    page.goto(site.url + "/connections")
    page.get_by_role("link", name="New connection").click()
    page.fill("#name", name)
    if sandbox:
        page.get_by_label("Use sandbox").check()
    page.get_by_role("button", name="Next").click()


def test_a_new_user_imports_salesforce_data_end_to_end(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site
    shot = Shots(page)

    # Data tab -> Import data -> Third party sources -> Salesforce -> New connection.
    page.goto(site.url + "/")
    expect(page.get_by_role("heading", name="Data")).to_be_visible()
    shot("data-tab")
    page.get_by_role("link", name="Import data").click()
    expect(page.get_by_role("heading", name="Third party sources")).to_be_visible()
    shot("third-party-sources")
    page.get_by_role("link", name=re.compile("^Salesforce")).click()
    page.get_by_role("link", name="New connection").click()
    page.fill("#name", "Production")
    shot("connect-page")
    page.get_by_role("button", name="Next").click()

    # Salesforce's login and Allow pages (the demo org's), then back with the permission check.
    assert page.url.startswith(site.stack.production_url)
    shot("salesforce-login")
    _log_in(page, ADMIN.username, ADMIN.password)
    shot("allow-access")
    page.click("#oaapprove")
    # Every permission in place: straight on to Select data, as the guide goes.
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("every permission is in place")
    shot("connected-production")
    page.goto(site.url + "/connections/Production")
    expect(page.locator("#permissions")).to_contain_text("every permission")

    # A sandbox connection for a user who lacks Run Reports: the check names it and what it blocks.
    _new_connection(page, site, "Sandbox", sandbox=True)
    assert page.url.startswith(site.stack.sandbox_url)
    _log_in(page, NO_REPORTS.username, NO_REPORTS.password)
    page.click("#oaapprove")
    expect(page.locator("#permissions")).to_contain_text("Run Reports")
    expect(page.locator("#permissions tr.missing")).to_have_count(1)
    expect(page.locator(".facts")).to_contain_text("Yes")  # sandbox flag
    shot("connected-sandbox-missing-permission")

    # Deny once: back in the product with a clear message, and no connection made.
    _new_connection(page, site, "Denied")
    _log_in(page, ADMIN.username, ADMIN.password)
    page.click("#oadeny")
    expect(page.get_by_role("alert")).to_contain_text("You chose Deny")
    shot("denied")
    page.goto(site.url + "/connections")
    expect(page.get_by_role("link", name="Denied")).to_have_count(0)

    # Select data: typing "lead" finds Lead; pick Contact too, a report, a folder, a start date.
    page.goto(site.url + "/connections/Production")
    page.get_by_role("link", name="Select data").click()
    page.fill("#q", "lead")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#object-Lead")).to_be_visible()
    # A search that leaves few objects describes them: Lead's field count shows.
    lead_count = page.locator("li", has=page.locator("#object-Lead")).locator(".field-count")
    expect(lead_count).to_have_text(re.compile(r"^\d+$"))
    shot("select-data-search-lead")
    page.check("#object-Lead")
    page.fill("#q", "contact")
    page.get_by_role("button", name="Search").click()
    page.check("#object-Contact")
    page.fill("#q", "")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*/select\?q=$"))
    page.get_by_role("tab", name=re.compile("Reports")).click()
    report = page.locator("input[name=report]").first
    expect(report).to_be_visible()
    report_name = report.get_attribute("value")
    assert report_name
    report.check()
    page.fill("#folder", "Salesforce")
    page.fill("#start_date", "2020-01-01")
    expect(page.locator("#selected-list")).to_contain_text("Lead")
    expect(page.locator("#selected-list")).to_contain_text(report_name)
    shot("select-data")
    page.get_by_role("button", name="Next").click()

    # Obfuscate data: conceal Contact, with the columns and a sample of how values look.
    expect(page.get_by_role("heading", name="Obfuscate data")).to_be_visible()
    page.get_by_label("Conceal Contact").check()
    shot("obfuscate-data")
    page.get_by_role("button", name="Next").click()

    # Review: rows, fields, concealed columns, API calls against the allowance; then import.
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    review = page.locator("#review")
    expect(review).to_contain_text("Lead")
    expect(review).to_contain_text("Contact")
    expect(review).to_contain_text(report_name)
    expect(page.locator("#budget")).to_contain_text("the org has left today")
    shot("review")
    page.get_by_role("button", name="Import data").click()

    # The run page shows progress, survives a reload, and ends on My Data.
    expect(page.locator("#progress")).to_be_visible()
    shot("import-progress")
    page.reload()
    expect(page.locator("#progress tr[data-dataset]")).to_have_count(3)
    page.wait_for_url(re.compile(r".*/mydata$"), timeout=60_000)
    expect(page.get_by_role("heading", name="My Data")).to_be_visible()
    expect(page.locator(".folder")).to_contain_text("Lead")
    expect(page.locator(".concealed")).to_have_count(1)  # Contact's concealed columns marked
    shot("my-data")

    # Preview Lead, then refresh it.
    page.get_by_role("link", name="Lead", exact=True).click()
    expect(page.locator("#preview tbody tr").first).to_be_visible()
    expect(page.locator("#preview thead")).to_contain_text("Rating")
    expect(page.locator("#history tbody tr")).to_have_count(1)  # the import
    page.fill("#every", "1d")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedules")).to_contain_text("this data set")
    shot("preview-lead")
    page.get_by_role("button", name="Remove schedule").click()
    expect(page.get_by_role("status")).to_contain_text("no longer refreshed on a schedule")
    page.get_by_role("button", name="Refresh").click()
    page.wait_for_url(re.compile(r".*/mydata$"), timeout=60_000)
    shot("after-refresh")

    # Lead.Rating is removed from the org: the refresh fails with the remedy and its buttons,
    # and "Continue without the field" recovers.
    removed = httpx2.post(
        site.stack.production_url + "/__emulator__/fields",
        json={"action": "remove", "object": "Lead", "field": "Rating"},
    )
    assert removed.status_code == 200, removed.text
    page.goto(site.url + "/mydata/Salesforce.Lead")
    page.get_by_role("button", name="Refresh").click()
    error = page.locator("#run-error")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("Rating")
    for action in ("Re-import fresh", "Retry", "Continue without the field"):
        expect(page.get_by_role("button", name=action)).to_be_visible()
    shot("removed-field")
    page.get_by_role("button", name="Continue without the field").click()
    page.wait_for_url(re.compile(r".*/mydata$"), timeout=60_000)
    page.goto(site.url + "/mydata/Salesforce.Lead")
    expect(page.locator("#preview thead")).not_to_contain_text("Rating")
    expect(page.locator("dl.facts")).to_contain_text("complete")
    expect(page.locator("#history")).to_contain_text("failed")  # the refresh that hit it
    shot("recovered")

    # Delete the connection: it asks first, then revokes.
    page.goto(site.url + "/connections/Production")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name=re.compile("Delete connection"))).to_be_visible()
    shot("delete-confirm")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_role("link", name="Production")).to_have_count(0)
    shot("deleted")
