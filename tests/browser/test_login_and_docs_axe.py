"""The two pages test_pages.py does not reach: the login page shown when `sfimport serve` binds
a non-loopback host, and the API reference at /docs. Each gets screenshots at 1280 px and 390 px
under test-output/screenshots/ and axe-core reporting no serious or critical violation.
"""

from __future__ import annotations

import base64
import gc
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from sfimport.settings import Settings
from sfimport.web import create_app
from sfimport.web.access import issue_access_token
from tests.browser.conftest import DemoSite
from tests.browser.test_pages import PageCheck

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def network_site(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app configured as `sfimport serve --host 0.0.0.0`, listening on a loopback port."""
    key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings = Settings(home=tmp_path / "home", secret_key=key, host="0.0.0.0")
    token = issue_access_token(settings)
    assert token is not None
    app = create_app(settings, scheduler_interval=None)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, http="h11", log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "web app did not start"
        time.sleep(0.01)
    try:
        yield url, token
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        gc.collect()


def test_the_login_page_passes_axe(network_site: tuple[str, str], browser_page: Any) -> None:
    url, token = network_site
    page: Page = browser_page
    check = PageCheck(page, "page")
    page.goto(url + "/mydata")
    expect(page.get_by_role("heading", name="Log in to sfimport")).to_be_visible()
    check("login")
    page.get_by_label("Access token").fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    check("login-error")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(url + "/mydata")


def test_the_api_reference_passes_axe(demo_site: DemoSite, browser_page: Any) -> None:
    page: Page = browser_page
    page.goto(f"{demo_site.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    check = PageCheck(page, "page")
    check("docs")
    # An operation opened: its parameters, body and responses tables are checked too.
    page.locator(".opblock-summary", has_text="/api/query").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    check("docs-operation")
