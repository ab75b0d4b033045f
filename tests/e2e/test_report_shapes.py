"""Reports as real orgs run them: a slow report imported through an asynchronous report
instance (the emulator's run delay set through its control API), with progress while
Salesforce runs it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

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
    # Long enough that the first polls find it running even on a loaded machine.
    _set_run_delay(base_url, 3.0)
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


JOINED = "Accounts: Opportunities and Cases"


def test_a_joined_report_lands_block_by_block_each_checked_against_its_count(
    workspace: Workspace, org: Org
) -> None:
    plan = workspace.build_plan(ImportSpec(connection="demo", folder="Reports", reports=(JOINED,)))
    (planned,) = plan.datasets
    assert "joined report" in planned.note and "Block column" in planned.note
    opportunities = [r for r in org.tables["Opportunity"].to_pylist() if not r["IsDeleted"]]
    open_cases = [
        r for r in org.tables["Case"].to_pylist() if not r["IsDeleted"] and r["Status"] != "Closed"
    ]
    assert planned.expected_rows == len(opportunities) + len(open_cases)
    result = workspace.run_import(plan)
    assert result.status == "complete", result.run
    (ran,) = result.run.datasets
    assert ran.count_mismatch == 0 and ran.rows == planned.expected_rows
    name = planned.name
    got = workspace.query(
        f'SELECT "Block", count(*), count("Opportunity Name"), count("Case Number") '
        f'FROM "Reports"."{name}" GROUP BY 1 ORDER BY 1'
    )
    # Each block's rows carry its own columns, empty in the other block's rows.
    assert got.rows == [
        ("B0", len(opportunities), len(opportunities), 0),
        ("B1", len(open_cases), 0, len(open_cases)),
    ]
    subjects = workspace.query(f'SELECT "Subject" FROM "Reports"."{name}" WHERE "Block" = \'B1\'')
    assert sorted(r[0] or "" for r in subjects.rows) == sorted(
        c["Subject"] or "" for c in open_cases
    )


def test_a_joined_block_short_of_its_row_count_marks_the_data_set_incomplete() -> None:
    from sfimport.extract.objects import Tally
    from sfimport.extract.reports import ReportReader

    describe: Any = {
        "reportMetadata": {
            "id": "00O000000000007AAA",
            "reportFormat": "MULTI_BLOCK",
            "detailColumns": ["B0#NAME", "B1#NAME"],
            "aggregates": ["B0#RowCount", "B1#RowCount"],
        },
        "reportExtendedMetadata": {
            "detailColumnInfo": {
                "B0#NAME": {"label": "Name", "dataType": "string"},
                "B1#NAME": {"label": "Name", "dataType": "string"},
            }
        },
    }
    run = {
        **describe,
        "allData": True,
        "factMap": {
            "B0#T!T": {
                "aggregates": [{"value": 1, "label": "1"}],
                "rows": [{"dataCells": [{"label": "a", "value": "a"}]}],
            },
            "B1#T!T": {
                "aggregates": [{"value": 3, "label": "3"}],
                "rows": [{"dataCells": [{"label": "b", "value": "b"}]}],
            },
        },
    }

    class Reports:
        def start_run(self, report_id: str, **kwargs: Any) -> dict[str, Any]:
            return {"id": "0LG1", "status": "New"}

        def instance(self, report_id: str, instance_id: str) -> tuple[Any, Any]:
            return {"status": "Success"}, run

    class Client:
        reports = Reports()

    reader = ReportReader(
        cast(Any, Client()),
        "00O000000000007AAA",
        describe,
        Tally(),
        lambda t: None,
        sleep=lambda s: None,
    )
    rows = sum(batch.num_rows for batch in reader.batches())
    assert rows == 2
    assert reader.outcome is not None
    assert reader.outcome.grand_total == 4
    assert reader.outcome.incomplete_reason == (
        "block B1: 1 rows were fetched but its row count is 3"
    )


def test_planning_a_slow_report_polls_its_instance_a_few_times_and_goes_on_without_a_count(
    tmp_path: Path, base_url: str
) -> None:
    # No real pauses: the planning polls come one after another, and the report runs on.
    pauses: list[float] = []
    settings = emulator_settings(tmp_path / "home", base_url)
    with Workspace(settings, sleep=pauses.append) as workspace:
        connect(workspace, base_url)
        spec = ImportSpec(connection="demo", folder="Reports", reports=("Pipeline by Stage",))
        _set_run_delay(base_url, 600.0)
        try:
            slow = workspace.build_plan(spec)
        finally:
            _set_run_delay(base_url, 0.0)
        slow_pauses = list(pauses)
        quick = workspace.build_plan(spec)
    (planned,) = slow.datasets
    assert planned.expected_rows is None
    assert "still running the report" in planned.note
    # Four polls with growing pauses, then the Review goes on.
    assert slow_pauses == [0.25, 0.5, 1.0, 2.0]
    # The count comes from a summary instance once the report runs quickly again.
    assert quick.datasets[0].expected_rows is not None and quick.datasets[0].expected_rows > 0
    assert "still running" not in quick.datasets[0].note
    report_id = planned.source
    token = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": ADMIN}).json()
    listed = httpx2.get(
        f"{base_url}/services/data/v62.0/analytics/reports/{report_id}/instances",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()
    assert len(listed) >= 2  # planning ran the report as instances, not synchronously


def test_report_money_lands_as_exact_decimals_whose_sum_is_the_orgs(
    workspace: Workspace, org: Org
) -> None:
    from decimal import Decimal

    spec = ImportSpec(connection="demo", folder="Money", reports=("Pipeline by Stage",))
    result = workspace.run_import(workspace.build_plan(spec))
    assert result.status == "complete", result.run
    got = workspace.query(
        'SELECT sum("Amount"), typeof(sum("Amount")), typeof("Amount") '
        'FROM "Money"."Pipeline by Stage" GROUP BY 3'
    )
    ((total, sum_type, column_type),) = got.rows
    assert column_type == "DECIMAL(38,8)" and sum_type.startswith("DECIMAL")
    # The org's amounts as the decimal text Salesforce sends them, summed exactly.
    amounts = [
        r["Amount"]
        for r in org.tables["Opportunity"].to_pylist()
        if not r["IsDeleted"] and r["Amount"] is not None
    ]
    assert Decimal(total) == sum((Decimal(repr(a)) for a in amounts), Decimal(0))
