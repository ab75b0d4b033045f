"""Run pages, My Data, a data set's page, refresh, schedule, export and the SQL box."""

from __future__ import annotations

import re
from dataclasses import replace

from fastapi.testclient import TestClient

from sfimport.app.ports import ErrorInfo, FailedAttempt
from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.fakes.services import NOW, FakeServices, failed_field_run, interrupted_run
from tests.web.conftest import connect, csrf_of


def _spec(workspace: FakeServices) -> ImportSpec:
    return ImportSpec(
        connection="Sales org", folder="Sales", start_date=None, objects=(ObjectChoice("Lead"),)
    )


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
    assert 'data-dataset="Lead"' in page
    assert "250 / 250" in page
    assert "100%" in page
    assert "1000 rows/s" in page
    assert "Open My Data" in page


def test_progress_events_are_polled_after_a_sequence_number(client: TestClient) -> None:
    run_id = _import_lead(client)
    body = client.get(f"/api/runs/{run_id}/events?after=0").json()
    assert body["final"] is True and body["status"] == "complete"
    assert [e["seq"] for e in body["events"]] == [1, 2, 3]
    assert [
        e["seq"] for e in client.get(f"/api/runs/{run_id}/events?after=1").json()["events"]
    ] == [
        2,
        3,
    ]
    assert client.get(f"/api/runs/{run_id}/events?after=3").json()["events"] == []


def test_my_data_lists_folders_rows_source_and_concealed_columns(client: TestClient) -> None:
    _import_lead(client)
    page = client.get("/mydata").text
    assert ">Sales</h2>" in page
    assert "Lead" in page and "42" in page
    assert 'class="spark"' in page  # rows over runs
    assert "2 concealed" in page  # Lead's concealed Name and Email, marked
    assert "complete" in page


def test_my_data_shows_the_last_failure_beside_the_last_success(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    failure = FailedAttempt(
        run_id="20250301T120000-deadbeef",
        at=NOW,
        status="failed",
        error=ErrorInfo(
            kind="connection",
            message="The Salesforce connection no longer works.",
            remedy="Re-authorise the connection.",
            actions=("reauthorize",),
        ),
    )
    workspace.datasets["Sales.Lead"] = replace(
        workspace.datasets["Sales.Lead"], last_failure=failure
    )
    for page in (client.get("/mydata").text, client.get("/mydata/Sales.Lead").text):
        assert "complete" in page  # the last success...
        assert "The Salesforce connection no longer works." in page  # ...and the failure
        assert 'href="/runs/20250301T120000-deadbeef"' in page
    assert "Re-authorise the connection." in client.get("/mydata/Sales.Lead").text


def test_a_data_set_page_has_preview_types_controls_and_history(client: TestClient) -> None:
    _import_lead(client)
    page = client.get("/mydata/Sales.Lead").text
    assert "00Q000000000001AAA" in page and "VARCHAR" in page
    assert 'Name <span class="badge"' in page  # the concealed column is marked
    for text in ("Refresh", "Save schedule", "export.csv", "export.parquet", "Run history"):
        assert text in page


def test_the_run_history_lists_the_import_of_the_data_set(
    client: TestClient, workspace: FakeServices
) -> None:
    run_id = _import_lead(client)
    workspace.start_import(workspace.build_plan(replace(_spec(workspace), folder="Other")))
    page = client.get("/mydata/Sales.Lead").text
    assert f'href="/runs/{run_id}"' in page
    assert "No runs yet" not in page
    assert page.count('href="/runs/') == 1  # not the import of Other.Lead


def test_refresh_starts_a_run_for_the_data_set(client: TestClient) -> None:
    _import_lead(client)
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post("/mydata/Sales.Lead/refresh", data={"csrf_token": token})
    assert page.url.path.startswith("/runs/")
    assert "Refresh progress" in page.text


def test_a_schedule_is_saved_and_shown(client: TestClient, workspace: FakeServices) -> None:
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
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = failed_field_run(workspace, "Sales.Lead")
    page = client.get(f"/runs/{run_id}").text
    assert "The field Rating of data set Sales.Lead is no longer available" in page
    for button in ("Re-import fresh", "Retry", "Continue without the field"):
        assert f">{button}</button>" in page
    token = csrf_of(client, f"/runs/{run_id}")
    new = client.post(
        f"/runs/{run_id}/resolve", data={"csrf_token": token, "action": "continue_without_field"}
    )
    assert new.url.path != f"/runs/{run_id}"
    assert "complete" in new.text


def test_retry_starts_a_new_refresh_of_the_failed_data_set(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = failed_field_run(workspace, "Sales.Lead")
    token = csrf_of(client, f"/runs/{run_id}")
    new = client.post(f"/runs/{run_id}/resolve", data={"csrf_token": token, "action": "retry"})
    assert new.url.path != f"/runs/{run_id}"
    assert "Refresh progress" in new.text


def test_an_interrupted_run_offers_re_authorise_and_resume(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = interrupted_run(workspace, "Sales.Lead", connection="Sales org")
    page = client.get(f"/runs/{run_id}").text
    assert 'action="/connections/Sales%20org/reauthorize"' in page
    assert ">Re-authorise</button>" in page and ">Resume now</button>" in page
    assert 'class="status interrupted"' in page


def test_resume_continues_the_same_run_and_follows_it(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = interrupted_run(workspace, "Sales.Lead", connection="Sales org")
    token = csrf_of(client, f"/runs/{run_id}")
    page = client.post(f"/runs/{run_id}/resolve", data={"csrf_token": token, "action": "resume"})
    assert workspace.resumed == [run_id]
    assert page.url.path == f"/runs/{run_id}"
    assert 'data-follow="yes"' in page.text
    assert 'id="run-status" class="status complete"' in page.text


def test_resuming_a_complete_run_says_there_is_nothing_to_resume(
    client: TestClient, workspace: FakeServices
) -> None:
    run_id = _import_lead(client)
    token = csrf_of(client)
    page = client.post(f"/runs/{run_id}/resolve", data={"csrf_token": token, "action": "resume"})
    assert page.status_code == 400
    assert "nothing to resume" in page.text


def test_the_connection_page_lists_runs_that_can_resume(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = interrupted_run(workspace, "Sales.Lead", connection="Sales org")
    page = client.get("/connections/Sales org").text
    assert "Runs that can resume" in page
    assert f'action="/runs/{run_id}/resolve"' in page


def test_the_runs_list_shows_when_a_waiting_run_resumes(
    client: TestClient, workspace: FakeServices
) -> None:
    run_id = _import_lead(client)
    workspace.runs[run_id] = replace(
        workspace.runs[run_id], status="waiting_for_limit", resume_at=NOW
    )
    page = client.get("/runs").text
    assert "waiting for API limit" in page
    assert "resumes 2025-03-01 12:00 UTC" in page


def test_the_data_set_page_lists_its_schedules_and_its_connections(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    workspace.set_schedule("Sales.Lead", "1d")
    workspace.set_connection_schedule("Sales org", "1h")
    workspace.schedules["Other.Lead"] = "1h"
    page = client.get("/mydata/Sales.Lead").text
    assert page.count(">Remove schedule</button>") == 2
    assert "every data set of connection Sales org" in page
    assert 'value="Other.Lead"' not in page


def test_a_schedule_is_removed_from_the_data_set_page(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    workspace.set_schedule("Sales.Lead", "1d")
    workspace.set_connection_schedule("Sales org", "1h")
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post(
        "/mydata/Sales.Lead/schedule/remove",
        data={"csrf_token": token, "key": "connection:Sales org"},
    )
    assert "no longer refreshed on a schedule" in page.text
    assert workspace.schedules == {"Sales.Lead": "1d"}


def test_a_schedule_of_another_data_set_is_not_removed_from_this_page(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    workspace.schedules["Other.Lead"] = "1h"
    token = csrf_of(client, "/mydata/Sales.Lead")
    page = client.post(
        "/mydata/Sales.Lead/schedule/remove", data={"csrf_token": token, "key": "Other.Lead"}
    )
    assert page.status_code == 404
    assert workspace.schedules == {"Other.Lead": "1h"}


def test_a_connection_schedule_is_saved_and_removed_on_the_connection_page(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    token = csrf_of(client, "/connections/Sales org")
    page = client.post("/connections/Sales org/schedule", data={"csrf_token": token, "every": "1h"})
    assert "Every data set of Sales org now refreshes every 1h" in page.text
    assert workspace.schedules == {"connection:Sales org": "1h"}
    page = client.post("/connections/Sales org/schedule/remove", data={"csrf_token": token})
    assert "no longer refreshed on a schedule" in page.text
    assert workspace.schedules == {}


def test_a_failed_run_has_one_outcome_and_one_primary_button_the_first_fix(
    client: TestClient, workspace: FakeServices
) -> None:
    _import_lead(client)
    run_id = failed_field_run(workspace, "Sales.Lead")
    page = client.get(f"/runs/{run_id}").text
    assert page.count('id="outcome"') == 1
    assert "Refresh failed" in page
    primary = re.findall(r'class="(?:button )?primary"[^>]*>([^<]+)<', page)
    assert primary == ["Re-import fresh"], primary
    assert '<a class="button" href="/mydata">Open My Data</a>' in page  # there, not primary
