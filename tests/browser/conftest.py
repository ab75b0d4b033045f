"""Browser tests: headless Debian Chromium through Playwright against the web app and the demo
orgs, each served on a loopback port from the test process, exactly as `sfimport demo` wires them.
"""

from __future__ import annotations

import gc
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from sfimport.cli.demo_cmd import DemoStack, demo_stack
from sfimport.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class DemoSite:
    url: str
    stack: DemoStack


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[DemoSite]:
    """The web app on the demo orgs, on a free loopback port, for one test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with demo_stack(tmp_path / "home", url) as stack:
        app = create_app(stack.settings, scheduler_interval=None)
        server = uvicorn.Server(uvicorn.Config(app, http="h11", log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "web app did not start"
            time.sleep(0.01)
        try:
            yield DemoSite(url, stack)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            # The app's own shutdown closed its Workspace (lifespan on, as in `sfimport demo`).
            # Anything the app or the engine left open warns here, in this test, not in
            # whichever later test the collector happens to run (warnings are errors).
            gc.collect()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium (make test does).")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="sfimport-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1280, "height": 900},
            )
            context.set_default_timeout(20_000)
            page = context.pages[0] if context.pages else context.new_page()
            try:
                yield page
                if request.node.stash.get(_FAILED, False):
                    # What the browser showed when the test failed, next to the step shots.
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=SCREENSHOTS / "failure.png", full_page=True)
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
