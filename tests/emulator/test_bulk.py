"""Bulk API 2.0 query jobs through HTTP: lifecycle, CSV pages with locators, refusals."""

from __future__ import annotations

import csv
import gzip
import io
from typing import Any

import pytest

from sfimport.emulator import Org
from tests.emulator.conftest import Http, V, error_of, fresh_org

JOBS = f"{V}/jobs/query"


@pytest.fixture(scope="module")
def bulk_org() -> Org:
    return fresh_org()


@pytest.fixture
def bulk(bulk_org: Org) -> Http:
    http = Http(bulk_org)
    http.post("/__emulator__/bulk", json={"delay_seconds": 0, "fail_next": 0})
    return http


def create(http: Http, token: str, soql: str, operation: str = "query", **extra: Any) -> Any:
    body = {"operation": operation, "query": soql, "contentType": "CSV", **extra}
    return http.post(JOBS, json=body, token=token)


def pages(http: Http, token: str, job_id: str, max_records: int | None = None) -> list[Any]:
    """Every result page as (rows, headers), following Sforce-Locator."""
    out = []
    locator = None
    while True:
        params: dict[str, Any] = {}
        if locator:
            params["locator"] = locator
        if max_records:
            params["maxRecords"] = max_records
        response = http.get(f"{JOBS}/{job_id}/results", params=params, token=token)
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text)))
        out.append((rows, response.headers))
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            return out


def test_bulk_job_round_trip_pages_with_locators_and_matches_rest(bulk: Http) -> None:
    token = bulk.token()
    soql = (
        "SELECT Id, Name, Email, Birthdate, DoNotCall, CreatedDate, Account.Name "
        "FROM Contact ORDER BY Id"
    )
    created = create(bulk, token, soql)
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["id"].startswith("750") and job["state"] == "UploadComplete"
    assert job["apiVersion"] == 62.0 and isinstance(job["apiVersion"], float)
    info = bulk.get(f"{JOBS}/{job['id']}", token=token).json()
    assert info["state"] == "JobComplete" and info["jobType"] == "V2Query"

    result = pages(bulk, token, job["id"], max_records=1000)
    assert len(result) == 3
    rows = []
    for page_rows, headers in result:
        # The header row repeats on every page and the count header matches the page.
        assert page_rows[0] == [
            "Id",
            "Name",
            "Email",
            "Birthdate",
            "DoNotCall",
            "CreatedDate",
            "Account.Name",
        ]
        assert int(headers["Sforce-NumberOfRecords"]) == len(page_rows) - 1
        assert headers["Content-Type"] == "text/csv"
        rows += page_rows[1:]
    assert [name for name, _ in result[0][1].raw if name.lower() == b"sforce-numberofrecords"] == [
        b"Sforce-NumberOfRecords"
    ]
    assert len(rows) == info["numberRecordsProcessed"]

    rest: list[dict[str, Any]] = []
    body = bulk.query(soql, token).json()
    rest += body["records"]
    while not body["done"]:
        body = bulk.get(body["nextRecordsUrl"], token=token).json()
        rest += body["records"]
    assert len(rest) == len(rows)
    for line, record in zip(rows, rest, strict=True):
        identifier, name, email, birthdate, do_not_call, created_date, account = line
        assert identifier == record["Id"] and name == record["Name"]
        # CSV cannot tell null from empty; booleans are lowercase; datetimes end in Z.
        assert email == (record["Email"] or "")
        assert birthdate == (record["Birthdate"] or "")
        assert do_not_call == str(record["DoNotCall"]).lower()
        assert created_date == record["CreatedDate"].replace("+0000", "Z")
        expected_account = record["Account"]["Name"] if record["Account"] else ""
        assert account == expected_account


def test_csv_quotes_every_value_and_leaves_nulls_empty(bulk: Http) -> None:
    token = bulk.token()
    job = create(bulk, token, "SELECT Id, Email, HasOptedOutOfEmail FROM Contact").json()
    text = bulk.get(f"{JOBS}/{job['id']}/results", token=token).text
    lines = text.split("\n")
    assert lines[0] == '"Id","Email","HasOptedOutOfEmail"'
    assert any(line.endswith(',,"false"') or ',,"' in line for line in lines[1:])
    assert all(line.startswith('"003') for line in lines[1:-1])
    assert text.endswith("\n") and "\r" not in text


def test_column_delimiter_and_crlf_line_ending_are_honoured(bulk: Http) -> None:
    token = bulk.token()
    job = create(
        bulk,
        token,
        "SELECT Id, Name FROM Account LIMIT 3",
        columnDelimiter="PIPE",
        lineEnding="CRLF",
    ).json()
    text = bulk.get(f"{JOBS}/{job['id']}/results", token=token).text
    assert text.startswith('"Id"|"Name"\r\n') and text.count("\r\n") == 4


def test_query_all_returns_deleted_rows_and_query_does_not(bulk: Http) -> None:
    token = bulk.token()
    soql = "SELECT Id, IsDeleted FROM Contact"
    live = create(bulk, token, soql).json()
    everything = create(bulk, token, soql, operation="queryAll").json()
    live_rows = pages(bulk, token, live["id"])[0][0][1:]
    all_rows = pages(bulk, token, everything["id"])[0][0][1:]
    deleted = [row for row in all_rows if row[1] == "true"]
    assert deleted and all(row[1] == "false" for row in live_rows)
    assert len(all_rows) == len(live_rows) + len(deleted)


def test_results_use_the_default_page_size_and_gzip_when_asked(bulk: Http) -> None:
    token = bulk.token()
    bulk.post("/__emulator__/bulk", json={"default_page_rows": 1000})
    try:
        job = create(bulk, token, "SELECT Id FROM Contact").json()
        response = bulk.get(
            f"{JOBS}/{job['id']}/results",
            token=token,
            headers={"Accept-Encoding": "gzip"},
        )
    finally:
        bulk.post("/__emulator__/bulk", json={"default_page_rows": 50000})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Sforce-NumberOfRecords"] == "1000"
    assert response.headers["Sforce-Locator"] not in {"", "null"}
    assert len(response.text.splitlines()) == 1001
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


def test_a_job_moves_through_its_states_while_the_client_polls(bulk: Http) -> None:
    token = bulk.token()
    bulk.post("/__emulator__/bulk", json={"delay_seconds": 0.3})
    job = create(bulk, token, "SELECT Id FROM Account").json()
    info = bulk.get(f"{JOBS}/{job['id']}", token=token).json()
    assert info["state"] in {"UploadComplete", "InProgress"}
    assert info["numberRecordsProcessed"] == 0
    early = bulk.get(f"{JOBS}/{job['id']}/results", token=token)
    assert early.status_code == 400
    deleting = bulk.request("DELETE", f"{JOBS}/{job['id']}", token=token)
    assert error_of(deleting) == (
        400,
        "API_ERROR",
        "Error encountered when deleting the job because the job is not terminated",
    )
    aborted = bulk.request("PATCH", f"{JOBS}/{job['id']}", json={"state": "Aborted"}, token=token)
    assert aborted.json()["state"] == "Aborted"
    assert bulk.request("DELETE", f"{JOBS}/{job['id']}", token=token).status_code == 204
    gone = bulk.get(f"{JOBS}/{job['id']}", token=token)
    assert error_of(gone)[:2] == (404, "NOT_FOUND")


def test_results_with_another_api_version_are_a_conflict(bulk: Http) -> None:
    token = bulk.token()
    job = create(bulk, token, "SELECT Id FROM Account").json()
    response = bulk.get(f"/services/data/v60.0/jobs/query/{job['id']}/results", token=token)
    assert response.status_code == 409


def test_a_failed_job_reports_its_error_message(bulk: Http) -> None:
    token = bulk.token()
    bulk.post("/__emulator__/bulk", json={"fail_next": 1})
    job = create(bulk, token, "SELECT Id FROM Account").json()
    info = bulk.get(f"{JOBS}/{job['id']}", token=token).json()
    assert info["state"] == "Failed" and "Unexpected exception" in info["errorMessage"]


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        (
            "SELECT Id, BillingAddress FROM Account",
            "API_ERROR",
            "Selecting compound data not supported in Bulk Query",
        ),
        (
            "SELECT Id, Name FROM Attachment",
            "INVALIDENTITY",
            "Entity 'Attachment' is not supported by the Bulk API.",
        ),
        (
            "SELECT FIELDS(STANDARD) FROM Contact",
            "API_ERROR",
            "FIELDS() is not supported in Bulk Query",
        ),
    ],
)
def test_bulk_refuses_compound_fields_and_unsupported_objects(
    bulk: Http, soql: str, code: str, message: str
) -> None:
    response = create(bulk, bulk.token(), soql)
    assert error_of(response) == (400, code, message)


def test_a_hidden_field_in_a_bulk_query_is_an_invalid_field(bulk: Http) -> None:
    token = bulk.token("restricted@sfimport-demo.example")
    status, code, message = error_of(create(bulk, token, "SELECT Id, Phone FROM Account"))
    assert (status, code) == (400, "INVALID_FIELD") and "No such column 'Phone'" in message


def test_same_seed_gives_byte_identical_pages() -> None:
    bodies = []
    for _ in range(2):
        http = Http(fresh_org())
        http.post("/__emulator__/bulk", json={"delay_seconds": 0})
        token = http.token()
        job = create(http, token, "SELECT Id, Name, AnnualRevenue, CreatedDate FROM Account")
        bodies.append(http.get(f"{JOBS}/{job.json()['id']}/results", token=token).content)
    assert bodies[0] == bodies[1] and len(bodies[0]) > 10_000


def test_a_scaled_object_is_served_whole_over_several_pages() -> None:
    org = fresh_org(scale={"Account": 200_000})
    http = Http(org)
    http.post("/__emulator__/bulk", json={"delay_seconds": 0})
    token = http.token()
    job = create(http, token, "SELECT Id, Name, CreatedDate FROM Account", operation="queryAll")
    result = pages(http, token, job.json()["id"], max_records=50_000)
    assert [len(rows) - 1 for rows, _ in result] == [50_000] * 4
    ids = [row[0] for rows, _ in result for row in rows[1:]]
    assert len(set(ids)) == 200_000 == org.tables["Account"].num_rows


def test_an_ordered_page_keeps_its_order_when_its_rows_span_a_contiguous_range() -> None:
    # Four new rows sit next to each other in storage; ORDER BY Name permutes them inside
    # that range, so the page must follow the sort, not the storage order.
    http = Http(fresh_org())
    http.post("/__emulator__/bulk", json={"delay_seconds": 0})
    names = ["zz-order-a", "zz-order-c", "zz-order-b", "zz-order-d"]
    inserted = http.post(
        "/__emulator__/records/Account", json={"insert": [{"Name": n} for n in names]}
    )
    assert inserted.status_code == 200, inserted.text
    token = http.token()
    soql = "SELECT Name FROM Account WHERE Name LIKE 'zz-order-%' ORDER BY Name"
    job = create(http, token, soql).json()
    ((rows, _),) = pages(http, token, job["id"])
    assert [row[0] for row in rows[1:]] == sorted(names)
