"""Each run's log, against the emulator: an import leaves a private, capped file with its pages
in the data folder; a resumed run appends to it; the run page, its download, the JSON API and
`sfimport runs --log` show it; the access token the run used never appears in it."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app as cli_app
from sfimport.cli.context import CliState
from sfimport.emulator import Org, build_demo_org
from sfimport.extract import runlog
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.web import create_app
from tests.e2e.conftest import connect, emulator_settings

#: Under the Bulk threshold: read over REST in pages of 2,000 rows (3 pages).
CONTACTS = 5_000
wire = logging.getLogger("tests.e2e.run_logs.wire")


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(scale={"Account": 20, "Contact": CONTACTS})


class TellingTransport(httpx2.BaseTransport):
    """Logs each query request with its Authorization header (as a careless library might),
    and fails the next-page requests while ``failing`` is set."""

    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        self.tokens: set[str] = set()
        self.failing = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if "/query" in request.url.path:
            header = request.headers.get("Authorization", "")
            self.tokens.add(header.removeprefix("Bearer ").strip())
            wire.warning("GET %s with %s", request.url.path, header)
            if self.failing and "/query/" in request.url.path:
                raise httpx2.ConnectError("the network went away", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _workspace(home: Path, base_url: str, transport: TellingTransport) -> Workspace:
    return Workspace(emulator_settings(home, base_url), transport=transport, sleep=lambda s: None)


def _contacts() -> ImportSpec:
    return ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))


def test_an_import_keeps_its_log_with_its_pages_shown_on_its_page_api_and_cli(
    tmp_path: Path, base_url: str
) -> None:
    home = tmp_path / "home"
    transport = TellingTransport()
    with _workspace(home, base_url, transport) as workspace:
        connect(workspace, base_url)
        # A permissive umask: the run's log is private all the same.
        umask = os.umask(0o022)
        try:
            result = workspace.run_import(workspace.build_plan(_contacts()))
        finally:
            os.umask(umask)
        run_id = result.run.id
        assert result.run.status == "complete"
        text = workspace.run_log(run_id)

        path = home / "logs" / "runs" / f"{run_id}.log"
        assert path.read_text() == text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert f"Starting run {run_id} of demo (Sales): Contact" in text
        assert re.findall(r"Contact downloading: page (\d+)", text)[-3:] == ["1", "2", "3"]
        rows = f"{result.run.datasets[0].rows:,}"
        assert f"Contact: complete, {rows} rows, 3 pages" in text
        assert text.rstrip().endswith(f"Run {run_id} ended: complete")
        # The wire logger's lines (made on the run's threads) are in it, their token redacted.
        assert "tests.e2e.run_logs.wire: GET" in text
        assert "[redacted]" in text
        assert transport.tokens and all(t not in text for t in transport.tokens)

        # The run's page, its download and the JSON API.
        web = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
        with TestClient(web, base_url="http://127.0.0.1:8000") as client:
            page = client.get(f"/runs/{run_id}").text
            assert 'id="run-log"' in page
            assert f"Run {run_id} ended: complete" in page
            assert f'href="/runs/{run_id}/log.txt"' in page
            download = client.get(f"/runs/{run_id}/log.txt")
            assert download.text == text
            assert "attachment" in download.headers["content-disposition"]
            assert client.get(f"/api/runs/{run_id}/log").json() == {"run_id": run_id, "log": text}
            assert client.get("/api/runs/nosuchrun/log").status_code == 404

        # `sfimport runs --log RUN_ID`.
        state = CliState(
            settings=workspace.settings,
            workspace_factory=lambda settings: workspace,
            owns_workspace=False,
        )
        shown = CliRunner().invoke(cli_app, ["runs", "--log", run_id], obj=state)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout == text


def test_a_resumed_run_appends_to_the_same_log(tmp_path: Path, base_url: str) -> None:
    home = tmp_path / "home"
    transport = TellingTransport()
    with _workspace(home, base_url, transport) as workspace:
        connect(workspace, base_url)
        transport.failing = True
        first = workspace.run_import(workspace.build_plan(_contacts()))
        assert first.run.datasets[0].status == "interrupted"
        before = workspace.run_log(first.run.id)
        assert f"Run {first.run.id} ended: {first.run.status}" in before
        assert "the network went away" in before

        transport.failing = False
        again = workspace.resume_run(first.run.id)
        assert again.run.status == "complete"
        after = workspace.run_log(first.run.id)
    assert after.startswith(before)
    resumed = after[len(before) :]
    assert f"Resuming run {first.run.id} of demo (Sales): Contact" in resumed
    assert "Contact downloading: page 3" in resumed
    assert resumed.rstrip().endswith(f"Run {first.run.id} ended: complete")


def test_the_cap_holds_and_keeps_the_newest_lines(
    tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runlog, "MAX_LOG_BYTES", 700)
    home = tmp_path / "home"
    with _workspace(home, base_url, TellingTransport()) as workspace:
        connect(workspace, base_url)
        run = workspace.run_import(workspace.build_plan(_contacts())).run
        text = workspace.run_log(run.id)
    assert len(text.encode()) <= 700
    assert text.startswith(runlog.DROPPED)
    assert "Starting run" not in text  # the oldest lines went first
    assert text.rstrip().endswith(f"Run {run.id} ended: complete")
    assert all(line[:4].isdigit() for line in text.splitlines()[1:])  # whole lines only
