"""The emulator's answers against responses captured from real orgs (shared/recordings): same
keys, value types, status and recorded headers; only values may differ."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, build_demo_org
from tests.emulator.conftest import ADMIN, Http, V
from tests.salesforce.recordings import recordings_dir

RECORDINGS = recordings_dir()


class Recording:
    def __init__(self, relative: str) -> None:
        path = RECORDINGS / relative
        self.headers: dict[str, list[str]] = {}
        self.status = 200
        self.uri = ""
        if path.suffix in {".yaml", ".yml"}:
            data = yaml.safe_load(path.read_text())
            if "response" in data:
                interaction = data
            else:
                interaction = (data.get("interactions") or data.get("http_interactions"))[0]
            response = interaction["response"]
            self.uri = interaction["request"]["uri"]
            self.status = response["status"]["code"]
            self.headers = {k: v for k, v in response["headers"].items() if isinstance(v, list)}
            self.body: Any = json.loads(response["body"]["string"])
        else:
            self.body = json.loads(path.read_text(encoding="utf-8-sig"))

    @property
    def soql(self) -> str:
        return parse_qs(urlsplit(self.uri).query)["q"][0]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_same_shape(ours: Any, theirs: Any, where: str = "$", subset: bool = False) -> None:
    """Same keys (recursively) and value types; nulls match any type (values differ)."""
    if ours is None or theirs is None:
        return
    assert _kind(ours) == _kind(theirs), f"{where}: {_kind(ours)} != {_kind(theirs)}"
    if isinstance(theirs, dict):
        if subset:
            assert set(theirs) <= set(ours), f"{where}: missing {set(theirs) - set(ours)}"
        else:
            assert set(ours) == set(theirs), f"{where}: {set(ours) ^ set(theirs)}"
        for key in set(ours) & set(theirs):
            assert_same_shape(ours[key], theirs[key], f"{where}.{key}", subset)
    elif isinstance(theirs, list) and ours and theirs:
        assert_same_shape(ours[0], theirs[0], f"{where}[0]", subset)


def assert_recorded_headers(response: Any, recording: Recording) -> None:
    assert response.status_code == recording.status
    for name in ("Content-Type", "Sforce-Limit-Info", "Cache-Control", "Pragma"):
        if name in recording.headers:
            assert name.encode() in [raw for raw, _ in response.headers.raw], name
    if "Content-Type" in recording.headers:
        assert response.headers["Content-Type"] == recording.headers["Content-Type"][0]
    if "Sforce-Limit-Info" in recording.headers:
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_versions_match_the_recorded_list(http: Http) -> None:
    recorded = Recording("rest-describe/datahub__GET_versions.json")
    assert_same_shape(http.get("/services/data/").json(), recorded.body)


def test_resources_of_a_version_hold_every_recorded_key(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-describe/restforce-db__GET_resources_v29__200.yml")
    response = http.get(f"{V}/", token=admin_token)
    assert_recorded_headers(response, recorded)
    # Newer versions list more resources than the recorded v29.0.
    assert_same_shape(response.json(), recorded.body, subset=True)


def test_describe_global_matches(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-describe/cumulusci__GET_sobjects_Global_describe__200.yaml")
    response = http.get(f"{V}/sobjects", token=admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert set(ours) == set(recorded.body)
    entry_keys = set(recorded.body["sobjects"][0])
    assert all(set(entry) == entry_keys for entry in ours["sobjects"])
    recorded_entry = next(e for e in recorded.body["sobjects"] if e["name"] == "Account")
    our_entry = next(e for e in ours["sobjects"] if e["name"] == "Account")
    assert_same_shape(our_entry, recorded_entry)
    recorded_event = next(e for e in recorded.body["sobjects"] if e["name"].endswith("ChangeEvent"))
    our_event = next(e for e in ours["sobjects"] if e["name"] == "AccountChangeEvent")
    assert set(our_event) == set(recorded_event)
    for flag in ("queryable", "replicateable", "retrieveable", "createable", "layoutable"):
        assert our_event[flag] == recorded_event[flag], flag


DESCRIBES = [
    ("cumulusci__GET_sobjects_Account_describe__200.yaml", "Account"),
    ("cumulusci__GET_sobjects_Account_describe__PersonAccount__200.yaml", "Account"),
    ("cumulusci__GET_sobjects_Contact_describe__200.yaml", "Contact"),
    ("cumulusci__GET_sobjects_Lead_describe__200.yaml", "Lead"),
    ("cumulusci__GET_sobjects_Opportunity_describe__200.yaml", "Opportunity"),
    ("cumulusci__GET_sobjects_Case_describe__200.yaml", "Case"),
    ("cumulusci__GET_sobjects_Event_describe__200.yaml", "Event"),
    ("swiftlysalesforce__Account_describe.json", "Account"),
    ("restforce-db__GET_sobjects_CustomObject__c_describe__200.yml", "Project__c"),
    ("restforce-db__GET_sobjects_CustomObjectDetail__c_describe__200.yml", "Invoice__c"),
    ("restforce-db__GET_sobjects_Contact_describe__200.yml", "Contact"),
    ("force-toolkit-net__User_describe.json", "User"),
]


@pytest.mark.parametrize(("recording", "name"), DESCRIBES)
def test_sobject_describe_matches(http: Http, admin_token: str, recording: str, name: str) -> None:
    recorded = Recording(f"rest-describe/{recording}")
    response = http.get(f"{V}/sobjects/{name}/describe", token=admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    # Recordings from before v59 lack the newest object keys (sobjectDescribeOption & co.).
    old = "sobjectDescribeOption" not in recorded.body
    # Object keys grew over versions (v59 added associateEntityType & co.): older recordings
    # must be a subset, current ones equal.
    assert_same_shape(
        {k: v for k, v in ours.items() if k not in {"fields", "urls"}},
        {k: v for k, v in recorded.body.items() if k not in {"fields", "urls"}},
        subset=old,
    )
    # The urls map varies by object and release; the resources every object has must be there.
    core = {"describe", "sobject", "rowTemplate", "layouts", "compactLayouts", "quickActions"}
    assert core & set(recorded.body["urls"]) <= set(ours["urls"])
    recorded_fields = {f["name"]: f for f in recorded.body["fields"]}
    our_fields = {f["name"]: f for f in ours["fields"]}
    for field in ours["fields"]:
        assert set(field) == set(recorded.body["fields"][0]) or old
        assert set(recorded.body["fields"][0]) <= set(field)
    for shared in set(recorded_fields) & set(our_fields):
        assert_same_shape(
            our_fields[shared], recorded_fields[shared], f"field {shared}", subset=old
        )
        if not recorded_fields[shared]["custom"]:
            for key in ("type", "soapType"):
                assert our_fields[shared][key] == recorded_fields[shared][key], (shared, key)


def test_query_matches_the_recorded_v62_query(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/cumulusci__GET_query_Account_v62__200.yaml")
    response = http.query(recorded.soql, admin_token)
    assert_recorded_headers(response, recorded)
    assert_same_shape(response.json(), recorded.body)
    assert response.text.startswith('{\n  "totalSize" : ')


@pytest.mark.parametrize(
    "recording",
    [
        "cumulusci__GET_query_Account_6_records__200.yaml",
        "snowfakery__GET_query_User__200.yaml",
        "cumulusci__GET_query_aggregate_count_Id__200.yaml",
        "snowfakery__GET_query_count__200.yaml",
    ],
)
def test_same_soql_gives_the_recorded_shape(http: Http, admin_token: str, recording: str) -> None:
    recorded = Recording(f"rest-query/{recording}")
    response = http.query(recorded.soql, admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert_same_shape(ours, recorded.body)
    if recorded.body["records"]:
        assert list(ours["records"][0]) == list(recorded.body["records"][0])


def test_custom_object_query_has_the_recorded_shape_and_headers(
    http: Http, admin_token: str
) -> None:
    recorded = Recording("rest-query/restforce-db__GET_query_detail_records__200.yml")
    response = http.query(
        "SELECT Id, SystemModstamp, LastModifiedById, Name, Project__c FROM Invoice__c LIMIT 2",
        admin_token,
    )
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert set(ours) == set(recorded.body)
    mapped = {"CustomObject__c": "Project__c"}
    theirs = {mapped.get(k, k): v for k, v in recorded.body["records"][0].items()}
    assert_same_shape(ours["records"][0], theirs)


def test_limits_match(http: Http, admin_token: str) -> None:
    ours = http.get(f"{V}/limits", token=admin_token).json()
    swiftly = Recording("limits/swiftlysalesforce__GET_limits.json").body
    assert set(ours) == set(swiftly)
    for key, entry in swiftly.items():
        assert isinstance(ours[key]["Max"], int) and isinstance(ours[key]["Remaining"], int)
        assert set(entry) >= {"Max", "Remaining"}
        # Per-app (or per-kind) breakdowns sit under the same entries as in the recording.
        assert (set(ours[key]) > {"Max", "Remaining"}) == (set(entry) > {"Max", "Remaining"}), key
    assert set(ours["PermissionSets"]["CreateCustom"]) == {"Max", "Remaining"}
    older = Recording("limits/camel__GET_limits.json").body
    # DailyBulkApiRequests was renamed DailyBulkApiBatches in later releases.
    assert set(older) - {"DailyBulkApiRequests"} <= set(ours)


@pytest.mark.parametrize(
    ("recording", "param"),
    [
        ("limits/cumulusci__GET_limits_recordCount_Account__200.yaml", "Account"),
        ("limits/snowfakery__GET_limits_recordCount_unknown__200.yaml", "Xyzzy"),
        ("limits/datahub__GET_limits_recordCount_custom.json", "Project__c"),
        ("limits/datahub__GET_limits_recordCount_empty.json", "Xyzzy"),
    ],
)
def test_record_count_matches(http: Http, admin_token: str, recording: str, param: str) -> None:
    recorded = Recording(recording)
    response = http.get(f"{V}/limits/recordCount", params={"sObjects": param}, token=admin_token)
    assert_recorded_headers(response, recorded)
    assert_same_shape(response.json(), recorded.body)
    assert bool(response.json()["sObjects"]) == bool(recorded.body["sObjects"])


def test_updated_and_deleted_match() -> None:
    http = Http(build_demo_org(clock_start=datetime(2025, 1, 10, 12, tzinfo=UTC)))
    token = http.token()
    some = http.query("SELECT Id FROM Contact LIMIT 1", token).json()["records"][0]["Id"]
    http.post("/__emulator__/records/Contact", json={"delete": [some]})
    http.post("/__emulator__/clock", json={"advance_seconds": 300})
    params = {"start": "2024-12-27T00:00:00+00:00", "end": "2025-01-10T12:05:00+00:00"}
    for kind in ("updated", "deleted"):
        recorded = Recording(f"rest-query/restforce__GET_sobjects_{kind}.json")
        ours = http.get(f"{V}/sobjects/Contact/{kind}/", params=params, token=token).json()
        assert ours[next(iter(recorded.body))], ours  # non-empty, as the recording
        assert_same_shape(ours, recorded.body)


@pytest.mark.parametrize(
    ("recording", "path", "soql"),
    [
        ("errors/snowfakery__GET_query__400_INVALID_TYPE.yaml", None, None),
        ("errors/restforce__401_INVALID_SESSION_ID.json", f"{V}/sobjects", None),
        ("errors/restforce__404_NOT_FOUND_describe.json", f"{V}/sobjects/Whizbang/describe", None),
    ],
)
def test_error_bodies_equal_the_recorded_ones(
    http: Http, admin_token: str, recording: str, path: str | None, soql: str | None
) -> None:
    recorded = Recording(recording)
    if path is None:
        response = http.query(recorded.soql, admin_token)
        assert_recorded_headers(response, recorded)
    else:
        token = None if "401" in recording else admin_token
        response = http.get(path, token=token)
    assert response.json() == recorded.body


def test_identity_matches(http: Http) -> None:
    token = http.post("/__emulator__/tokens", json={"username": ADMIN}).json()
    response = http.get(urlsplit(token["id"]).path, token=token["access_token"])
    newer = Recording("oauth/swiftlysalesforce__identity.json")
    assert_same_shape(response.json(), newer.body)
    older = Recording("oauth/restforce-db__GET_id_identity__200.yml")
    assert_recorded_headers(response, older)
    assert_same_shape(response.json(), older.body, subset=True)


def test_token_response_and_errors_match(http: Http) -> None:
    recorded = Recording("oauth/restforce-db__POST_oauth2_token__password__200.yml")
    response = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "username": ADMIN,
            "password": "demo-admin-1",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert_recorded_headers(response, recorded)
    # Current orgs add "scope" to what the 2015 capture shows.
    assert set(response.json()) - set(recorded.body) == {"scope"}
    assert_same_shape(response.json(), recorded.body, subset=True)
    for name in (
        "restforce__auth_error_invalid_grant.json",
        "restforce__refresh_error_invalid_grant.json",
    ):
        error = Recording(f"oauth/{name}").body
        bad = http.post(
            "/services/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": DEMO_CLIENT_ID},
        )
        assert bad.status_code == 400
        assert_same_shape(bad.json(), error)


@pytest.mark.parametrize(
    ("recording", "soql"),
    [
        (
            "restforce__aggregate_query_avg.json",
            "SELECT CampaignId, AVG(Amount) FROM Opportunity GROUP BY CampaignId",
        ),
        (
            "swiftlysalesforce__aggregate_query.json",
            "SELECT WhatId, ActivityDate, Status, COUNT(Id) MyCount FROM Task"
            " GROUP BY WhatId, ActivityDate, Status",
        ),
    ],
)
def test_group_by_gives_the_recorded_aggregate_rows(
    http: Http, admin_token: str, recording: str, soql: str
) -> None:
    recorded = Recording(f"rest-query/{recording}")
    response = http.query(soql, admin_token)
    assert response.status_code == 200, response.text
    ours = response.json()
    assert_same_shape(ours, recorded.body)
    assert ours["totalSize"] == len(ours["records"]) > 1
    for record in ours["records"]:
        assert list(record) == list(recorded.body["records"][0])
        assert record["attributes"] == {"type": "AggregateResult"}


def test_typeof_gives_the_recorded_polymorphic_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/cumulusci__GET_query_TYPEOF_Event__200.yaml")
    response = http.query(recorded.soql, admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert list(ours["records"][0]) == list(recorded.body["records"][0])
    branches = {
        "Contact": ["attributes", "LastName", "Email"],
        "Lead": ["attributes", "LastName", "Company"],
        "Account": ["attributes", "Name", "Description", "Phone", "AccountNumber"],
    }
    seen = set()
    for record in ours["records"]:
        for key in ("Who", "What"):
            related = record[key]
            if related is None:
                continue
            kind = related["attributes"]["type"]
            seen.add(kind)
            assert list(related) == branches.get(kind, ["attributes", "Id"]), (key, kind)
    assert {"Contact", "Account"} <= seen
    recorded_who = recorded.body["records"][0]["Who"]
    who = next(
        r["Who"]
        for r in ours["records"]
        if r["Who"] and r["Who"]["attributes"]["type"] == "Contact"
    )
    assert_same_shape(who, recorded_who)
