"""A run's page shows its log escaped, newest line last, with a download link; a run that
logged nothing says so; an unknown run's log is a 404 problem in the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes.services import FakeServices, interrupted_run


def test_the_run_page_shows_its_log_escaped_with_a_download_link(
    client: TestClient, workspace: FakeServices
) -> None:
    run_id = interrupted_run(workspace, "Sales.Lead", connection="prod")
    workspace.logs[run_id] = "first line\n<script>alert(1)</script>\nlast line\n"
    page = client.get(f"/runs/{run_id}").text
    section = page[page.index('id="run-log"') :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script>alert(1)" not in page
    assert section.index("first line") < section.index("last line")
    assert f'href="/runs/{run_id}/log.txt"' in section
    assert client.get(f"/runs/{run_id}/log.txt").text == workspace.logs[run_id]


def test_a_run_without_log_lines_says_so(client: TestClient, workspace: FakeServices) -> None:
    run_id = interrupted_run(workspace, "Sales.Lead", connection="prod")
    page = client.get(f"/runs/{run_id}").text
    assert "This run has logged nothing yet." in page
    assert "log.txt" not in page


def test_the_api_answers_a_run_log_and_a_problem_for_an_unknown_run(
    client: TestClient, workspace: FakeServices
) -> None:
    run_id = interrupted_run(workspace, "Sales.Lead", connection="prod")
    workspace.logs[run_id] = "a line\n"
    assert client.get(f"/api/runs/{run_id}/log").json() == {"run_id": run_id, "log": "a line\n"}
    missing = client.get("/api/runs/nosuch/log")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
