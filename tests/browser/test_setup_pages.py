"""The guide's Salesforce-side steps done by clicking on the demo org's Setup pages, in headless
Chromium, and the product's reaction to each: a revoked app, a blocked app, a permission taken
away, a custom field deleted, the daily API allowance used up."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from sfimport.emulator import DEMO_USERS
from tests.browser.conftest import SCREENSHOTS, DemoSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = next(u for u in DEMO_USERS if u.key == "admin")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"setup-{name}.png", full_page=True)


def _allow(page: Page) -> None:
    """Salesforce's login (when no session is open) and Allow Access? pages."""
    expect(page.locator("#login_form")).to_be_visible()
    page.fill("#username", ADMIN.username)
    page.fill("#password", ADMIN.password)
    page.click("#Login")
    expect(page.get_by_role("heading", name="Allow Access?")).to_be_visible()
    page.click("#oaapprove")


def _setup_link(page: Page, site: DemoSite, name: str) -> None:
    """From the demo org's front page, follow the link to one Setup page."""
    page.goto(site.stack.production_url + "/")
    expect(page.get_by_role("heading", name=site.stack.production.name)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name=name).click()


def _expect_setup_link(page: Page, site: DemoSite, path: str) -> None:
    """The product's page links the org's Setup page where the person acts."""
    link = page.locator(".setup-link a")
    expect(link).to_have_attribute("href", site.stack.production_url + path)


def _reauthorise(page: Page, site: DemoSite) -> None:
    page.goto(site.url + "/connections/Production")
    page.get_by_role("button", name="Re-authorise").click()
    _allow(page)
    expect(page.get_by_role("status")).to_contain_text("Re-authorised")


def test_each_setup_page_changes_what_the_product_sees(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site

    # Connect as the admin; the login also opens this browser's session on the org's pages.
    page.goto(site.url + "/connections/new")
    page.fill("#name", "Production")
    page.get_by_role("button", name="Next").click()
    _allow(page)
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()

    # 1. Settings > My Personal Information > Connections: the app is listed; Revoke it.
    _setup_link(page, site, "Settings > My Personal Information > Connections")
    apps = page.locator("#oauth-apps")
    expect(apps).to_contain_text("sfimport demo")
    use_count = apps.locator("tbody td").nth(3)
    expect(use_count).to_have_text(re.compile(r"^[1-9]\d*$"))  # the permission check's calls
    _shot(page, "personal-connections")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked sfimport demo")
    expect(apps).to_contain_text("No apps have access")
    page.goto(site.url + "/connections/Production")  # checked with Salesforce on open
    expect(page.get_by_role("alert")).to_contain_text("no longer works")
    expect(page.get_by_role("alert")).to_contain_text("re-authorise")
    _expect_setup_link(page, site, "/lightning/setup/ConnectedAppsUsage/home")
    _shot(page, "product-after-revoke")
    page.get_by_role("button", name="Re-authorise").click()
    _allow(page)
    expect(page.get_by_role("status")).to_contain_text("Re-authorised")

    # 2. Setup > Connected Apps OAuth Usage: Block the app; re-authorising is turned away.
    _setup_link(page, site, "Setup > Connected Apps OAuth Usage")
    expect(page.locator("#app-users")).to_contain_text(ADMIN.username)
    page.get_by_role("button", name="Block").click()
    expect(page.locator("#apps")).to_contain_text("Blocked")
    _shot(page, "oauth-usage-blocked")
    page.goto(site.url + "/connections/Production")  # checked with Salesforce on open
    expect(page.get_by_role("alert")).to_contain_text("no longer works")
    page.get_by_role("button", name="Re-authorise").click()
    expect(page.get_by_role("alert")).to_contain_text("this app is blocked by admin")
    expect(page.get_by_role("alert")).to_contain_text("Connected Apps OAuth Usage")
    _shot(page, "product-app-blocked")
    _setup_link(page, site, "Setup > Connected Apps OAuth Usage")
    page.get_by_role("button", name="Unblock").click()
    expect(page.locator("#apps")).to_contain_text("Allowed")
    expect(page.locator("#app-users")).to_contain_text("No user has authorised")
    _reauthorise(page, site)

    # 3. Setup > Users > the admin: remove Run Reports; the permission check names it.
    _setup_link(page, site, "Setup > Users")
    page.get_by_role("link", name="Admin, Ada").click()
    page.get_by_role("button", name="Remove Run Reports").click()
    expect(page.locator("tr[data-permission=PermissionsRunReports]")).to_contain_text("No")
    _shot(page, "user-permissions")
    page.goto(site.url + "/connections/Production")  # checked with Salesforce on open
    missing = page.locator("#permissions tr.missing")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Run Reports")
    expect(missing).to_contain_text("Reports: they cannot be listed, run or imported.")
    _expect_setup_link(page, site, "/lightning/setup/ManageUsers/home")
    _shot(page, "product-permission-missing")
    _setup_link(page, site, "Setup > Users")
    page.get_by_role("link", name="Admin, Ada").click()
    page.get_by_role("button", name="Enable Run Reports").click()
    expect(page.locator("tr[data-permission=PermissionsRunReports]")).to_contain_text("Yes")

    # 4. Setup > Object Manager: delete a custom field of an imported object; the refresh
    #    stops with the three remedies.
    page.goto(site.url + "/import/Production/select")
    page.fill("#q", "project")
    page.get_by_role("button", name="Search").click()
    page.check("#object-Project__c")
    page.fill("#folder", "Demo")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Obfuscate data")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Import data").click()
    page.wait_for_url(re.compile(r".*/mydata$"), timeout=60_000)
    _setup_link(page, site, "Setup > Object Manager")
    page.get_by_role("link", name="Project", exact=True).click()
    page.get_by_role("button", name="Delete Status__c").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted Project__c.Status__c")
    expect(page.locator("#deleted-fields")).to_contain_text("Status__c")
    _shot(page, "field-deleted")
    page.goto(site.url + "/mydata/Demo.Project__c")
    page.get_by_role("button", name="Refresh").click()
    error = page.locator("#run-error")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("Status__c")
    for action in ("Re-import fresh", "Retry", "Continue without the field"):
        expect(page.get_by_role("button", name=action)).to_be_visible()
    _expect_setup_link(page, site, "/lightning/setup/ObjectManager/home")
    _shot(page, "product-field-removed")

    # 5. Setup > Company Information: use up the daily API allowance; the product says so.
    _setup_link(page, site, "Setup > Company Information")
    page.get_by_role("button", name="Use up the daily allowance").click()
    expect(page.locator("#api-remaining")).to_have_text("0")
    page.goto(site.url + "/connections/Production")  # checked with Salesforce on open
    expect(page.get_by_role("alert")).to_contain_text("daily API limit")
    _expect_setup_link(page, site, "/lightning/setup/CompanyProfileInfo/home")
    _shot(page, "product-daily-limit")
