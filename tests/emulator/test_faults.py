"""Fault injection and data changes through the control API, each seen through HTTP as
Salesforce shows it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.emulator.conftest import ADMIN, Http, V, error_of, fresh_org

RESTRICTED = "restricted@sfimport-demo.example"


@pytest.fixture
def http() -> Http:
    # Faults change the org: every test gets its own.
    server = Http(fresh_org())
    server.post("/__emulator__/bulk", json={"delay_seconds": 0})
    return server


def tokens(http: Http, username: str = ADMIN) -> dict[str, Any]:
    response = http.post("/__emulator__/tokens", json={"username": username})
    body: dict[str, Any] = response.json()
    return body


def refresh(http: Http, refresh_token: str) -> Any:
    return http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )


def test_revoked_tokens_fail_refresh_with_invalid_grant_and_calls_with_invalid_session(
    http: Http,
) -> None:
    grant = tokens(http)
    assert refresh(http, grant["refresh_token"]).status_code == 200
    assert http.post("/__emulator__/revoke", json={"username": ADMIN}).json()["revoked"] >= 2
    answer = refresh(http, grant["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    call = http.get(f"{V}/limits", token=grant["access_token"])
    assert error_of(call) == (401, "INVALID_SESSION_ID", "Session expired or invalid")


def test_a_blocked_connected_app_refuses_refresh_and_new_codes(http: Http) -> None:
    grant = tokens(http)
    assert http.post("/__emulator__/app", json={"blocked": True}).status_code == 200
    assert refresh(http, grant["refresh_token"]).json()["error"] == "invalid_grant"
    assert error_of(http.get(f"{V}/", token=grant["access_token"]))[:2] == (
        401,
        "INVALID_SESSION_ID",
    )
    code = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": "aPrxanything",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uri": "http://127.0.0.1:8000/oauth/callback",
        },
    )
    assert code.status_code == 400 and code.json()["error"] == "OAUTH_APP_BLOCKED"
    authorize = http.get(
        "/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:8000/oauth/callback",
            "state": "s1",
        },
    )
    assert authorize.status_code == 302
    assert "error=OAUTH_APP_BLOCKED" in authorize.headers["location"]
    assert "state=s1" in authorize.headers["location"]
    http.post("/__emulator__/app", json={"blocked": False})
    assert refresh(http, tokens(http)["refresh_token"]).status_code == 200


def test_disabling_api_for_a_user_gives_api_disabled_for_org(http: Http) -> None:
    token = http.token()
    assert http.get(f"{V}/limits", token=token).status_code == 200
    http.post(
        "/__emulator__/permissions",
        json={"username": ADMIN, "permission": "PermissionsApiEnabled", "enabled": False},
    )
    assert error_of(http.get(f"{V}/limits", token=token))[:2] == (403, "API_DISABLED_FOR_ORG")
    http.post(
        "/__emulator__/permissions",
        json={"username": ADMIN, "permission": "PermissionsApiEnabled", "enabled": True},
    )
    assert http.get(f"{V}/limits", token=token).status_code == 200


def _field_names(http: Http, token: str, sobject: str) -> set[str]:
    body = http.get(f"{V}/sobjects/{sobject}/describe", token=token).json()
    return {f["name"] for f in body["fields"]}


def test_a_field_hidden_by_field_level_security_leaves_describe_and_fails_soql(
    http: Http,
) -> None:
    token = http.token(RESTRICTED)
    assert "Industry" in _field_names(http, token, "Account")
    http.post(
        "/__emulator__/fields",
        json={"action": "hide", "username": RESTRICTED, "object": "Account", "field": "Industry"},
    )
    assert "Industry" not in _field_names(http, token, "Account")
    status, code, message = error_of(http.query("SELECT Id, Industry FROM Account", token))
    assert (status, code) == (400, "INVALID_FIELD") and "^" in message
    # Other users still see it.
    assert "Industry" in _field_names(http, http.token(), "Account")


def test_a_removed_field_is_gone_for_everyone_until_restored(http: Http) -> None:
    token = http.token()
    change = {"object": "Contact", "field": "Title"}
    http.post("/__emulator__/fields", json={"action": "remove", **change})
    assert "Title" not in _field_names(http, token, "Contact")
    assert error_of(http.query("SELECT Id, Title FROM Contact", token))[:2] == (
        400,
        "INVALID_FIELD",
    )
    job = http.post(
        f"{V}/jobs/query",
        json={"operation": "query", "query": "SELECT Id, Title FROM Contact"},
        token=token,
    )
    assert error_of(job)[:2] == (400, "INVALID_FIELD")
    http.post("/__emulator__/fields", json={"action": "restore", **change})
    assert "Title" in _field_names(http, token, "Contact")


def test_an_exhausted_daily_allowance_answers_request_limit_exceeded(http: Http) -> None:
    token = http.token()
    http.post("/__emulator__/limits", json={"max": 100, "remaining": 1})
    assert http.get(f"{V}/", token=token).status_code == 200
    assert error_of(http.get(f"{V}/", token=token)) == (
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )


def test_failing_responses_carry_salesforce_bodies_and_follow_the_seed(http: Http) -> None:
    token = http.token()
    http.post("/__emulator__/faults", json={"error_rate": 1.0, "error_statuses": [503]})
    assert error_of(http.get(f"{V}/", token=token)) == (
        503,
        "SERVER_UNAVAILABLE",
        "Server temporarily unavailable",
    )
    # The control API itself never fails.
    assert http.get("/__emulator__/state").status_code == 200

    def statuses() -> list[int]:
        http.post("/__emulator__/faults", json={"error_rate": 0.4, "seed": 11})
        return [http.get(f"{V}/", token=token).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 500, 503} <= set(first) or {200, 500} <= set(first) or {200, 503} <= set(first)
    http.post("/__emulator__/faults", json={})
    assert http.get(f"{V}/", token=token).status_code == 200


def test_hanging_responses_wait_before_answering(http: Http) -> None:
    token = http.token()
    http.post("/__emulator__/faults", json={"hang_rate": 1.0, "hang_seconds": 0.2})
    started = time.monotonic()
    assert http.get(f"{V}/", token=token).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_expired_query_locators_fail_rest_and_bulk_paging(http: Http) -> None:
    token = http.token()
    first = http.query("SELECT Id FROM Contact", token).json()
    job = http.post(
        f"{V}/jobs/query",
        json={"operation": "query", "query": "SELECT Id FROM Contact"},
        token=token,
    ).json()
    page = http.get(f"{V}/jobs/query/{job['id']}/results?maxRecords=100", token=token)
    locator = page.headers["Sforce-Locator"]
    http.post("/__emulator__/locators/expire")
    assert error_of(http.get(first["nextRecordsUrl"], token=token))[:2] == (
        400,
        "INVALID_QUERY_LOCATOR",
    )
    expired = http.get(f"{V}/jobs/query/{job['id']}/results?locator={locator}", token=token)
    assert error_of(expired)[:2] == (400, "INVALID_QUERY_LOCATOR")


def test_inserts_updates_and_deletes_move_system_modstamp_for_incremental_reads(
    http: Http,
) -> None:
    http.post("/__emulator__/clock", json={"set": "2026-03-05T09:00:00Z"})
    token = http.token()
    inserted = http.post(
        "/__emulator__/records/Contact",
        json={"insert": [{"LastName": "Newman", "FirstName": "Nia", "Email": "nia@example.com"}]},
    ).json()["inserted"]
    new_id = inserted[0]
    since = "SELECT Id, LastName FROM Contact WHERE SystemModstamp >= 2026-03-05T00:00:00Z"
    assert [r["Id"] for r in http.query(since, token).json()["records"]] == [new_id]

    old = http.query("SELECT Id FROM Contact WHERE IsDeleted = false LIMIT 2", token).json()
    old_ids = [r["Id"] for r in old["records"]]
    http.post("/__emulator__/clock", json={"set": "2026-03-05T10:00:00Z"})
    http.post(
        "/__emulator__/records/Contact",
        json={"update": [{"Id": old_ids[0], "LastName": "Changed"}], "delete": [old_ids[1]]},
    )
    changed = http.query(since, token).json()["records"]
    assert {r["Id"]: r["LastName"] for r in changed} == {new_id: "Newman", old_ids[0]: "Changed"}
    gone = http.query(
        f"SELECT Id, IsDeleted, SystemModstamp FROM Contact WHERE Id = '{old_ids[1]}'",
        token,
        all_rows=True,
    ).json()["records"]
    assert gone[0]["IsDeleted"] is True
    assert gone[0]["SystemModstamp"] == "2026-03-05T10:00:00.000+0000"
    # getDeleted covers whole minutes up to now: look a few minutes later.
    http.post("/__emulator__/clock", json={"set": "2026-03-05T10:05:00Z"})
    deleted = http.get(
        f"{V}/sobjects/Contact/deleted",
        params={"start": "2026-03-05T00:00:00+00:00", "end": "2026-03-05T11:00:00+00:00"},
        token=token,
    ).json()
    assert [d["id"] for d in deleted["deletedRecords"]] == [old_ids[1]]


def test_control_requests_naming_unknown_things_are_refused(http: Http) -> None:
    assert http.post("/__emulator__/revoke", json={"username": "nobody"}).status_code == 400
    bad = http.post("/__emulator__/records/Contact", json={"update": [{"Id": "003000000000000"}]})
    assert bad.status_code == 404
    unknown = http.post("/__emulator__/records/Contact", json={"insert": [{"Nope__c": 1}]})
    assert unknown.status_code == 400


def test_changed_records_get_second_precision_stamps_and_blank_strings_become_null() -> None:
    http = Http(fresh_org())
    http.post("/__emulator__/clock", json={"set": "2026-03-05T09:00:00.789Z"})
    token = http.token()
    inserted = http.post(
        "/__emulator__/records/Contact",
        json={"insert": [{"LastName": "Blank", "FirstName": "", "Email": ""}]},
    ).json()["inserted"]
    http.post("/__emulator__/records/Contact", json={"update": [{"Id": inserted[0], "Title": ""}]})
    record = http.query(
        "SELECT FirstName, Email, Title, CreatedDate, SystemModstamp FROM Contact "
        f"WHERE Id = '{inserted[0]}'",
        token,
    ).json()["records"][0]
    # As every recording shows: whole seconds, `.000`.
    assert record["CreatedDate"] == "2026-03-05T09:00:00.000+0000"
    assert record["SystemModstamp"] == "2026-03-05T09:00:00.000+0000"
    assert (record["FirstName"], record["Email"], record["Title"]) == (None, None, None)
