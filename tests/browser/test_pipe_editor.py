"""A pipe built in the web editor in Chromium: start from a data set, watch the live preview,
add steps with the step builder, save, and find the output and its lineage; every pipes page
passes axe with no serious or critical violation."""

from __future__ import annotations

import gc
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from sfimport.app.workspace import Workspace
from sfimport.settings import Settings
from sfimport.web import create_app
from tests.browser.test_pages import PageCheck
from tests.pipes.conftest import ACCOUNTS, OPPORTUNITIES, put

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Workspace]]:
    """The web app on a data folder holding Sales.Account and Sales.Opportunity."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(home=tmp_path / "home", redirect_uri=f"{url}/oauth/callback")
    with Workspace(settings, sleep=lambda s: None) as workspace:
        put(workspace, "Account", ACCOUNTS, concealed=["Email"])
        put(workspace, "Opportunity", OPPORTUNITIES)
        app = create_app(settings, workspace=workspace, scheduler_interval=None)
        server = uvicorn.Server(uvicorn.Config(app, http="h11", log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "web app did not start"
            time.sleep(0.01)
        try:
            yield url, workspace
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            gc.collect()


def test_a_pipe_built_in_the_web_editor(site: tuple[str, Workspace], browser_page: Any) -> None:
    url, workspace = site
    page: Page = browser_page
    check = PageCheck(page, "pipes")

    page.goto(url + "/pipes")
    expect(page.get_by_role("link", name="Pipes", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    check("pipes-empty")
    page.get_by_role("link", name="New pipe").click()
    expect(page.get_by_role("heading", name="New pipe", exact=True)).to_be_visible()

    # Typing the definition updates the preview without a reload.
    page.fill(
        "#definition",
        'name = "Open pipeline"\nfolder = "Pipes"\nsource = "Sales.Opportunity"\n',
    )
    expect(page.locator("#preview-status")).to_have_text("4 rows shown; reads Sales.Opportunity.")
    expect(page.locator("#preview-rows thead")).to_contain_text("StageName")

    # The step builder adds steps; the page answers with the new definition and its preview.
    page.select_option("#step-kind", "filter")
    page.fill("#step-target", "NOT IsClosed")
    page.get_by_role("button", name="Add step").click()
    expect(page.locator("#definition")).to_have_value(re.compile(r'filter = "NOT IsClosed"'))
    expect(page.locator("#preview-status")).to_contain_text("3 rows shown")
    page.select_option("#step-kind", "group")
    page.fill("#step-target", "StageName")
    page.fill("#step-extra", "sum(Amount) as Amount, count(*) as Deals")
    page.get_by_role("button", name="Add step").click()
    expect(page.locator("#preview-sql")).to_contain_text("GROUP BY")
    expect(page.locator("#preview-rows tbody tr")).to_have_count(2)
    check("pipe-editor")

    # A mistake typed live is shown with what to do, before anything is saved.
    good = page.locator("#definition").input_value()
    page.fill("#definition", good.replace('group = ["StageName"]', 'group = ["Stage"]'))
    expect(page.locator("#pipe-error [role=alert]")).to_contain_text('no column "Stage"')
    check("pipe-editor-error")
    page.fill("#definition", good)
    expect(page.locator("#pipe-error [role=alert]")).to_have_count(0)

    page.get_by_role("button", name="Save pipe").click()
    expect(page.get_by_role("heading", name="Pipes.Open pipeline")).to_be_visible()
    expect(page.locator("#steps")).to_contain_text("step 2 (group)")
    check("pipe")

    # The output is a data set like any other, and the lineage shows source -> pipe.
    assert workspace.get_dataset("Pipes.Open pipeline").row_count == 2
    page.get_by_role("link", name="Output data set").click()
    expect(page.locator(".facts")).to_contain_text("Pipe Pipes.Open pipeline")
    check("pipe-output")
    page.goto(url + "/pipes")
    expect(page.locator("#lineage")).to_contain_text("Sales.Opportunity")
    expect(page.locator("#lineage ul")).to_contain_text("Pipes.Open pipeline")
    check("pipes")
    page.locator("#lineage").get_by_role("link", name="Sales.Opportunity").click()
    expect(page.locator("#downstream")).to_contain_text("Pipes.Open pipeline")
    check("lineage")
