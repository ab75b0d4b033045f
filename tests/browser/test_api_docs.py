"""/docs in a real browser: the API reference renders from the app's own files, under its CSP."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import DemoSite


def test_the_api_reference_renders_offline_under_the_csp(
    demo_site: DemoSite, browser_page: Any
) -> None:
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(demo_site.url) else None,
    )
    page.goto(f"{demo_site.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock-summary-path", has_text="/api/query").count() >= 1
    assert [p for p in problems if "Content Security Policy" in p] == []
    assert [u for u in outside if not u.startswith("data:")] == []
