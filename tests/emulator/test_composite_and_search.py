"""Composite reads and SOSL search compared with the recordings (CumulusCI's composite
answers, SwiftlySalesforce's search results, restforce's MALFORMED_SEARCH body)."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.emulator.conftest import Http, V, error_of
from tests.emulator.test_conformance import Recording, assert_recorded_headers, assert_same_shape
from tests.salesforce.recordings import recordings_dir

COMPOSITE = (
    "rest-query/cumulusci__POST_composite_count_sobjects__200.yaml",
    "errors/cumulusci__POST_composite__subrequest_400_INVALID_TYPE.yaml",
    "errors/cumulusci__POST_composite__subrequest_404_NOT_FOUND.yaml",
)


@pytest.mark.parametrize("recording", COMPOSITE)
def test_composite_replays_the_recorded_requests(
    http: Http, admin_token: str, recording: str
) -> None:
    loaded = yaml.safe_load((recordings_dir() / recording).read_text())
    request = loaded["interactions"][0]["request"]
    recorded = Recording(recording)
    sent = json.loads(request["body"].replace("vxx.0", "v62.0"))
    response = http.post(f"{V}/composite", json=sent, token=admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()["compositeResponse"]
    theirs = recorded.body["compositeResponse"]
    assert len(ours) == len(theirs)
    for mine, real in zip(ours, theirs, strict=True):
        assert list(mine) == list(real)  # body, httpHeaders, httpStatusCode, referenceId
        assert (mine["httpStatusCode"], mine["referenceId"]) == (
            real["httpStatusCode"],
            real["referenceId"],
        )
        if real["httpStatusCode"] >= 400:
            # Error bodies word for word, keys in the recorded order.
            assert mine["body"] == real["body"]
            assert [list(e) for e in mine["body"]] == [list(e) for e in real["body"]]
        else:
            assert_same_shape(mine["body"], real["body"])
    count = http.query("SELECT COUNT() FROM Account", admin_token).json()["totalSize"]
    if "count_sobjects" in recording:
        assert ours[0]["body"]["totalSize"] == count


def test_composite_batch_reads_describes_and_halts_on_error(http: Http, admin_token: str) -> None:
    body = {
        "haltOnError": True,
        "batchRequests": [
            {"method": "GET", "url": "/services/data/v62.0/sobjects/Account/describe"},
            {"method": "GET", "url": "v62.0/sobjects/Nope__c/describe"},
            {"method": "GET", "url": "v62.0/sobjects/Contact/describe"},
        ],
    }
    answer = http.post(f"{V}/composite/batch", json=body, token=admin_token)
    assert answer.status_code == 200
    batch = answer.json()
    assert batch["hasErrors"] is True
    statuses = [r["statusCode"] for r in batch["results"]]
    assert statuses == [200, 404, 412]
    direct = http.get(f"{V}/sobjects/Account/describe", token=admin_token).json()
    assert batch["results"][0]["result"] == direct
    body["haltOnError"] = False
    rest = http.post(f"{V}/composite/batch", json=body, token=admin_token).json()
    assert [r["statusCode"] for r in rest["results"]] == [200, 404, 200]
    too_many = {"batchRequests": [body["batchRequests"][0]] * 26}
    assert error_of(http.post(f"{V}/composite/batch", json=too_many, token=admin_token))[:2] == (
        400,
        "LIMIT_EXCEEDED",
    )


def test_composite_sobjects_reads_records_by_id_in_order(http: Http, admin_token: str) -> None:
    rows = http.query("SELECT Id, Name FROM Account LIMIT 2", admin_token).json()["records"]
    ids = [rows[1]["Id"], "001000000000000AAA", rows[0]["Id"]]
    got = http.get(
        f"{V}/composite/sobjects/Account",
        params={"ids": ",".join(ids), "fields": "Id,Name"},
        token=admin_token,
    ).json()
    assert [r and r["Name"] for r in got] == [rows[1]["Name"], None, rows[0]["Name"]]
    posted = http.post(
        f"{V}/composite/sobjects/Account", json={"ids": ids, "fields": ["Name"]}, token=admin_token
    ).json()
    assert [r and r["Id"] for r in posted] == [ids[0], None, ids[2]]


def test_search_matches_the_recorded_shape(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/swiftlysalesforce__search_results.json")
    name = http.query("SELECT LastName FROM Contact LIMIT 1", admin_token).json()["records"][0]
    term = name["LastName"][:4]
    sosl = (
        f"FIND {{{term}}} IN ALL FIELDS RETURNING Contact(FirstName, LastName, Department), "
        "Account(Name, BillingCity, NumberOfEmployees)"
    )
    found = http.get(f"{V}/search", params={"q": sosl}, token=admin_token).json()
    assert set(found) == set(recorded.body)
    contacts = [r for r in found["searchRecords"] if r["attributes"]["type"] == "Contact"]
    assert contacts and all(term.lower() in json.dumps(r).lower() for r in contacts)
    real_contact = next(r for r in recorded.body["searchRecords"] if "LastName" in r)
    assert_same_shape(contacts[0], real_contact)
    limited = http.get(
        f"{V}/search",
        params={"q": f"FIND {{{term}}} RETURNING Contact(Id LIMIT 1)"},
        token=admin_token,
    ).json()
    assert len(limited["searchRecords"]) == 1


def test_a_search_without_braces_is_the_recorded_malformed_search(
    http: Http, admin_token: str
) -> None:
    recorded = Recording("errors/restforce__400_MALFORMED_SEARCH.json")
    answer = http.get(f"{V}/search", params={"q": "FIND Acme"}, token=admin_token)
    assert answer.status_code == 400
    assert answer.json() == recorded.body


def test_a_child_subquery_matches_the_recording(http: Http, admin_token: str) -> None:
    recorded = Recording("rest-query/cumulusci__GET_query_child_subquery__200.yaml")
    # The demo org's Opportunity has no ContactId, so Contact's child relationship here is
    # Cases (Case.ContactId, and Case has Subject, not Name); otherwise the recorded query.
    soql = recorded.soql.replace("select Name from Opportunities", "select Subject from Cases")
    assert soql != recorded.soql
    soql += " LIMIT 200"  # the recorded org had 17 contacts: one page, no nextRecordsUrl
    response = http.query(soql, admin_token)
    assert_recorded_headers(response, recorded)
    ours = response.json()
    assert_same_shape(
        ours, json.loads(json.dumps(recorded.body).replace('"Opportunities"', '"Cases"'))
    )
    records = ours["records"]
    assert all(list(r) == ["attributes", "FirstName", "Cases"] for r in records)
    # A contact without cases has null there, as the recording shows for opportunities.
    assert any(r["Cases"] is None for r in records)
    assert any(r["Cases"] is not None for r in records)
    accounts = http.query(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName LIMIT 2) FROM Account "
        "LIMIT 20",
        admin_token,
    ).json()["records"]
    with_children = [a for a in accounts if a["Contacts"] is not None]
    assert with_children
    for account in with_children:
        nested = account["Contacts"]
        assert list(account) == ["attributes", "Name", "Contacts"]
        assert nested["done"] is True and 1 <= nested["totalSize"] == len(nested["records"]) <= 2
        names = [c["LastName"] for c in nested["records"]]
        assert names == sorted(names)
        assert nested["records"][0]["attributes"]["type"] == "Contact"
        account_id = account["attributes"]["url"].rsplit("/", 1)[-1]
        direct = http.query(
            f"SELECT COUNT() FROM Contact WHERE AccountId = '{account_id}'", admin_token
        ).json()["totalSize"]
        assert nested["totalSize"] == min(2, direct)


def test_an_unknown_child_relationship_is_invalid_type(http: Http, admin_token: str) -> None:
    answer = http.query("SELECT Name, (SELECT Id FROM Nopes) FROM Account", admin_token)
    status, code, message = error_of(answer)
    assert (status, code) == (400, "INVALID_TYPE")
    assert "Didn't understand relationship 'Nopes'" in message


def test_includes_and_excludes_on_a_multipicklist(http: Http, admin_token: str) -> None:
    rows = http.query("SELECT Id, Tags__c FROM Project__c", admin_token).json()["records"]
    tags = {r["Id"]: set((r["Tags__c"] or "").split(";")) - {""} for r in rows}

    def ids(where: str) -> set[str]:
        soql = f"SELECT Id FROM Project__c WHERE {where}"
        answer = http.query(soql, admin_token)
        assert answer.status_code == 200, answer.text
        return {r["Id"] for r in answer.json()["records"]}

    either = {i for i, t in tags.items() if "Analytics" in t or "Training" in t}
    both = {i for i, t in tags.items() if {"Analytics", "Migration"} <= t}
    assert either and ids("Tags__c INCLUDES ('Analytics', 'Training')") == either
    assert ids("Tags__c includes ('Analytics;Migration')") == both
    assert ids("Tags__c EXCLUDES ('Analytics')") == {
        i for i, t in tags.items() if "Analytics" not in t
    }
    status, code, _ = error_of(
        http.query("SELECT Id FROM Project__c WHERE Name INCLUDES ('x')", admin_token)
    )
    assert (status, code) == (400, "INVALID_FIELD")


def test_a_semi_join_selects_parents_by_their_children(http: Http, admin_token: str) -> None:
    cases = http.query("SELECT AccountId FROM Case WHERE AccountId != null", admin_token).json()
    live = {r["Id"] for r in http.query("SELECT Id FROM Account", admin_token).json()["records"]}
    assert cases["done"] and len(live) < 2000  # one page each
    # Cases of deleted accounts point at rows the outer query does not see.
    with_cases = {r["AccountId"] for r in cases["records"]} & live
    assert with_cases
    semi = http.query(
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Case)", admin_token
    ).json()
    assert {r["Id"] for r in semi["records"]} == with_cases
    anti = http.query(
        "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Case)", admin_token
    ).json()
    everyone = http.query("SELECT COUNT() FROM Account", admin_token).json()["totalSize"]
    assert anti["totalSize"] == everyone - len(with_cases)
    assert not with_cases & {r["Id"] for r in anti["records"]}
