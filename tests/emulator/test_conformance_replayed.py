"""The recordings that were only replayed into the client, now compared with what the emulator
answers to the same request (keys, value types, nesting, status and the headers clients read),
and a ledger saying, for every file in shared/recordings, which test compares it or why none
can."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.conftest import Http, V, error_of, fresh_org
from tests.emulator.test_conformance import (
    RECORDINGS,
    Recording,
    assert_recorded_headers,
    assert_same_shape,
)

#: Every recording, with the emulator test comparing it or why it cannot be compared.
LEDGER: dict[str, str] = {
    "bulk1/snowfakery__bulk1_query_job_lifecycle.yaml": "test_bulk1.py",
    "errors/cumulusci__POST_composite__subrequest_400_INVALID_TYPE.yaml": (
        "test_composite_and_search.py"
    ),
    "errors/cumulusci__POST_composite__subrequest_404_NOT_FOUND.yaml": (
        "test_composite_and_search.py"
    ),
    "errors/restforce-db__DELETE_sobject__404_ENTITY_IS_DELETED.yml": "here",
    "errors/restforce__400_INVALID_FIELD_write.json": "here",
    "errors/restforce__400_MALFORMED_SEARCH.json": "test_composite_and_search.py",
    "errors/restforce__401_INVALID_SESSION_ID.json": "test_conformance.py",
    "errors/restforce__404_NOT_FOUND_describe.json": "test_conformance.py",
    "errors/restforce__404_NOT_FOUND_external_id.json": "here",
    "errors/snowfakery__GET_query__400_INVALID_TYPE.yaml": "test_conformance.py",
    "limits/camel-quarkus__GET_limits__wiremock.json": "here",
    "limits/camel__GET_limits.json": "test_conformance.py",
    "limits/cumulusci__GET_limits_recordCount_Account__200.yaml": "test_conformance.py",
    "limits/datahub__GET_limits_recordCount_custom.json": "test_conformance.py",
    "limits/datahub__GET_limits_recordCount_empty.json": "test_conformance.py",
    "limits/snowfakery__GET_limits_recordCount_unknown__200.yaml": "test_conformance.py",
    "limits/swiftlysalesforce__GET_limits.json": "test_conformance.py",
    "oauth/restforce-db__GET_id_identity__200.yml": "test_conformance.py",
    "oauth/restforce-db__POST_oauth2_token__password__200.yml": "test_conformance.py",
    "oauth/restforce__auth_error_invalid_grant.json": "test_conformance.py",
    "oauth/restforce__refresh_error_invalid_grant.json": "test_conformance.py",
    "oauth/swiftlysalesforce__identity.json": "test_conformance.py",
    "reports/salesforce-reporting__run_matrix_basic.json": "test_reports.py",
    "reports/salesforce-reporting__run_matrix_complex.json": "here",
    "reports/salesforce-reporting__run_summary_basic_single_group.json": "test_reports.py",
    "reports/salesforce-reporting__run_tabular_basic.json": "test_reports.py",
    "rest-describe/cumulusci__GET_sobjects_Account_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_Account_describe__PersonAccount__200.yaml": (
        "test_conformance.py"
    ),
    "rest-describe/cumulusci__GET_sobjects_Case_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_Contact_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_Event_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_Global_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_Lead_describe__200.yaml": "test_conformance.py",
    "rest-describe/cumulusci__GET_sobjects_OpportunityContactRole_describe__200.yaml": (
        "none: the demo org has no OpportunityContactRole object (the product does not import "
        "it); the describe shape itself is compared through the eight other object describes"
    ),
    "rest-describe/cumulusci__GET_sobjects_Opportunity_describe__200.yaml": "test_conformance.py",
    "rest-describe/datahub__GET_versions.json": "test_conformance.py",
    "rest-describe/force-toolkit-net__User_describe.json": "test_conformance.py",
    "rest-describe/restforce-db__GET_resources_v29__200.yml": "test_conformance.py",
    "rest-describe/restforce-db__GET_sobjects_Contact_describe__200.yml": "test_conformance.py",
    "rest-describe/restforce-db__GET_sobjects_CustomObjectDetail__c_describe__200.yml": (
        "test_conformance.py"
    ),
    "rest-describe/restforce-db__GET_sobjects_CustomObject__c_describe__200.yml": (
        "test_conformance.py"
    ),
    "rest-describe/swiftlysalesforce__Account_describe.json": "test_conformance.py",
    "rest-query/cumulusci__GET_query_Account_6_records__200.yaml": "test_conformance.py",
    "rest-query/cumulusci__GET_query_Account_v62__200.yaml": "test_conformance.py",
    "rest-query/cumulusci__GET_query_RecordType__200.yaml": (
        "none: the demo org has no record types (RecordType is not an object it serves, so the "
        "query answers INVALID_TYPE); the query-result shape is compared by the other queries"
    ),
    "rest-query/cumulusci__GET_query_TYPEOF_Event__200.yaml": "test_conformance.py",
    "rest-query/cumulusci__GET_query_aggregate_count_Id__200.yaml": "test_conformance.py",
    "rest-query/cumulusci__GET_query_child_subquery__200.yaml": "test_composite_and_search.py",
    "rest-query/cumulusci__GET_sobjects_Organization_record__200.yaml": "here",
    "rest-query/cumulusci__POST_composite_count_sobjects__200.yaml": (
        "test_composite_and_search.py"
    ),
    "rest-query/datahub__GET_tooling_query_CustomObject.json": (
        "none: the emulator does not serve the Tooling API (/tooling/query); the product "
        "never calls it"
    ),
    "rest-query/restforce-db__GET_query_CustomObject__c__200.yml": "here",
    "rest-query/restforce-db__GET_query_detail_records__200.yml": "test_conformance.py",
    "rest-query/restforce__GET_listview_results.json": (
        "none: the emulator does not serve list views (/sobjects/X/listviews/ID/results); the "
        "product never calls them"
    ),
    "rest-query/restforce__GET_sobjects_deleted.json": "test_conformance.py",
    "rest-query/restforce__GET_sobjects_updated.json": "test_conformance.py",
    "rest-query/restforce__aggregate_query_avg.json": "test_conformance.py",
    "rest-query/snowfakery__GET_query_User__200.yaml": "test_conformance.py",
    "rest-query/snowfakery__GET_query_count__200.yaml": "test_conformance.py",
    "rest-query/swiftlysalesforce__GET_sobject_Account_record.json": "here",
    "rest-query/swiftlysalesforce__aggregate_query.json": "test_conformance.py",
    "rest-query/swiftlysalesforce__search_results.json": "test_composite_and_search.py",
}


def test_the_ledger_covers_every_recording_and_names_real_tests() -> None:
    on_disk = {
        str(path.relative_to(RECORDINGS))
        for path in RECORDINGS.rglob("*")
        if path.is_file() and path.suffix in {".json", ".yaml", ".yml"}
    }
    assert on_disk == set(LEDGER)
    here = __file__.rsplit("/", 1)[0]
    for name, where in LEDGER.items():
        if where == "here" or where.startswith("none: "):
            continue
        with open(f"{here}/{where}", encoding="utf-8") as source:
            text = source.read()
        assert name.rsplit("/", 1)[1] in text or name.rsplit("__", 1)[0].split("/")[1] in text, (
            name,
            where,
        )


def test_a_deleted_record_answers_entity_is_deleted_as_recorded() -> None:
    recorded = Recording("errors/restforce-db__DELETE_sobject__404_ENTITY_IS_DELETED.yml")
    http = Http(fresh_org())
    token = http.token()
    some = http.query("SELECT Id FROM Invoice__c LIMIT 1", token).json()["records"][0]["Id"]
    http.post("/__emulator__/records/Invoice__c", json={"delete": [some]})
    # The recording is a DELETE; the emulator is read-only, and a GET of a record in the
    # recycle bin answers the same error.
    response = http.get(f"{V}/sobjects/Invoice__c/{some}", token=token)
    assert_recorded_headers(response, recorded)
    assert response.json() == recorded.body


def test_an_invalid_field_has_the_recorded_error_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("errors/restforce__400_INVALID_FIELD_write.json")
    response = http.query("SELECT Id, foo FROM Account", admin_token)
    assert response.status_code == 400
    assert_same_shape(response.json(), recorded.body)
    assert response.json()[0]["errorCode"] == recorded.body[0]["errorCode"]


def test_an_unknown_external_id_field_answers_the_recorded_error(
    http: Http, admin_token: str
) -> None:
    recorded = Recording("errors/restforce__404_NOT_FOUND_external_id.json")
    response = http.get(f"{V}/sobjects/Account/23foo/1234", token=admin_token)
    assert response.status_code == 404
    assert response.json() == recorded.body


def test_an_id_lookup_field_finds_the_record(http: Http, admin_token: str) -> None:
    some = http.query("SELECT Id, Name FROM Account LIMIT 1", admin_token).json()["records"][0]
    response = http.get(f"{V}/sobjects/Account/Id/{some['Id']}", token=admin_token)
    assert response.status_code == 200, response.text
    assert response.json()["Name"] == some["Name"]
    missing = http.get(f"{V}/sobjects/Account/Id/0018W000000XXXXQAA", token=admin_token)
    assert error_of(missing)[:2] == (404, "NOT_FOUND")


def test_limits_hold_every_key_of_the_wiremock_capture(http: Http, admin_token: str) -> None:
    mapping = Recording("limits/camel-quarkus__GET_limits__wiremock.json").body
    recorded = json.loads(mapping["response"]["body"])
    ours = http.get(f"{V}/limits", token=admin_token).json()
    # DailyBulkApiRequests was renamed DailyBulkApiBatches in later releases.
    assert set(recorded) - {"DailyBulkApiRequests"} <= set(ours)
    for key in set(recorded) & set(ours):
        assert_same_shape(ours[key], recorded[key], key, subset=True)


def test_a_record_get_has_the_recorded_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/swiftlysalesforce__GET_sobject_Account_record.json").body
    some = http.query("SELECT Id FROM Account LIMIT 1", admin_token).json()["records"][0]["Id"]
    response = http.get(f"{V}/sobjects/Account/{some}", token=admin_token)
    assert response.status_code == 200
    ours = response.json()
    assert list(ours)[:2] == list(recorded)[:2] == ["attributes", "Id"]
    assert set(ours["attributes"]) == set(recorded["attributes"])
    shared = set(ours) & set(recorded)
    # The recording's org has custom fields of its own; the demo's Account lacks these
    # standard fields (Data.com, Recent Items, merge and photo), every other one is shared.
    missing = {k for k in recorded if not k.endswith("__c")} - set(ours)
    assert missing == {
        "JigsawCompanyId",
        "LastReferencedDate",
        "LastViewedDate",
        "MasterRecordId",
        "PhotoUrl",
    }
    assert len(shared) > 40
    for key in shared:
        assert_same_shape(ours[key], recorded[key], key)


def test_the_organization_record_has_the_recorded_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/cumulusci__GET_sobjects_Organization_record__200.yaml")
    org_id = http.org.org_id
    response = http.get(f"{V}/sobjects/Organization/{org_id}", token=admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert set(ours["attributes"]) == set(recorded.body["attributes"])
    shared = set(ours) & set(recorded.body)
    assert {"Id", "Name", "OrganizationType", "IsSandbox", "InstanceName"} <= shared
    for key in shared:
        assert_same_shape(ours[key], recorded.body[key], key)


def test_a_custom_object_query_has_the_recorded_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/restforce-db__GET_query_CustomObject__c__200.yml")
    # CustomObject__c's text fields map to the demo's Project__c: same types, other names.
    mapped = {"SynchronizationId__c": "Status_Label__c", "Example_Field__c": "Notes__c"}
    soql = recorded.soql.replace("CustomObject__c", "Project__c")
    for theirs, ours_name in mapped.items():
        soql = soql.replace(theirs, ours_name)
    response = http.query(soql, admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert set(ours) == set(recorded.body)
    theirs_record = {mapped.get(k, k): v for k, v in recorded.body["records"][0].items()}
    record = ours["records"][0]
    assert list(record) == list(theirs_record)
    assert_same_shape(record, theirs_record)


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


def test_a_two_level_matrix_run_has_the_recorded_shape(http: Http, admin_token: str) -> None:
    real = json.loads(
        (RECORDINGS / "reports/salesforce-reporting__run_matrix_complex.json").read_text()
    )
    reports = http.get(f"{V}/analytics/reports", token=admin_token).json()
    report = next(r for r in reports if r["name"] == "Pipeline by Stage and Close Month")
    response = http.get(f"{V}/analytics/reports/{report['id']}", token=admin_token)
    assert response.status_code == 200, response.text
    ours = response.json()
    assert set(ours) == set(real)
    assert ours["reportMetadata"]["reportFormat"] == real["reportMetadata"]["reportFormat"]
    assert _keys(real["reportMetadata"]) <= _keys(ours["reportMetadata"])
    real_fact = next(iter(real["factMap"].values()))
    for entry in ours["factMap"].values():
        assert set(entry) == set(real_fact)
    # The capture groups two levels down and across; the demo's matrix one level each way:
    # every node has the recorded keys, the nesting is one level shallower.
    for direction in ("groupingsDown", "groupingsAcross"):
        real_node = real[direction]["groupings"][0]
        assert real_node["groupings"], "the capture nests groupings"
        for our_node in ours[direction]["groupings"]:
            assert set(our_node) == set(real_node)
            assert_same_shape(
                {k: v for k, v in our_node.items() if k != "groupings"},
                {k: v for k, v in real_node.items() if k != "groupings"},
            )
    assert "T!T" in ours["factMap"] and "T!T" in real["factMap"]


@pytest.mark.parametrize("name", [n for n, where in LEDGER.items() if where.startswith("none: ")])
def test_recordings_that_cannot_be_matched_say_why(name: str) -> None:
    assert len(LEDGER[name]) > 40, name
