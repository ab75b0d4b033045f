"""Reports API: listing via SOQL and the recent list, describe, and runs with overrides."""

from __future__ import annotations

import json

import httpx2
import pytest

from sfimport.errors import InsufficientAccess
from tests.salesforce.conftest import ClientFactory
from tests.salesforce.recordings import load


def json_response(body: object, status: int = 200) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


def test_reports_are_listed_with_their_folder_through_soql(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []
    page = {
        "totalSize": 1,
        "done": True,
        "records": [
            {
                "attributes": {
                    "type": "Report",
                    "url": "/services/data/v62.0/sobjects/Report/00O1",
                },
                "Id": "00O000000000001AAA",
                "Name": "Deals Closing Next Week",
                "DeveloperName": "Deals_Closing_Next_Week",
                "FolderName": "Sales Reports",
                "Format": "Tabular",
            }
        ],
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_response(page)

    reports = list(make_client(handler).reports.list_reports())
    assert [(r["Name"], r["FolderName"]) for r in reports] == [
        ("Deals Closing Next Week", "Sales Reports")
    ]
    soql = seen[0].url.params["q"]
    assert "FolderName" in soql
    assert "FROM Report" in soql


def test_recent_reports_come_from_the_analytics_list(make_client: ClientFactory) -> None:
    body = [
        {
            "describeUrl": "/services/data/v62.0/analytics/reports/00OD0000001ZbNHMA0/describe",
            "id": "00OD0000001ZbNHMA0",
            "instancesUrl": "/services/data/v62.0/analytics/reports/00OD0000001ZbNHMA0/instances",
            "name": "Deals Closing Next Week",
            "url": "/services/data/v62.0/analytics/reports/00OD0000001ZbNHMA0",
        }
    ]
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_response(body)

    recent = make_client(handler).reports.recent()
    assert recent[0]["id"] == "00OD0000001ZbNHMA0"
    assert seen[0].url.path == "/services/data/v62.0/analytics/reports"


def test_a_run_with_overrides_posts_the_report_metadata(make_client: ClientFactory) -> None:
    recorded = load("reports/salesforce-reporting__run_tabular_basic.json")
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return recorded.response()

    overrides = {
        "reportFilters": [
            {"column": "CREATED_DATE", "operator": "greaterOrEqual", "value": "2024-01-01"}
        ]
    }
    run = make_client(handler).reports.run("00O58000000qu8XEAQ", metadata=overrides)  # type: ignore[arg-type]
    assert run["attributes"]["reportId"] == "00O58000000qu8XEAQ"
    assert seen[0].method == "POST"
    assert seen[0].url.params["includeDetails"] == "true"
    assert json.loads(seen[0].content) == {"reportMetadata": overrides}


def test_describe_reads_the_report_metadata(make_client: ClientFactory) -> None:
    run = load("reports/salesforce-reporting__run_summary_basic_single_group.json").json()
    body = {
        "reportMetadata": run["reportMetadata"],
        "reportExtendedMetadata": run["reportExtendedMetadata"],
        "reportTypeMetadata": {"categories": []},
    }
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_response(body)

    described = make_client(handler).reports.describe(run["attributes"]["reportId"])
    assert described["reportMetadata"]["reportFormat"] == "SUMMARY"
    assert seen[0].url.path.endswith("/describe")


def test_running_reports_without_run_reports_is_insufficient_access(
    make_client: ClientFactory,
) -> None:
    body = [
        {
            "errorCode": "FORBIDDEN",
            "message": "You don't have sufficient privileges to perform this operation.",
        }
    ]
    client = make_client(lambda r: json_response(body, 403))
    with pytest.raises(InsufficientAccess) as caught:
        client.reports.run("00O000000000001AAA")
    assert caught.value.remedy == InsufficientAccess.remedy
