"""Reports as real orgs run them: a slow report imported through an asynchronous report
instance (the emulator's run delay set through its control API), with progress while
Salesforce runs it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import build_demo_org
from sfimport.emulator.org import Org
from sfimport.extract.events import ProgressEvent
from sfimport.extract.spec import ImportSpec
from tests.e2e.conftest import ADMIN, connect, emulator_settings


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(seed=5, scale={"Account": 120, "Contact": 150, "Opportunity": 200})


@pytest.fixture
def workspace(tmp_path: Path, base_url: str) -> Iterator[Workspace]:
    # Real sleeps: the poll waits for the emulator's run delay to pass.
    settings = emulator_settings(tmp_path / "home", base_url)
    with Workspace(settings, sleep=time.sleep) as workspace:
        connect(workspace, base_url)
        yield workspace


def _set_run_delay(base_url: str, seconds: float) -> None:
    answer = httpx2.post(f"{base_url}/__emulator__/reports", json={"run_delay_seconds": seconds})
    assert answer.status_code == 200 and answer.json()["run_delay_seconds"] == seconds


def test_a_slow_report_is_imported_through_an_asynchronous_instance(
    workspace: Workspace, base_url: str
) -> None:
    spec = ImportSpec(connection="demo", folder="Reports", reports=("Pipeline by Stage",))
    plan = workspace.build_plan(spec)
    events: list[ProgressEvent] = []
    _set_run_delay(base_url, 2.0)
    try:
        result = workspace.run_import(plan, on_event=events.append)
    finally:
        _set_run_delay(base_url, 0.0)
    assert result.status == "complete", result.run
    dataset = workspace.get_dataset("Reports.Pipeline by Stage")
    assert dataset.row_count == plan.datasets[0].expected_rows and dataset.row_count > 0
    waiting = [e.message for e in events if "Salesforce is running the report" in e.message]
    assert waiting, [e.message for e in events]
    assert any("running" in message for message in waiting)
    # The instance the import used is listed by the org, finished.
    report_id = plan.datasets[0].source
    token = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": ADMIN}).json()
    listed = httpx2.get(
        f"{base_url}/services/data/v62.0/analytics/reports/{report_id}/instances",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()
    assert listed and {i["status"] for i in listed} == {"Success"}
