"""The Reports and Dashboards API through HTTP: the Report sObject, recent list, describe,
tabular/summary/matrix runs, filters, the 2,000-row cap, permissions, and conformance with
the recorded report runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfimport.emulator import Org
from sfimport.emulator.reports import DEMO_REPORTS
from tests.emulator.conftest import Http, V, error_of, fresh_org
from tests.salesforce.recordings import recordings_dir

RECORDINGS = recordings_dir() / "reports"
REPORTS = f"{V}/analytics/reports"
IDS = {report.developer_name: report.id for report in DEMO_REPORTS}


@pytest.fixture(scope="module")
def report_org() -> Org:
    return fresh_org()


@pytest.fixture
def http(report_org: Org) -> Http:
    return Http(report_org)


@pytest.fixture
def token(http: Http) -> str:
    return http.token()


def run(
    http: Http, token: str, name: str, metadata: dict[str, Any] | None = None, details: bool = True
) -> dict[str, Any]:
    params = {"includeDetails": "true" if details else "false"}
    if metadata is None:
        response = http.get(f"{REPORTS}/{IDS[name]}", params=params, token=token)
    else:
        response = http.post(
            f"{REPORTS}/{IDS[name]}", params=params, json={"reportMetadata": metadata}, token=token
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def detail_rows(body: dict[str, Any]) -> list[list[Any]]:
    return [
        [cell["value"] for cell in row["dataCells"]]
        for entry in body["factMap"].values()
        for row in entry.get("rows", [])
    ]


def row_count(entry: dict[str, Any], body: dict[str, Any]) -> int:
    index = body["reportMetadata"]["aggregates"].index("RowCount")
    return int(entry["aggregates"][index]["value"])


def soql_ids(http: Http, token: str, soql: str) -> list[str]:
    body = http.query(soql, token).json()
    ids = [r["Id"] for r in body["records"]]
    while not body["done"]:
        body = http.get(body["nextRecordsUrl"], token=token).json()
        ids += [r["Id"] for r in body["records"]]
    return ids


def test_reports_are_listed_by_soql_on_report_and_in_the_recent_list(
    http: Http, token: str
) -> None:
    body = http.query(
        "SELECT Id, Name, DeveloperName, FolderName, Format, LastRunDate FROM Report "
        "ORDER BY FolderName, Name",
        token,
    ).json()
    records = body["records"]
    assert {r["Format"] for r in records} == {"Tabular", "Summary", "Matrix", "MultiBlock"}
    assert len({r["FolderName"] for r in records}) >= 3
    assert all(r["Id"].startswith("00O") for r in records)
    recent = http.get(REPORTS, token=token).json()
    assert {item["id"] for item in recent} == {r["Id"] for r in records}
    assert set(recent[0]) == {"describeUrl", "id", "instancesUrl", "name", "url"}


def test_describe_answers_metadata_column_info_and_report_type(http: Http, token: str) -> None:
    body = http.get(f"{REPORTS}/{IDS['Pipeline_by_Stage']}/describe", token=token).json()
    metadata = body["reportMetadata"]
    assert metadata["reportFormat"] == "SUMMARY"
    assert metadata["groupingsDown"][0]["name"] == "STAGE_NAME"
    info = body["reportExtendedMetadata"]["detailColumnInfo"]
    assert info["AMOUNT"] == {"dataType": "currency", "label": "Amount"}
    columns = body["reportTypeMetadata"]["categories"][0]["columns"]
    assert "Closed Won" in [v["name"] for v in columns["STAGE_NAME"]["filterValues"]]


def test_a_report_over_2000_rows_returns_exactly_the_first_2000_in_sort_order(
    http: Http, token: str
) -> None:
    body = run(
        http,
        token,
        "All_Contacts",
        {
            "detailColumns": ["CONTACT_ID", "LAST_NAME"],
            "sortBy": [{"sortColumn": "CONTACT_ID", "sortOrder": "Asc"}],
        },
    )
    everyone = soql_ids(http, token, "SELECT Id FROM Contact ORDER BY Id")
    assert len(everyone) > 2000
    assert body["allData"] is False
    assert [row[0] for row in detail_rows(body)] == everyone[:2000]
    # The grand total still counts every row.
    assert row_count(body["factMap"]["T!T"], body) == len(everyone)


def test_slices_by_date_filters_add_up_to_the_grand_total(http: Http, token: str) -> None:
    whole = run(http, token, "All_Contacts", details=False)
    total = row_count(whole["factMap"]["T!T"], whole)
    seen: list[str] = []
    for operator in ("lessThan", "greaterOrEqual"):
        extra = {"column": "CREATED_DATE", "operator": operator, "value": "2023-06-01T00:00:00Z"}
        body = run(
            http,
            token,
            "All_Contacts",
            {"detailColumns": ["CONTACT_ID"], "reportFilters": [extra]},
        )
        assert body["allData"] is True
        seen += [row[0] for row in detail_rows(body)]
    assert len(seen) == len(set(seen)) == total


def test_a_summary_report_groups_rows_and_totals_each_group(http: Http, token: str) -> None:
    body = run(http, token, "Pipeline_by_Stage")
    groups = body["groupingsDown"]["groupings"]
    labels = [g["label"] for g in groups]
    assert labels == sorted(labels) and "Closed Won" in labels
    fact = body["factMap"]
    assert set(fact) == {f"{g['key']}!T" for g in groups} | {"T!T"}
    assert fact["T!T"]["rows"] == []
    counts = [row_count(fact[f"{g['key']}!T"], body) for g in groups]
    assert sum(counts) == row_count(fact["T!T"], body)
    for group, count in zip(groups, counts, strict=True):
        assert len(fact[f"{group['key']}!T"]["rows"]) == count
    sums = [fact[f"{g['key']}!T"]["aggregates"][0]["value"] for g in groups]
    assert sum(sums) == pytest.approx(fact["T!T"]["aggregates"][0]["value"])
    amount = fact["0!T"]["rows"][0]["dataCells"][2]
    assert set(amount["value"]) == {"amount", "currency"} and amount["label"].startswith("$")
    live = http.query("SELECT COUNT() FROM Opportunity", token).json()["totalSize"]
    assert row_count(fact["T!T"], body) == live


def test_a_matrix_report_has_a_cell_for_every_grouping_pair(http: Http, token: str) -> None:
    body = run(http, token, "Pipeline_by_Stage_and_Close_Month")
    down = [g["key"] for g in body["groupingsDown"]["groupings"]]
    across = body["groupingsAcross"]["groupings"]
    assert across[0]["value"].endswith("-01") and across[0]["label"].split()[0].isalpha()
    fact = body["factMap"]
    assert len(fact) == (len(down) + 1) * (len(across) + 1)
    leaf_total = sum(row_count(fact[f"{d}!{a['key']}"], body) for d in down for a in across)
    assert leaf_total == row_count(fact["T!T"], body) == len(detail_rows(body))
    # The standard date filter keeps close dates inside 2024-2025.
    assert all("2024-01-01" <= a["value"] <= "2025-12-01" for a in across)


def test_report_filters_and_filter_logic_override_the_saved_ones(http: Http, token: str) -> None:
    won = {"column": "STAGE_NAME", "operator": "equals", "value": "Closed Won"}
    lost = {"column": "STAGE_NAME", "operator": "equals", "value": "Closed Lost"}
    big = {"column": "AMOUNT", "operator": "greaterThan", "value": "50000"}

    def total(filters: list[dict[str, str]], logic: str | None = None) -> int:
        body = run(
            http,
            token,
            "Pipeline_by_Stage",
            {"reportFilters": filters, "reportBooleanFilter": logic},
            details=False,
        )
        assert body["hasDetailRows"] is False and detail_rows(body) == []
        return row_count(body["factMap"]["T!T"], body)

    either = total([won, lost], "1 OR 2")
    assert either == total([won]) + total([lost]) > 0
    assert total([won, big]) < total([won])
    named = {"column": "OPPORTUNITY_NAME", "operator": "contains", "value": "units"}
    assert total([named]) == total([])
    not_won = {"column": "STAGE_NAME", "operator": "notEqual", "value": "Closed Won"}
    assert total([not_won]) + total([won]) == total([])


def test_users_without_run_reports_get_forbidden(http: Http) -> None:
    token = http.token("noreports@sfimport-demo.example")
    for path in (
        REPORTS,
        f"{REPORTS}/{IDS['All_Contacts']}",
        f"{REPORTS}/{IDS['All_Contacts']}/describe",
    ):
        assert error_of(http.get(path, token=token)) == (
            403,
            "FORBIDDEN",
            "You don't have sufficient privileges to perform this operation.",
        )


def test_unknown_reports_and_invalid_overrides_are_refused(http: Http, token: str) -> None:
    assert error_of(http.get(f"{REPORTS}/00O000000000000AAA", token=token))[:2] == (
        404,
        "NOT_FOUND",
    )
    bad = http.post(
        f"{REPORTS}/{IDS['All_Contacts']}",
        json={"reportMetadata": {"reportFilters": [{"column": "NOPE", "operator": "equals"}]}},
        token=token,
    )
    assert error_of(bad)[:2] == (400, "BAD_REQUEST")


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


@pytest.mark.parametrize(
    ("recording", "report"),
    [
        ("salesforce-reporting__run_tabular_basic.json", "Technology_Accounts"),
        ("salesforce-reporting__run_summary_basic_single_group.json", "Pipeline_by_Stage"),
        ("salesforce-reporting__run_matrix_basic.json", "Pipeline_by_Stage_and_Close_Month"),
    ],
)
def test_report_runs_have_the_recorded_shape(
    http: Http, token: str, recording: str, report: str
) -> None:
    real = json.loads((RECORDINGS / recording).read_text())
    ours = run(http, token, report)
    assert set(ours) == set(real)
    assert set(ours["attributes"]) == set(real["attributes"])
    assert _keys(real["reportMetadata"]) <= _keys(ours["reportMetadata"])
    assert set(ours["reportExtendedMetadata"]) == set(real["reportExtendedMetadata"])
    for section in ("aggregateColumnInfo", "detailColumnInfo", "groupingColumnInfo"):
        for real_entry in real["reportExtendedMetadata"][section].values():
            for our_entry in ours["reportExtendedMetadata"][section].values():
                assert set(real_entry) <= set(our_entry)
    real_fact = next(iter(real["factMap"].values()))
    for entry in ours["factMap"].values():
        assert set(entry) == set(real_fact)
        for aggregate in entry["aggregates"]:
            assert set(aggregate) == {"label", "value"}
    cells = [c for e in ours["factMap"].values() for r in e["rows"] for c in r["dataCells"]]
    assert cells and all(set(cell) == {"label", "value"} for cell in cells)
    for direction in ("groupingsDown", "groupingsAcross"):
        for real_node in real[direction]["groupings"]:
            for our_node in ours[direction]["groupings"]:
                assert set(our_node) == set(real_node)
    assert type(ours["allData"]) is type(real["allData"])
