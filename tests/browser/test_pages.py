"""Every page of the web app in headless Chromium at 1280 px and 390 px: a screenshot of each
under test-output/screenshots/, no sideways scroll from 360 px up, and axe-core (vendored from
the npm registry, run offline) reporting no serious or critical accessibility violation.

Also the guide's three errors and the revoke path, each with the one button that fixes it,
and a keyboard-only pass through Connect and Select data with a visible focus ring.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Page, expect

from sfimport.emulator import DEMO_USERS
from tests.browser.conftest import SCREENSHOTS, DemoSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
#: Desktop and phone widths of every screenshot; pages must also fit the narrowest phones.
WIDTHS = (1280, 390)
NARROWEST = 360
ADMIN = next(u for u in DEMO_USERS if u.key == "admin")
NO_API = next(u for u in DEMO_USERS if u.key == "noapi")

_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


class PageCheck:
    """Screenshots at both widths, the sideways-scroll check and axe, for the page shown."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page = page
        self.prefix = prefix
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        page = self.page
        for width in (*WIDTHS, NARROWEST):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            if width == NARROWEST:
                continue
            page.screenshot(path=SCREENSHOTS / f"{self.prefix}-{name}-{width}.png", full_page=True)
            serious = [v for v in self.axe() if v["impact"] in ("serious", "critical")]
            assert not serious, f"axe on {name} at {width}px: {serious}"
        page.set_viewport_size({"width": 1280, "height": 900})

    def axe(self) -> list[dict[str, Any]]:
        # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays
        # as it is: the product itself never loads axe.
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE)
        violations: list[dict[str, Any]] = self.page.evaluate(_AXE_RUN)
        return violations


def _control(site: DemoSite, path: str, body: dict[str, Any]) -> None:
    answer = httpx2.post(f"{site.stack.production_url}/__emulator__/{path}", json=body)
    assert answer.status_code == 200, answer.text


def _sign_in_and_allow(page: Page, username: str, password: str) -> None:
    expect(page.locator("#login_form")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#Login")
    expect(page.get_by_role("heading", name="Allow Access?")).to_be_visible()
    page.click("#oaapprove")


def _connect(page: Page, site: DemoSite, name: str, user: Any = ADMIN) -> None:
    page.goto(site.url + "/connections/new")
    page.fill("#name", name)
    page.get_by_role("button", name="Next").click()
    _sign_in_and_allow(page, user.username, user.password)


def _primary(page: Page) -> Any:
    return page.locator("main .primary")


def test_every_page_fits_a_phone_and_passes_axe(demo_site: DemoSite, browser_page: Any) -> None:
    page: Page = browser_page
    site = demo_site
    check = PageCheck(page, "page")

    # Empty states say what to do.
    page.goto(site.url + "/data")
    expect(page.locator(".empty")).to_contain_text("Nothing imported yet")
    check("data-empty")
    page.goto(site.url + "/mydata")
    expect(page.locator(".empty")).to_contain_text("My Data is empty")
    check("mydata-empty")
    page.goto(site.url + "/runs")
    check("runs-empty")
    page.goto(site.url + "/connections")
    expect(page.get_by_role("link", name="Connections")).to_have_attribute("aria-current", "page")
    check("connections-empty")
    page.goto(site.url + "/import")
    check("import-sources")

    # Connect: the first step of the wizard shell.
    page.get_by_role("link", name=re.compile("^Salesforce")).click()
    page.get_by_role("link", name="New connection").click()
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Connect")
    check("connect")
    page.fill("#name", "Production")
    page.get_by_role("button", name="Next").click()
    _sign_in_and_allow(page, ADMIN.username, ADMIN.password)

    # After Allow: straight to Select data.
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Select data")
    check("select-data")
    page.get_by_role("button", name="Next").click()  # nothing selected: says what to do
    expect(page.get_by_role("alert")).to_contain_text("Nothing is selected yet.")
    check("select-data-error")
    page.fill("#q", "lead")  # search as you type: the list narrows without a reload
    expect(page.locator("#catalog-objects li.item:not([hidden])").first).to_contain_text("Lead")
    page.check("#object-Lead")
    page.fill("#q", "")
    page.get_by_role("tab", name=re.compile("Reports")).click()
    page.get_by_role("button", name="Select all").locator("visible=true").click()
    expect(page.locator("#selected-count")).to_have_text(re.compile(r"^[2-9]\d*$"))
    page.get_by_role("button", name="Clear").locator("visible=true").click()
    expect(page.locator("#selected-count")).to_have_text("1")
    page.fill("#folder", "Sales")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Obfuscate data")).to_be_visible()
    page.get_by_label("Conceal Lead").check()
    page.get_by_text("Columns concealed and how they look").click()
    sample = page.locator("table.sample")
    expect(sample).to_contain_text("a person's name")
    first = sample.locator("tr", has_text="FirstName").locator("td").nth(2)
    last = sample.locator("tr", has_text="LastName").locator("td").nth(2)
    expect(first).to_have_text("Jane")
    expect(last).to_have_text("Doe")  # a real sample per column, not "Jane Doe" everywhere
    check("obfuscate")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    check("review")
    page.get_by_role("button", name="Import data").click()
    page.wait_for_url(re.compile(r".*/mydata$"), timeout=60_000)
    expect(page.locator(".ds-card .spark")).to_have_count(1)
    check("mydata")

    page.get_by_role("link", name="Lead", exact=True).click()
    expect(page.locator("#csv-hint")).to_contain_text("apostrophe")
    expect(page.locator("#sql-hint")).to_contain_text('"Sales"."Lead"')
    check("dataset")
    page.goto(site.url + "/sql")
    expect(page.locator("#sql-example")).to_contain_text('"Sales"."Lead"')
    page.fill("#sql", 'select count(*) from "Sales"."Lead"')
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#result")).to_be_visible()
    check("sql")
    page.goto(site.url + "/runs")
    check("runs")
    page.locator("main table a").first.click()
    expect(page.locator("#outcome")).to_contain_text("complete")
    expect(_primary(page)).to_have_text(["Open My Data"])
    check("run-complete")
    page.goto(site.url + "/data")
    check("data")
    page.goto(site.url + "/connections")
    check("connections")
    page.goto(site.url + "/connections/Production")
    expect(page.locator("#health-status")).to_have_text("healthy")
    check("connection")
    page.get_by_role("link", name="Delete").click()
    check("connection-delete")
    page.goto(site.url + "/mydata/Nope.Nothing")
    check("not-found")

    # A removed field: the failed run has one outcome and three fixes, the first primary.
    _control(site, "fields", {"action": "remove", "object": "Lead", "field": "Rating"})
    page.goto(site.url + "/mydata/Sales.Lead")
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#run-error")).to_be_visible(timeout=60_000)
    expect(page.locator("#outcome")).to_contain_text("Refresh failed")
    expect(_primary(page)).to_have_text(["Re-import fresh"])  # not Open My Data as well
    for action in ("Retry", "Continue without the field"):
        expect(page.get_by_role("button", name=action)).to_be_visible()
    check("run-field-removed")


def test_keyboard_alone_connects_and_selects_with_a_visible_focus(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site
    page.goto(site.url + "/connections/new")

    def tab_to(selector: str, limit: int = 25) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
                outline = page.evaluate(
                    "() => getComputedStyle(document.activeElement).outlineStyle"
                )
                assert outline != "none", f"no visible focus on {selector}"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#name")
    page.keyboard.type("Keyboard org")
    page.keyboard.press("Enter")
    _sign_in_and_allow(page, ADMIN.username, ADMIN.password)
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()

    tab_to("#q")
    page.keyboard.type("contact")  # filters as it is typed
    tab_to("#object-Contact")
    page.keyboard.press("Space")
    expect(page.locator("#selected-list")).to_contain_text("Contact")
    tab_to("#folder")
    page.keyboard.type("Keys")
    tab_to("button[name=next]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Obfuscate data")).to_be_visible()


def test_a_user_without_api_access_gets_try_again_not_a_success_banner(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site
    check = PageCheck(page, "error")
    _connect(page, site, "No API", NO_API)

    expect(page.get_by_role("heading", name="No API", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).not_to_contain_text("Connected to Salesforce")
    expect(page.get_by_role("status")).to_contain_text("cannot import yet")
    expect(page.locator("#health-status")).to_have_text("no API access")
    expect(_primary(page)).to_have_text(["Try again"])
    expect(page.get_by_role("link", name="Select data")).to_have_count(0)
    check("api-disabled")

    # The fix named on the page, then Try again: the connection works and Select data opens.
    _control(
        site,
        "permissions",
        {"username": NO_API.username, "permission": "PermissionsApiEnabled", "enabled": True},
    )
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#health-status")).to_have_text("healthy")
    expect(_primary(page)).to_have_text(["Select data"])
    _primary(page).click()
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()


def test_a_revoked_token_offers_re_authorise_and_it_works(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site
    check = PageCheck(page, "error")
    _connect(page, site, "Production")
    _control(site, "revoke", {"username": ADMIN.username})

    page.goto(site.url + "/connections/Production")  # checked with Salesforce on open
    expect(page.locator("#health-status")).to_have_text("needs re-authorisation")
    expect(_primary(page)).to_have_text(["Re-authorise"])
    check("revoked")
    _primary(page).click()
    _sign_in_and_allow(page, ADMIN.username, ADMIN.password)
    expect(page.get_by_role("status")).to_contain_text("Re-authorised")
    expect(page.locator("#health-status")).to_have_text("healthy")


def test_a_blocked_app_marks_every_connection_and_offers_a_new_connection(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page: Page = browser_page
    site = demo_site
    check = PageCheck(page, "error")
    _connect(page, site, "Production")
    _connect(page, site, "Second")
    _control(site, "app", {"blocked": True})

    # Both connections of the blocked app show their real state, none "active".
    page.goto(site.url + "/connections")
    for name in ("Production", "Second"):
        row = page.locator(f"tr[data-connection={name}]")
        expect(row.locator(".status")).to_have_text("needs re-authorisation")
        expect(row.get_by_role("button", name="Re-authorise")).to_be_visible()
    check("blocked-connections")

    # Re-authorising meets the block: the page says so and its one button is the guide's fix.
    page.locator("tr[data-connection=Production]").get_by_role("button").click()
    expect(
        page.get_by_role("heading", name="The sfimport app is blocked in Salesforce")
    ).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("this app is blocked by admin")
    expect(_primary(page)).to_have_text(["Create a new connection"])
    check("blocked")

    _control(site, "app", {"blocked": False})  # unblocked, as the hint under the button says
    _primary(page).click()
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Connect")
    page.fill("#name", "Production again")
    page.get_by_role("button", name="Next").click()
    _sign_in_and_allow(page, ADMIN.username, ADMIN.password)
    expect(page.get_by_role("heading", name="Select data")).to_be_visible()
