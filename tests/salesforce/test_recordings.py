"""The client parses every real Salesforce recording that covers an endpoint it calls.

Each recording is replayed through ``httpx2.MockTransport``; the tests check what the client
returns and what it sent, so the client is proven against real output, not only the emulator.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import httpx2
import pytest

from sfimport.errors import (
    ConnectionFailed,
    FieldUnavailable,
    InvalidQuery,
    ResourceNotFound,
)
from sfimport.salesforce import OAuthApp, OAuthClient
from sfimport.salesforce.wire_errors import error_from_rest
from tests.salesforce.conftest import ClientFactory, make_tokens
from tests.salesforce.recordings import Recorded, load, replay, wiremock_body

APP = OAuthApp(client_id="3MVGtest", client_secret="secret", redirect_uri="http://127.0.0.1/cb")


def oauth_client(recorded: Recorded, seen: list[httpx2.Request], status: int = 200) -> OAuthClient:
    http = httpx2.Client(
        transport=httpx2.MockTransport(replay(recorded, seen=seen, default_status=status))
    )
    return OAuthClient(http, "https://login.salesforce.com", APP)


# --- OAuth and identity ---------------------------------------------------------------------


def test_token_response_recording_parses_into_a_token_set() -> None:
    recorded = load("oauth/restforce-db__POST_oauth2_token__password__200.yml")
    # The recording hides its instance host as "<host>"; a real answer names a Salesforce
    # host, and a token answer naming any other host is refused (see test_auth.py).
    recorded = replace(recorded, body=recorded.body.replace("<host>", "na24.salesforce.com"))
    seen: list[httpx2.Request] = []
    tokens = oauth_client(recorded, seen).refresh("5Aep861TSESvWeug_refreshtokenvalue")
    assert tokens.instance_url == "https://na24.salesforce.com"
    assert tokens.org_id == "00D1a000000H3O9EAK"
    assert tokens.user_id == "0051a000000UGT8AAO"
    assert tokens.issued_at == datetime(2015, 6, 25, 21, 53, 28, 465000, tzinfo=UTC)
    # A refresh grant without a new refresh token keeps the old one.
    assert tokens.refresh_token == "5Aep861TSESvWeug_refreshtokenvalue"
    assert seen[0].url.path == "/services/oauth2/token"


def test_authentication_failure_recording_is_the_generic_connection_error() -> None:
    recorded = load("oauth/restforce__auth_error_invalid_grant.json")
    with pytest.raises(ConnectionFailed) as caught:
        oauth_client(recorded, [], status=400).refresh("5Aep861TSESvWeug_refreshtokenvalue")
    assert "authentication failure" in caught.value.message
    assert "create a new connection" in caught.value.remedy


def test_expired_refresh_token_recording_is_the_generic_connection_error() -> None:
    recorded = load("oauth/restforce__refresh_error_invalid_grant.json")
    with pytest.raises(ConnectionFailed) as caught:
        oauth_client(recorded, [], status=400).refresh("5Aep861TSESvWeug_refreshtokenvalue")
    assert caught.value.error_code == "invalid_grant"
    assert "Unblock the app" in caught.value.remedy


@pytest.mark.parametrize(
    ("relative", "user_id", "org_id"),
    [
        (
            "oauth/restforce-db__GET_id_identity__200.yml",
            "0051a000000UGT8AAO",
            "00D1a000000H3O9EAK",
        ),
        ("oauth/swiftlysalesforce__identity.json", "005i00000016AAAAAA", "00Di0000000bAAAAAAA"),
    ],
)
def test_identity_recording_gives_user_and_org(relative: str, user_id: str, org_id: str) -> None:
    seen: list[httpx2.Request] = []
    identity = oauth_client(load(relative), seen).identity(make_tokens())
    assert identity["user_id"] == user_id
    assert identity["organization_id"] == org_id
    assert identity["username"]
    assert seen[0].headers["Authorization"].startswith("Bearer ")


# --- REST basics ----------------------------------------------------------------------------


def test_versions_recording_lists_versions_oldest_first(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []
    client = make_client(replay(load("rest-describe/datahub__GET_versions.json"), seen=seen))
    versions = client.rest.versions()
    assert versions[0]["version"] == "21.0"
    assert versions[-1]["version"] == "54.0"
    assert seen[0].url.path == "/services/data/"


def test_resources_recording_lists_resources_and_reads_api_usage(
    make_client: ClientFactory,
) -> None:
    client = make_client(replay(load("rest-describe/restforce-db__GET_resources_v29__200.yml")))
    resources = client.rest.resources()
    assert {"sobjects", "query", "queryAll", "limits"} <= resources.keys()
    assert client.usage is not None
    assert (client.usage.used, client.usage.max) == (9, 15000)


def test_describe_global_recording_lists_objects_with_flags(make_client: ClientFactory) -> None:
    recorded = load("rest-describe/cumulusci__GET_sobjects_Global_describe__200.yaml")
    seen: list[httpx2.Request] = []
    client = make_client(replay(recorded, seen=seen))
    described = client.rest.describe_global()
    by_name = {item["name"]: item for item in described["sobjects"]}
    assert by_name["Account"]["queryable"] is True
    assert by_name["Account"]["label"] == "Account"
    assert any(name.endswith("ChangeEvent") for name in by_name)
    assert seen[0].url.path == "/services/data/v62.0/sobjects"


DESCRIBES = [
    ("rest-describe/cumulusci__GET_sobjects_Account_describe__200.yaml", "Account"),
    ("rest-describe/cumulusci__GET_sobjects_Account_describe__PersonAccount__200.yaml", "Account"),
    ("rest-describe/cumulusci__GET_sobjects_Case_describe__200.yaml", "Case"),
    ("rest-describe/cumulusci__GET_sobjects_Contact_describe__200.yaml", "Contact"),
    ("rest-describe/cumulusci__GET_sobjects_Event_describe__200.yaml", "Event"),
    ("rest-describe/cumulusci__GET_sobjects_Lead_describe__200.yaml", "Lead"),
    (
        "rest-describe/cumulusci__GET_sobjects_OpportunityContactRole_describe__200.yaml",
        "OpportunityContactRole",
    ),
    ("rest-describe/cumulusci__GET_sobjects_Opportunity_describe__200.yaml", "Opportunity"),
    ("rest-describe/restforce-db__GET_sobjects_Contact_describe__200.yml", "Contact"),
    (
        "rest-describe/restforce-db__GET_sobjects_CustomObjectDetail__c_describe__200.yml",
        "CustomObjectDetail__c",
    ),
    (
        "rest-describe/restforce-db__GET_sobjects_CustomObject__c_describe__200.yml",
        "CustomObject__c",
    ),
    ("rest-describe/force-toolkit-net__User_describe.json", "User"),
    ("rest-describe/swiftlysalesforce__Account_describe.json", "Account"),
]


@pytest.mark.parametrize(
    ("relative", "sobject"), DESCRIBES, ids=[d[0].split("/")[1] for d in DESCRIBES]
)
def test_describe_recording_gives_fields_with_types(
    make_client: ClientFactory, relative: str, sobject: str
) -> None:
    seen: list[httpx2.Request] = []
    client = make_client(replay(load(relative), seen=seen))
    described = client.rest.describe(sobject)
    assert described["name"] == sobject
    fields = {field["name"]: field for field in described["fields"]}
    assert fields["Id"]["type"] == "id"
    assert fields["Id"]["soapType"] == "tns:ID"
    assert all(isinstance(field["nillable"], bool) for field in described["fields"])
    assert seen[0].url.path == f"/services/data/v62.0/sobjects/{sobject}/describe"


# --- SOQL -----------------------------------------------------------------------------------

QUERIES = [
    ("rest-query/cumulusci__GET_query_Account_6_records__200.yaml", 6, "Account"),
    ("rest-query/cumulusci__GET_query_Account_v62__200.yaml", 10, "Account"),
    ("rest-query/cumulusci__GET_query_RecordType__200.yaml", 1, "RecordType"),
    ("rest-query/cumulusci__GET_query_TYPEOF_Event__200.yaml", 3, "Event"),
    ("rest-query/cumulusci__GET_query_child_subquery__200.yaml", 17, "Contact"),
    ("rest-query/restforce-db__GET_query_CustomObject__c__200.yml", 2, "CustomObject__c"),
    ("rest-query/restforce-db__GET_query_detail_records__200.yml", 3, "CustomObjectDetail__c"),
    ("rest-query/snowfakery__GET_query_User__200.yaml", 7, "User"),
]


@pytest.mark.parametrize(
    ("relative", "rows", "sobject"), QUERIES, ids=[q[0].split("/")[1] for q in QUERIES]
)
def test_query_recording_yields_its_records(
    make_client: ClientFactory, relative: str, rows: int, sobject: str
) -> None:
    recorded = load(relative)
    seen: list[httpx2.Request] = []
    client = make_client(replay(recorded, seen=seen))
    soql = httpx2.URL(recorded.uri or "").params["q"]
    records = list(client.rest.records(soql, batch_size=2000))
    assert len(records) == rows
    assert {record["attributes"]["type"] for record in records} == {sobject}
    assert len(seen) == 1
    assert seen[0].url.params["q"] == soql
    assert seen[0].headers["Sforce-Query-Options"] == "batchSize=2000"


def test_child_subquery_recording_keeps_null_for_no_children(make_client: ClientFactory) -> None:
    recorded = load("rest-query/cumulusci__GET_query_child_subquery__200.yaml")
    client = make_client(replay(recorded))
    first = next(
        client.rest.records("select FirstName,(select Name from Opportunities) from Contact")
    )
    assert first["Opportunities"] is None


@pytest.mark.parametrize(
    ("relative", "count"),
    [
        ("rest-query/snowfakery__GET_query_count__200.yaml", 57),
        ("rest-query/cumulusci__POST_composite_count_sobjects__200.yaml", 17),
    ],
)
def test_count_recording_reads_total_size(
    make_client: ClientFactory, relative: str, count: int
) -> None:
    recorded = load(relative)
    body = recorded.json()
    if "compositeResponse" in body:  # the COUNT() answer is the first sub-response's body
        recorded = Recorded(
            name=relative, status=200, body=_dumps(body["compositeResponse"][0]["body"])
        )
    client = make_client(replay(recorded))
    assert client.rest.count("SELECT COUNT() FROM Account") == count


@pytest.mark.parametrize(
    ("relative", "first_key", "first_value"),
    [
        ("rest-query/cumulusci__GET_query_aggregate_count_Id__200.yaml", "expr0", 6),
        ("rest-query/restforce__aggregate_query_avg.json", "expr0", 300.0),
        ("rest-query/swiftlysalesforce__aggregate_query.json", "MyCount", 10),
    ],
)
def test_aggregate_recording_yields_aggregate_rows(
    make_client: ClientFactory, relative: str, first_key: str, first_value: object
) -> None:
    client = make_client(replay(load(relative)))
    rows = list(client.rest.records("SELECT count(Id) FROM Account"))
    assert rows[0]["attributes"] == {"type": "AggregateResult"}
    assert rows[0][first_key] == first_value


def test_updated_recording_gives_ids_and_latest_date(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []
    client = make_client(replay(load("rest-query/restforce__GET_sobjects_updated.json"), seen=seen))
    start = datetime(2015, 8, 18, tzinfo=UTC)
    result = client.rest.updated("Contact", start, datetime(2015, 8, 19, 8, 17, 30, tzinfo=UTC))
    assert len(result["ids"]) == 7
    assert result["latestDateCovered"] == "2015-08-19T08:17:00.000+0000"
    assert seen[0].url.path == "/services/data/v62.0/sobjects/Contact/updated/"
    assert seen[0].url.params["start"] == "2015-08-18T00:00:00+00:00"
    assert seen[0].url.params["end"] == "2015-08-19T08:17:30+00:00"


def test_deleted_recording_gives_deleted_records(make_client: ClientFactory) -> None:
    client = make_client(replay(load("rest-query/restforce__GET_sobjects_deleted.json")))
    start = datetime(2013, 5, 3, tzinfo=UTC)
    result = client.rest.deleted("Custom__c", start, datetime(2013, 5, 8, tzinfo=UTC))
    assert result["deletedRecords"][0]["id"] == "a00D0000008pQRAIA2"
    assert result["earliestDateAvailable"] == "2013-05-03T15:57:00.000+0000"


# --- Limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "max_calls", "remaining"),
    [
        (load("limits/camel__GET_limits.json"), 15000, 14998),
        (wiremock_body("limits/camel-quarkus__GET_limits__wiremock.json"), 15000, 14998),
        (load("limits/swiftlysalesforce__GET_limits.json"), 15000, 14953),
    ],
    ids=["camel", "camel-quarkus", "swiftlysalesforce"],
)
def test_limits_recording_gives_daily_api_requests(
    make_client: ClientFactory, recorded: Recorded, max_calls: int, remaining: int
) -> None:
    limits = make_client(replay(recorded)).rest.limits()
    assert limits["DailyApiRequests"]["Max"] == max_calls
    assert limits["DailyApiRequests"]["Remaining"] == remaining


@pytest.mark.parametrize(
    ("relative", "asked", "expected"),
    [
        ("limits/cumulusci__GET_limits_recordCount_Account__200.yaml", ["Account"], {"Account": 1}),
        ("limits/snowfakery__GET_limits_recordCount_unknown__200.yaml", ["Xyzzy"], {}),
        ("limits/datahub__GET_limits_recordCount_custom.json", ["Property__c"], {"Property__c": 3}),
        ("limits/datahub__GET_limits_recordCount_empty.json", ["Contact"], {}),
    ],
)
def test_record_count_recording_gives_counts_and_omits_unknown(
    make_client: ClientFactory, relative: str, asked: list[str], expected: dict[str, int]
) -> None:
    seen: list[httpx2.Request] = []
    client = make_client(replay(load(relative), seen=seen))
    assert client.rest.record_counts(asked) == expected
    assert seen[0].url.params["sObjects"] == ",".join(asked)


# --- Errors ---------------------------------------------------------------------------------


def test_invalid_type_recording_is_an_invalid_query(make_client: ClientFactory) -> None:
    client = make_client(replay(load("errors/snowfakery__GET_query__400_INVALID_TYPE.yaml")))
    with pytest.raises(InvalidQuery) as caught:
        list(client.rest.records("SELECT Xyzzy FROM Xyzzy"))
    assert caught.value.status == 400
    assert caught.value.error_code == "INVALID_TYPE"
    assert "sObject type 'Xyzzy' is not supported" in caught.value.message


def test_invalid_session_recording_without_refresh_token_is_the_generic_connection_error(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        replay(load("errors/restforce__401_INVALID_SESSION_ID.json"), default_status=401)
    )
    with pytest.raises(ConnectionFailed) as caught:
        client.rest.describe_global()
    assert caught.value.status == 401
    assert "create a new connection" in caught.value.remedy


def test_not_found_describe_recording_is_resource_not_found(make_client: ClientFactory) -> None:
    recorded = load("errors/restforce__404_NOT_FOUND_describe.json")
    client = make_client(replay(recorded, default_status=404))
    with pytest.raises(ResourceNotFound) as caught:
        client.rest.describe("Whizbang")
    assert caught.value.remedy == ResourceNotFound.remedy


def test_invalid_field_recording_on_a_known_field_is_field_unavailable(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        replay(load("errors/restforce__400_INVALID_FIELD_write.json"), default_status=400)
    )
    with pytest.raises(FieldUnavailable) as caught:
        list(client.rest.records("SELECT Id, foo FROM Bar", known_fields=["Id", "Foo"]))
    assert (caught.value.field, caught.value.sobject) == ("foo", "Bar")
    assert "restore the field or its permission" in caught.value.remedy


def test_invalid_field_recording_on_a_new_field_is_an_invalid_query(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        replay(load("errors/restforce__400_INVALID_FIELD_write.json"), default_status=400)
    )
    with pytest.raises(InvalidQuery):
        list(client.rest.records("SELECT Id, foo FROM Bar", known_fields=["Id"]))


@pytest.mark.parametrize(
    ("relative", "status", "error_class", "code"),
    [
        ("errors/restforce__400_MALFORMED_SEARCH.json", 400, InvalidQuery, "MALFORMED_SEARCH"),
        ("errors/restforce__404_NOT_FOUND_external_id.json", 404, ResourceNotFound, "NOT_FOUND"),
        (
            "errors/restforce-db__DELETE_sobject__404_ENTITY_IS_DELETED.yml",
            None,
            ResourceNotFound,
            "ENTITY_IS_DELETED",
        ),
    ],
)
def test_error_body_recording_maps_to_its_class(
    relative: str, status: int | None, error_class: type[Exception], code: str
) -> None:
    recorded = load(relative)
    error = error_from_rest(status or recorded.status or 0, recorded.body.encode())
    assert isinstance(error, error_class)
    assert getattr(error, "error_code", None) == code
    assert error.remedy


@pytest.mark.parametrize(
    ("relative", "error_class", "code"),
    [
        (
            "errors/cumulusci__POST_composite__subrequest_400_INVALID_TYPE.yaml",
            InvalidQuery,
            "INVALID_TYPE",
        ),
        (
            "errors/cumulusci__POST_composite__subrequest_404_NOT_FOUND.yaml",
            ResourceNotFound,
            "NOT_FOUND",
        ),
    ],
)
def test_composite_sub_response_error_recording_maps_to_its_class(
    relative: str, error_class: type[Exception], code: str
) -> None:
    failed = next(
        sub for sub in load(relative).json()["compositeResponse"] if sub["httpStatusCode"] >= 400
    )
    error = error_from_rest(failed["httpStatusCode"], _dumps(failed["body"]).encode())
    assert isinstance(error, error_class)
    assert getattr(error, "error_code", None) == code


# --- Reports --------------------------------------------------------------------------------

REPORT_RUNS = [
    ("reports/salesforce-reporting__run_tabular_basic.json", "TABULAR", "T!T"),
    ("reports/salesforce-reporting__run_summary_basic_single_group.json", "SUMMARY", "0!T"),
    ("reports/salesforce-reporting__run_matrix_basic.json", "MATRIX", "T!T"),
    ("reports/salesforce-reporting__run_matrix_complex.json", "MATRIX", "T!T"),
]


@pytest.mark.parametrize(
    ("relative", "report_format", "fact_key"),
    REPORT_RUNS,
    ids=[r[0].split("__")[1] for r in REPORT_RUNS],
)
def test_report_run_recording_gives_fact_map_and_columns(
    make_client: ClientFactory, relative: str, report_format: str, fact_key: str
) -> None:
    seen: list[httpx2.Request] = []
    recorded = load(relative)
    report_id = recorded.json()["attributes"]["reportId"]
    client = make_client(replay(recorded, seen=seen))
    run = client.reports.run(report_id)
    assert run["reportMetadata"]["reportFormat"] == report_format
    assert fact_key in run["factMap"]
    assert isinstance(run["allData"], bool)
    columns = run["reportMetadata"]["detailColumns"]
    assert set(columns) <= set(run["reportExtendedMetadata"]["detailColumnInfo"])
    detail_rows = [row for entry in run["factMap"].values() for row in entry.get("rows", [])]
    assert all(len(row["dataCells"]) == len(columns) for row in detail_rows)
    assert seen[0].method == "GET"
    assert seen[0].url.path == f"/services/data/v62.0/analytics/reports/{report_id}"
    assert seen[0].url.params["includeDetails"] == "true"


def _dumps(value: object) -> str:
    return json.dumps(value)
