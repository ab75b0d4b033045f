"""The Workspace front door on a small fake org: Review, import, concealment, My Data reads."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.errors import NotSupportedObject, SfimportError, UsageError
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.settings import Settings
from tests.extract.fake_org import FakeOrg, client_for, make_records


@pytest.fixture
def org() -> FakeOrg:
    return FakeOrg(make_records(10))


@pytest.fixture
def workspace(tmp_path: Path, org: FakeOrg) -> Workspace:
    return Workspace(
        Settings(home=tmp_path / "home"), client_factory=client_for(org), sleep=lambda s: None
    )


def contact_spec(**overrides: object) -> ImportSpec:
    values: dict[str, object] = {
        "connection": "acme",
        "folder": "Sales",
        "objects": (ObjectChoice("Contact"),),
    }
    values.update(overrides)
    return ImportSpec(**values)  # type: ignore[arg-type]


def test_review_shows_expected_rows_fields_skipped_and_api_calls(workspace: Workspace) -> None:
    plan = workspace.build_plan(contact_spec(conceal={"Contact": None}))
    (contact,) = plan.datasets
    assert contact.expected_rows == 10
    assert contact.method == "rest"
    assert "Photo" not in contact.fields and dict(contact.skipped_fields)["Photo"]
    assert set(contact.concealed) == {"LastName", "Email"}
    assert plan.api_max == 15000 and plan.api_remaining == 14990
    assert plan.within_budget and plan.api_calls_total == contact.api_calls


def test_import_lands_every_value_with_its_type_in_my_data(
    workspace: Workspace, org: FakeOrg
) -> None:
    events = []
    result = workspace.run_import(workspace.build_plan(contact_spec()), on_event=events.append)
    assert result.status == "complete"
    assert result.run.datasets[0].rows == 10
    assert events[-1].phase == "done" and events[-1].rows_done == 10
    assert max(e.pages for e in events) == 4  # pages of 3 rows

    preview = workspace.preview("Sales.Contact", limit=100)
    types = dict(preview.columns)
    assert types["Score"] == "double" and types["Active"] == "bool"
    assert types["SystemModstamp"].startswith("timestamp")
    rows = {r[0]: dict(zip([c for c, _ in preview.columns], r, strict=True)) for r in preview.rows}
    for record in org.records:
        row = rows[record["Id"]]
        assert row["LastName"] == record["LastName"]
        assert row["Note"] == record["Note"]  # "NA" stays text
        assert row["Score"] == record["Score"] and row["Active"] == record["Active"]
    info = workspace.get_dataset("Contact")
    assert info.row_count == 10 and info.qualified == "Sales.Contact"


def test_start_date_filters_on_the_cursor_field(workspace: Workspace) -> None:
    plan = workspace.build_plan(contact_spec(start_date=date(2024, 7, 1)))
    assert plan.datasets[0].start_date_applies
    workspace.run_import(plan)
    result = workspace.query(
        'SELECT min("SystemModstamp") AS m, count(*) AS n FROM "Sales"."Contact"'
    )
    ((minimum, count),) = result.rows
    assert minimum.month >= 7 and count == plan.datasets[0].expected_rows


def test_concealed_values_never_reach_my_data_file_or_logs(
    workspace: Workspace, org: FakeOrg, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spec = contact_spec(conceal={"Contact": ("LastName", "Email")})
    workspace.run_import(workspace.build_plan(spec))
    data = (tmp_path / "home" / "mydata.duckdb").read_bytes()
    for record in org.records:
        assert record["Email"].encode() not in data
        assert record["LastName"].encode() not in data
        assert record["Email"] not in caplog.text
    preview = workspace.preview("Sales.Contact")
    emails = [r[[c for c, _ in preview.columns].index("Email")] for r in preview.rows]
    assert all(e.endswith("@concealed.invalid") for e in emails)
    assert len(set(emails)) == 10


def test_daily_limit_during_a_run_waits_instead_of_failing(
    workspace: Workspace, org: FakeOrg
) -> None:
    plan = workspace.build_plan(contact_spec())
    org.fail_query = lambda soql: not soql.startswith("SELECT COUNT()")
    result = workspace.run_import(plan)
    assert result.status == "waiting_for_limit"
    assert result.run.resume_at is not None
    assert workspace.list_datasets() == []


def test_unsupported_objects_and_bad_folders_are_refused_before_anything_runs(
    workspace: Workspace,
) -> None:
    with pytest.raises(NotSupportedObject):
        workspace.build_plan(contact_spec(objects=(ObjectChoice("AccountChangeEvent"),)))
    with pytest.raises(UsageError):
        workspace.build_plan(contact_spec(folder="bad.folder"))


def test_schedules_accept_intervals_and_cron_and_refuse_nonsense(workspace: Workspace) -> None:
    workspace.run_import(workspace.build_plan(contact_spec()))
    assert workspace.set_schedule("Sales.Contact", "1d").every == "1d"
    assert workspace.set_schedule("Contact", "0 6 * * *").every == "0 6 * * *"
    assert workspace.get_dataset("Contact").schedule == "0 6 * * *"
    with pytest.raises(UsageError):
        workspace.set_schedule("Contact", "whenever")


def large_plan(workspace: Workspace):  # type: ignore[no-untyped-def]
    plan = workspace.build_plan(contact_spec())
    bulk = dataclasses.replace(plan.datasets[0], method="bulk")
    return dataclasses.replace(plan, datasets=(bulk,))


def test_bulk_path_reads_csv_pages_equal_to_rest_and_deletes_its_job(
    workspace: Workspace, org: FakeOrg
) -> None:
    workspace.run_import(workspace.build_plan(contact_spec()))
    through_rest = workspace.query('SELECT * FROM "Sales"."Contact" ORDER BY "Id"').rows
    result = workspace.run_import(large_plan(workspace))
    assert result.status == "complete"
    assert result.run.datasets[0].method == "bulk"
    assert workspace.query('SELECT * FROM "Sales"."Contact" ORDER BY "Id"').rows == through_rest
    assert org.deleted_jobs == list(org.jobs)


def test_object_bulk_refuses_is_read_through_rest_instead(
    workspace: Workspace, org: FakeOrg
) -> None:
    org.bulk_refuses = True
    result = workspace.run_import(large_plan(workspace))
    assert result.status == "complete"
    assert result.run.datasets[0].method == "rest"
    assert workspace.get_dataset("Sales.Contact").row_count == 10


class _ClosingTransport(httpx2.MockTransport):
    def __init__(self) -> None:
        super().__init__(lambda request: httpx2.Response(500))
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_workspace_that_cannot_be_built_closes_the_http_it_opened(tmp_path: Path) -> None:
    transport = _ClosingTransport()
    settings = Settings(home=tmp_path, secret_key="not a key")
    with pytest.raises(SfimportError):
        Workspace(settings, transport=transport)
    assert transport.closed


def test_closing_a_workspace_closes_its_http(tmp_path: Path) -> None:
    transport = _ClosingTransport()
    Workspace(Settings(home=tmp_path), transport=transport).close()
    assert transport.closed
