"""REST resources through HTTP: versions, describe, SOQL paging, limits, replication, headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sfimport.emulator import build_demo_org
from sfimport.emulator.catalog import DEFAULT_ROWS
from tests.emulator.conftest import Http, V, error_of, fresh_org
from tests.salesforce.recordings import recordings_dir


def test_versions_need_no_session_and_are_not_counted(http: Http) -> None:
    before = http.get("/__emulator__/state").json()["api_requests"]["used"]
    response = http.get("/services/data/")
    assert response.status_code == 200
    versions = response.json()
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert {"label": "Winter '26", "url": "/services/data/v65.0", "version": "65.0"} in versions
    assert "Sforce-Limit-Info" not in response.headers
    assert http.get("/__emulator__/state").json()["api_requests"]["used"] == before


def test_every_authenticated_response_carries_limit_info_in_salesforce_casing(
    http: Http, admin_token: str
) -> None:
    response = http.get(f"{V}/", token=admin_token)
    names = [name for name, _ in response.headers.raw]
    assert b"Sforce-Limit-Info" in names and b"Content-Type" in names
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    assert response.json()["query"] == "/services/data/v62.0/query"
    assert response.json()["identity"].startswith("https://emu.test/id/00D")


def test_query_pages_through_next_records_url_with_the_batch_size_hint(
    http: Http, admin_token: str
) -> None:
    first = http.query(
        "SELECT Id, Name FROM Contact ORDER BY Id",
        admin_token,
        headers={"Sforce-Query-Options": "batchSize=1000"},
    )
    body = first.json()
    assert body["done"] is False and len(body["records"]) == 1000
    seen = [r["Id"] for r in body["records"]]
    while not body["done"]:
        # nextRecordsUrl is a path fetched with no parameters.
        assert "?" not in body["nextRecordsUrl"] and "/query/01g" in body["nextRecordsUrl"]
        body = http.get(body["nextRecordsUrl"], token=admin_token).json()
        seen += [r["Id"] for r in body["records"]]
    assert "nextRecordsUrl" not in body
    assert len(seen) == len(set(seen)) == body["totalSize"]
    assert seen == sorted(seen)
    assert body["totalSize"] > 2000


def test_query_all_includes_soft_deleted_rows_and_query_does_not(
    http: Http, admin_token: str
) -> None:
    soql = "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true"
    live = http.query(soql, admin_token).json()
    everything = http.query(soql, admin_token, all_rows=True).json()
    assert live["totalSize"] == 0
    assert everything["totalSize"] > 0
    assert all(r["IsDeleted"] is True for r in everything["records"])


def test_where_clause_supports_the_operators_a_connector_emits(
    http: Http, admin_token: str
) -> None:
    soql = (
        "SELECT Id, Name, Industry, AnnualRevenue, CreatedDate, SystemModstamp FROM Account "
        "WHERE (Industry IN ('Banking', 'Energy') OR NOT Name LIKE 'blue%') "
        "AND AnnualRevenue >= 100000 AND Industry != null "
        "AND SystemModstamp >= 2023-01-01T00:00:00.000+00:00 "
        "AND CreatedDate < 2025-06-01T00:00:00Z "
        "ORDER BY SystemModstamp DESC LIMIT 50 OFFSET 5"
    )
    records = http.query(soql, admin_token).json()["records"]
    assert 0 < len(records) <= 50
    stamps = [r["SystemModstamp"] for r in records]
    assert stamps == sorted(stamps, reverse=True)
    for record in records:
        assert record["AnnualRevenue"] >= 100000
        assert record["Industry"] in {"Banking", "Energy"} or not record["Name"].lower().startswith(
            "blue"
        )
        assert record["SystemModstamp"] >= "2023-01-01" and record["CreatedDate"] < "2025-06-01"
        assert record["CreatedDate"].endswith(".000+0000")


def test_string_equality_is_case_insensitive_and_not_equal_keeps_nulls(
    http: Http, admin_token: str
) -> None:
    total = http.query("SELECT COUNT() FROM Account", admin_token).json()["totalSize"]
    rated = http.query("SELECT COUNT() FROM Account WHERE Rating = 'HOT'", admin_token).json()
    others = http.query("SELECT COUNT() FROM Account WHERE Rating != 'hot'", admin_token).json()
    assert rated["totalSize"] > 0
    assert rated["totalSize"] + others["totalSize"] == total


def test_date_literals_are_relative_to_the_org_clock(http: Http, admin_token: str) -> None:
    # The frozen clock is 2026-03-02; every record was created before 2025-12-01.
    recent = http.query(
        "SELECT COUNT() FROM Contact WHERE CreatedDate = LAST_N_DAYS:30", admin_token
    ).json()
    older = http.query(
        "SELECT COUNT() FROM Contact WHERE CreatedDate < LAST_N_DAYS:30", admin_token
    ).json()
    assert recent["totalSize"] == 0 and older["totalSize"] > 0


def test_count_and_aggregate_count_shapes(http: Http, admin_token: str) -> None:
    count = http.query("SELECT COUNT() FROM Account", admin_token).json()
    assert count["records"] == [] and count["done"] is True and count["totalSize"] > 0
    aggregate = http.query("SELECT COUNT(Id) FROM Account", admin_token).json()
    assert aggregate["records"] == [
        {"attributes": {"type": "AggregateResult"}, "expr0": count["totalSize"]}
    ]


def test_relationship_fields_nest_with_their_own_attributes(http: Http, admin_token: str) -> None:
    records = http.query(
        "SELECT Id, Owner.Name, Account.Name, Account.Owner.Alias FROM Contact LIMIT 20",
        admin_token,
    ).json()["records"]
    with_account = [r for r in records if r["Account"] is not None]
    assert with_account
    account = with_account[0]["Account"]
    assert account["attributes"]["type"] == "Account"
    assert account["attributes"]["url"].startswith("/services/data/v62.0/sobjects/Account/001")
    assert set(account) == {"attributes", "Name", "Owner"}
    assert records[0]["Owner"]["attributes"]["type"] == "User"


def test_compound_and_typed_values_render_like_salesforce(http: Http, admin_token: str) -> None:
    records = http.query(
        "SELECT Site_Location__c, Kickoff_Time__c, Start_Date__c, Budget__c, Is_Billable__c "
        "FROM Project__c WHERE Site_Location__Latitude__s != null AND Kickoff_Time__c != null "
        "LIMIT 1",
        admin_token,
    ).json()["records"]
    record = records[0]
    assert set(record["Site_Location__c"]) == {"latitude", "longitude"}
    assert record["Kickoff_Time__c"].endswith(":00.000Z")
    assert len(record["Start_Date__c"]) == 10
    accounts = http.query("SELECT BillingAddress FROM Account LIMIT 200", admin_token).json()
    addresses = [r["BillingAddress"] for r in accounts["records"]]
    assert None in addresses
    full = next(a for a in addresses if a is not None)
    assert list(full) == [
        "city",
        "country",
        "geocodeAccuracy",
        "latitude",
        "longitude",
        "postalCode",
        "state",
        "street",
    ]


def test_query_json_is_pretty_printed_and_describe_compact(http: Http, admin_token: str) -> None:
    query = http.query("SELECT Id FROM Account LIMIT 1", admin_token)
    assert query.text.startswith('{\n  "totalSize" : 1,\n  "done" : true,\n  "records" : [ {')
    describe = http.get(f"{V}/sobjects/Account/describe", token=admin_token)
    assert describe.text.startswith('{"actionOverrides":[],')


def test_describe_lists_every_field_type_a_connector_meets(http: Http, admin_token: str) -> None:
    types: set[str] = set()
    for name in ("Account", "Project__c", "Attachment", "Contact", "Opportunity"):
        fields = http.get(f"{V}/sobjects/{name}/describe", token=admin_token).json()["fields"]
        assert all(len(f) == 57 for f in fields)
        types |= {f["type"] for f in fields}
    assert {
        "id",
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "boolean",
        "int",
        "double",
        "currency",
        "percent",
        "date",
        "datetime",
        "time",
        "reference",
        "address",
        "location",
        "base64",
        "encryptedstring",
    } <= types
    project = http.get(f"{V}/sobjects/Project__c/describe", token=admin_token).json()
    formulas = [f for f in project["fields"] if f["calculated"]]
    assert formulas and all(f["calculatedFormula"] for f in formulas)
    lookup = next(f for f in project["fields"] if f["name"] == "Account__c")
    assert lookup["referenceTo"] == ["Account"] and lookup["relationshipName"] == "Account__r"
    account = http.get(f"{V}/sobjects/Account/describe", token=admin_token).json()
    children = {c["relationshipName"] for c in account["childRelationships"]}
    assert {"Contacts", "Opportunities", "Projects__r"} <= children


def test_describe_global_lists_objects_the_product_must_skip(http: Http, admin_token: str) -> None:
    body = http.get(f"{V}/sobjects", token=admin_token).json()
    entries = {e["name"]: e for e in body["sobjects"]}
    assert body["encoding"] == "UTF-8" and body["maxBatchSize"] == 200
    spec = recordings_dir().parent / "spec" / "unsupported-objects.txt"
    with spec.open() as handle:
        unsupported = {line.strip() for line in handle if line.strip() and line[0] != "#"}
    listed = unsupported & set(entries)
    assert len(listed) >= 20
    change_events = [e for name, e in entries.items() if name.endswith("ChangeEvent")]
    assert len(change_events) >= 3
    assert all(
        e["associateEntityType"] == "ChangeEvent" and not e["queryable"] for e in change_events
    )
    assert entries["Project__ChangeEvent"]["associateParentEntity"] == "Project__c"
    assert not entries["ActivityHistory"]["queryable"]
    assert entries["Account"]["queryable"] and entries["Account"]["keyPrefix"] == "001"
    assert entries["Invoice__c"]["custom"] is True


def test_skipped_objects_fail_the_way_a_real_org_does(http: Http, admin_token: str) -> None:
    status, code, message = error_of(http.query("SELECT Id FROM AccountChangeEvent", admin_token))
    assert (status, code) == (400, "INVALID_TYPE_FOR_OPERATION")
    assert message == "entity type AccountChangeEvent does not support query"
    status, code, message = error_of(http.query("SELECT Id FROM ContentDocumentLink", admin_token))
    assert (status, code) == (400, "MALFORMED_QUERY")
    assert message.startswith("Implementation restriction: ContentDocumentLink requires a filter")


def test_limits_and_record_count(http: Http, admin_token: str) -> None:
    limits = http.get(f"{V}/limits", token=admin_token)
    daily = limits.json()["DailyApiRequests"]
    used = int(limits.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])
    assert daily["Max"] == 15000 and daily["Remaining"] == 15000 - used
    counts = http.get(
        f"{V}/limits/recordCount", params={"sObjects": "Account,Xyzzy,Contact"}, token=admin_token
    ).json()
    names = [entry["name"] for entry in counts["sObjects"]]
    assert sorted(names) == ["Account", "Contact"]
    live = http.query("SELECT COUNT() FROM Account", admin_token).json()["totalSize"]
    assert {"count": live, "name": "Account"} in counts["sObjects"]


def test_updated_and_deleted_cover_a_window_in_whole_minutes() -> None:
    http = Http(build_demo_org(clock_start=datetime(2025, 1, 10, 12, tzinfo=UTC)))
    token = http.token()
    params = {"start": "2024-12-15T00:00:30+00:00", "end": "2025-01-01T00:00:00Z"}
    updated = http.get(f"{V}/sobjects/Contact/updated/", params=params, token=token).json()
    assert updated["ids"] and updated["latestDateCovered"] == "2025-01-01T00:00:00.000+0000"
    window = (
        "SELECT COUNT() FROM Contact WHERE SystemModstamp >= 2024-12-15T00:00:00Z "
        "AND SystemModstamp < 2025-01-01T00:00:00Z"
    )
    assert len(updated["ids"]) == http.query(window, token).json()["totalSize"]
    # A record deleted now shows in /deleted once its minute is covered.
    gone = updated["ids"][0]
    http.post("/__emulator__/records/Contact", json={"delete": [gone]})
    http.post("/__emulator__/clock", json={"advance_seconds": 300})
    recent = {"start": "2025-01-01T00:00:00+00:00", "end": "2025-01-11T00:00:00+00:00"}
    deleted = http.get(f"{V}/sobjects/Contact/deleted/", params=recent, token=token).json()
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]
    assert set(deleted["deletedRecords"][0]) == {"id", "deletedDate"}
    assert deleted["earliestDateAvailable"] == "2025-01-01T00:00:00.000+0000"
    backwards = {"start": params["end"], "end": params["start"]}
    status, code, _ = error_of(
        http.get(f"{V}/sobjects/Contact/updated/", params=backwards, token=token)
    )
    assert (status, code) == (400, "INVALID_REPLICATION_DATE")


def test_updated_reaches_back_30_days_and_deleted_15() -> None:
    http = Http(build_demo_org(clock_start=datetime(2025, 1, 10, 12, tzinfo=UTC)))
    token = http.token()
    end = "2025-01-10T00:00:00+00:00"
    for kind, ok, too_old in (
        ("updated", "2024-12-12T00:00:00+00:00", "2024-12-10T00:00:00+00:00"),
        ("deleted", "2024-12-27T00:00:00+00:00", "2024-12-25T00:00:00+00:00"),
    ):
        fine = http.get(
            f"{V}/sobjects/Contact/{kind}/", params={"start": ok, "end": end}, token=token
        )
        assert fine.status_code == 200, fine.text
        refused = http.get(
            f"{V}/sobjects/Contact/{kind}/", params={"start": too_old, "end": end}, token=token
        )
        status, code, message = error_of(refused)
        assert (status, code) == (400, "INVALID_REPLICATION_DATE")
        assert ("30 days" if kind == "updated" else "15 days") in message


@pytest.mark.parametrize("seed", [1, 5])
def test_the_same_seed_gives_byte_identical_answers(seed: int) -> None:
    answers = []
    for _ in range(2):
        http = Http(fresh_org(seed=seed))
        token = http.token()
        bodies = [
            http.get(f"{V}/sobjects", token=token).content,
            http.get(f"{V}/sobjects/Opportunity/describe", token=token).content,
            http.query(
                "SELECT FIELDS_PLACEHOLDER".replace(
                    "FIELDS_PLACEHOLDER",
                    "Id, Name, Amount, CloseDate, Account.Name, CreatedDate FROM Opportunity",
                ),
                token,
            ).content,
            http.query("SELECT Id, Tags__c, Site_Location__c FROM Project__c", token).content,
        ]
        first = http.query("SELECT Id FROM Contact", token).json()
        bodies.append(http.get(first["nextRecordsUrl"], token=token).content)
        answers.append(bodies)
    assert answers[0] == answers[1]


def test_scale_changes_one_object_and_leaves_the_others_alone() -> None:
    base = fresh_org()
    scaled = fresh_org(scale={"Lead": 50})
    assert scaled.tables["Lead"].num_rows == 50
    assert base.tables["Lead"].num_rows == DEFAULT_ROWS["Lead"]
    assert scaled.tables["Case"].equals(base.tables["Case"])


@pytest.mark.parametrize("resource", ["sobjects", "query?q=SELECT+Id+FROM+Account", "jobs/query"])
def test_a_retired_version_is_gone_and_a_version_newer_than_the_org_is_not_found(
    http: Http, admin_token: str, resource: str
) -> None:
    retired = http.get(f"/services/data/v30.0/{resource}", token=admin_token)
    assert error_of(retired)[:2] == (410, "GONE")
    too_new = http.get(f"/services/data/v67.0/{resource}", token=admin_token)
    assert error_of(too_new) == (404, "NOT_FOUND", "The requested resource does not exist")


def _describe_names(http: Http, token: str, sobject: str) -> list[str]:
    fields = http.get(f"{V}/sobjects/{sobject}/describe", token=token).json()["fields"]
    return [f["name"] for f in fields]


def test_fields_standard_selects_every_visible_standard_field_without_a_limit(
    http: Http, admin_token: str
) -> None:
    body = http.query("SELECT FIELDS(STANDARD) FROM Account", admin_token).json()
    assert body["totalSize"] > 0
    names = _describe_names(http, admin_token, "Account")
    record = body["records"][0]
    assert list(record)[1:] == [n for n in names if not n.endswith(("__c", "__s"))]


def test_fields_all_and_custom_need_a_limit_of_at_most_200(http: Http, admin_token: str) -> None:
    for soql in ("SELECT FIELDS(ALL) FROM Invoice__c", "SELECT FIELDS(CUSTOM) FROM Invoice__c"):
        for tail in ("", " LIMIT 201"):
            status, code, message = error_of(http.query(soql + tail, admin_token))
            assert (status, code) == (400, "MALFORMED_QUERY")
            assert message.endswith("The SOQL FIELDS function must have a LIMIT of at most 200")
    names = _describe_names(http, admin_token, "Invoice__c")
    every = http.query("SELECT FIELDS(ALL) FROM Invoice__c LIMIT 200", admin_token).json()
    assert list(every["records"][0])[1:] == names
    custom = http.query("SELECT Id, FIELDS(CUSTOM) FROM Invoice__c LIMIT 3", admin_token).json()
    assert list(custom["records"][0])[1:] == ["Id", *[n for n in names if n.endswith("__c")]]


def test_a_field_selected_twice_is_a_duplicate_field_error(http: Http, admin_token: str) -> None:
    status, code, message = error_of(
        http.query("SELECT Name, FIELDS(STANDARD) FROM Account", admin_token)
    )
    # As the FIELDS() documentation shows it: INVALID_FIELD, no caret block.
    assert (status, code, message) == (400, "INVALID_FIELD", "duplicate field selected: Name")
    status, code, message = error_of(http.query("SELECT Id, Name, id FROM Account", admin_token))
    assert (status, code, message) == (400, "INVALID_FIELD", "duplicate field selected: Id")
