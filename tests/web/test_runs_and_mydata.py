"""Run pages, My Data, a data set's page, refresh, schedule, export and the SQL box."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import connect, csrf_of
from tests.web.fake_workspace import FakeWorkspace, failed_field_run


def _import_lead(client: TestClient) -> str:
    connect(client)
    token = csrf_of(client, "/import/Sales org/select")
    client.post(
        "/import/Sales org/select",
        data={"csrf_token": token, "object": "Lead", "new_folder": "Sales"},
    )
    client.post("/import/Sales org/obfuscate", data={"csrf_token": token, "conceal": "Lead"})
    page = client.post("/import/Sales org/start", data={"csrf_token": token})
    return page.url.path.rsplit("/", 1)[1]


def test_the_run_page_renders_progress_from_the_run_history(client: TestClient) -> None:
    run_id = _import_lead(client)
    page = client.get(f"/runs/{run_id}").text  # a reload renders the same state
    assert 'data-dataset="Sales.Lead"' in page
    assert "42 / 42" in page
    assert "100%" in page
    assert "1000 rows/s" in page
    assert "Open My Data" in page


def test_progress_events_are_polled_after_a_sequence_number(client: TestClient) -> None:
    run_id = _import_lead(client)
    body = client.get(f"/api/runs/{run_id}/events?after=0").json()
    assert body["final"] is True and body["status"] == "complete"
    assert [e["seq"] for e in body["events"]] == [1]
    assert client.get(f"/api/runs/{run_id}/events?after=1").json()["events"] == []


def test_my_data_lists_folders_rows_source_and_concealed_columns(client: TestClient) -> None:
    _import_lead(client)
    page = client.get("/mydata").text
    assert "<h2>Sales</h2>" in page
    assert "Lead" in page and "42" in page
    assert "2 columns" in page  # Lead's concealed Name and Email, marked
    assert "complete" in page


def test_a_data_set_page_has_preview_types_controls_and_history(client: TestClient) -> None:
    _import_lead(client)
    page = client.get("/mydata/Sales.Lead").text
    assert "00Q000000000001AAA" in page and "VARCHAR" in page
    assert "Name 🔒" in page
    for text in ("Refresh", "Save schedule", "export.csv", "export.parquet", "Run history"):
        assert text in page


def test_refresh_starts_a_run_for_the_data_set(client: TestClient) -> None:
    _import_lead(client)
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post("/mydata/Sales.Lead/refresh", data={"csrf_token": token})
    assert page.url.path.startswith("/runs/")
    assert "Refresh progress" in page.text


def test_a_schedule_is_saved_and_shown(client: TestClient, workspace: FakeWorkspace) -> None:
    _import_lead(client)
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post("/mydata/Sales.Lead/schedule", data={"csrf_token": token, "every": "1d"})
    assert "now refreshes every 1d" in page.text
    assert workspace.schedules == {"Sales.Lead": "1d"}


def test_a_bad_schedule_explains_the_accepted_forms(client: TestClient) -> None:
    _import_lead(client)
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post("/mydata/Sales.Lead/schedule", data={"csrf_token": token, "every": "often"})
    assert page.status_code == 400
    assert "1h, 1d or a cron expression" in page.text


def test_export_downloads_csv(client: TestClient) -> None:
    _import_lead(client)
    response = client.get("/mydata/Sales.Lead/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "Sales.Lead.csv" in response.headers["content-disposition"]
    assert response.text.startswith("Id,Name")


def test_export_in_another_format_is_refused(client: TestClient) -> None:
    _import_lead(client)
    assert client.get("/mydata/Sales.Lead/export.xlsx").status_code == 400


def test_the_sql_box_runs_read_only_queries(client: TestClient) -> None:
    token = csrf_of(client, "/sql")
    page = client.post("/sql", data={"csrf_token": token, "sql": "select 42 as n"}).text
    assert "<td>42</td>" in page
    refused = client.post("/sql", data={"csrf_token": token, "sql": "drop table x"})
    assert refused.status_code == 400
    assert "Only read-only" in refused.text


def test_a_removed_field_offers_reimport_and_continue_buttons(
    client: TestClient, workspace: FakeWorkspace
) -> None:
    _import_lead(client)
    run_id = failed_field_run(workspace, "Sales.Lead")
    page = client.get(f"/runs/{run_id}").text
    assert "Lead.Rating is no longer available" in page
    assert "Re-import fresh" in page and "Continue without the field" in page
    token = csrf_of(client, f"/runs/{run_id}")
    new = client.post(
        f"/runs/{run_id}/resolve", data={"csrf_token": token, "action": "continue_without_field"}
    )
    assert new.url.path != f"/runs/{run_id}"
    assert "complete" in new.text
