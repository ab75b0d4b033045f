"""Every error code and permission user, exercised through HTTP, plus the daily allowance."""

from __future__ import annotations

from sfimport.emulator import DEMO_USERS
from tests.emulator.conftest import Http, V, error_of, fresh_org

USERS = {user.key: user.username for user in DEMO_USERS}
PERMISSIONS = (
    "PermissionsApiEnabled, PermissionsRunReports, PermissionsViewRoles, PermissionsViewSetup, "
    "PermissionsViewAllData"
)


def _permissions(http: Http, key: str) -> dict[str, bool]:
    token = http.token(USERS[key])
    body = http.query(f"SELECT {PERMISSIONS} FROM UserPermissionAccess", token).json()
    assert body["totalSize"] == 1
    record = body["records"][0]
    return {name: value for name, value in record.items() if name.startswith("Permissions")}


def test_missing_or_unknown_session_is_invalid_session_id(http: Http) -> None:
    for token in (None, "00Dbogus!token"):
        response = http.get(f"{V}/sobjects", token=token)
        assert error_of(response) == (401, "INVALID_SESSION_ID", "Session expired or invalid")
        assert "Sforce-Limit-Info" not in response.headers


def test_user_without_api_enabled_gets_tokens_but_no_data(http: Http) -> None:
    token = http.token(USERS["noapi"])
    assert http.get("/services/oauth2/userinfo", token=token).status_code == 200
    response = http.get(f"{V}/sobjects", token=token)
    status, code, _ = error_of(response)
    assert (status, code) == (403, "API_DISABLED_FOR_ORG")


def test_user_permission_access_reports_each_demo_users_effective_permissions(
    http: Http,
) -> None:
    admin = _permissions(http, "admin")
    assert all(admin.values())
    assert _permissions(http, "noreports")["PermissionsRunReports"] is False
    assert _permissions(http, "nosetup")["PermissionsViewSetup"] is False
    noroles = _permissions(http, "noroles")
    assert noroles["PermissionsViewRoles"] is False and noroles["PermissionsViewSetup"] is True
    restricted = _permissions(http, "restricted")
    assert restricted["PermissionsApiEnabled"] and not restricted["PermissionsViewAllData"]


def test_permission_set_assignments_combine_profile_and_permission_sets(http: Http) -> None:
    token = http.token(USERS["noroles"])
    user_id = http.get("/services/oauth2/userinfo", token=token).json()["user_id"]
    soql = (
        "SELECT PermissionSet.Name, PermissionSet.IsOwnedByProfile, "
        "PermissionSet.PermissionsViewSetup, PermissionSet.PermissionsViewRoles "
        f"FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}'"
    )
    records = http.query(soql, token).json()["records"]
    sets = [r["PermissionSet"] for r in records]
    assert len(sets) == 2
    assert any(s["IsOwnedByProfile"] for s in sets)
    assert any(s["PermissionsViewSetup"] for s in sets)
    assert not any(s["PermissionsViewRoles"] for s in sets)
    profile = http.query(
        f"SELECT Profile.Name, Profile.PermissionsApiEnabled FROM User WHERE Id = '{user_id}'",
        token,
    ).json()["records"][0]["Profile"]
    assert profile["Name"] == "Standard User" and profile["PermissionsApiEnabled"] is True


def test_without_view_setup_limits_and_assignments_are_closed(http: Http) -> None:
    token = http.token(USERS["nosetup"])
    for path in (f"{V}/limits", f"{V}/limits/recordCount"):
        status, code, _ = error_of(http.get(path, token=token))
        assert (status, code) == (403, "INSUFFICIENT_ACCESS")
    status, code, _ = error_of(http.query("SELECT Id FROM PermissionSetAssignment", token))
    assert (status, code) == (400, "INVALID_TYPE")


def test_field_level_security_hides_fields_from_describe_and_soql(http: Http) -> None:
    token = http.token(USERS["restricted"])
    admin = http.token()
    for name, hidden in (
        ("Account", "AnnualRevenue"),
        ("Contact", "Birthdate"),
        ("Lead", "Email"),
        ("Project__c", "Budget__c"),
    ):
        mine = {
            f["name"]
            for f in http.get(f"{V}/sobjects/{name}/describe", token=token).json()["fields"]
        }
        everyone = {
            f["name"]
            for f in http.get(f"{V}/sobjects/{name}/describe", token=admin).json()["fields"]
        }
        assert hidden in everyone and hidden not in mine
        status, code, message = error_of(http.query(f"SELECT Id, {hidden} FROM {name}", token))
        assert (status, code) == (400, "INVALID_FIELD")
        assert f"No such column '{hidden}' on entity '{name}'" in message
        assert http.query(f"SELECT Id, {hidden} FROM {name} LIMIT 1", admin).status_code == 200
    status, code, _ = error_of(http.query("SELECT Account.AnnualRevenue FROM Contact", token))
    assert (status, code) == (400, "INVALID_FIELD")


def test_soql_errors_use_salesforce_codes_and_caret_messages(http: Http) -> None:
    token = http.token()
    status, code, message = error_of(http.query("SELECT Xyzzy FROM Xyzzy ", token))
    assert (status, code) == (400, "INVALID_TYPE")
    assert message.startswith(
        "\nSELECT Xyzzy FROM Xyzzy\n                  ^\nERROR at Row:1:Column:19"
    )
    status, code, message = error_of(http.query("SELECT Id, Foo FROM Account", token))
    assert (status, code) == (400, "INVALID_FIELD")
    assert "\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo'" in message
    status, code, message = error_of(http.query("SELECT Id FROM Account WHERE", token))
    assert (status, code, message.splitlines()[-1]) == (
        400,
        "MALFORMED_QUERY",
        "unexpected token: <EOF>",
    )
    # An unencoded "+" arrives as a space and breaks the datetime literal.
    status, code, _ = error_of(
        http.query("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:00 00:00", token)
    )
    assert (status, code) == (400, "MALFORMED_QUERY")
    status, code, _ = error_of(http.get(f"{V}/query", token=token))
    assert (status, code) == (400, "MALFORMED_QUERY")
    status, code, message = error_of(
        http.query("SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'", token)
    )
    assert (status, code) == (400, "INVALID_FIELD")
    assert "must be of type dateTime and should not be enclosed in quotes" in message


def test_unknown_resources_and_objects_are_not_found(http: Http) -> None:
    token = http.token()
    for path in (
        f"{V}/sobjects/Xyzzy/describe",
        f"{V}/nothing-here",
        f"{V}/sobjects/Account/001000000000000AAA",
        "/services/data/v99.0/sobjects",
    ):
        assert error_of(http.get(path, token=token)) == (
            404,
            "NOT_FOUND",
            "The requested resource does not exist",
        )


def test_unknown_or_finished_query_locator_is_invalid_query_locator(http: Http) -> None:
    token = http.token()
    status, code, message = error_of(http.get(f"{V}/query/01g8W00000000zzQAA-2000", token=token))
    assert (status, code, message) == (400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    first = http.query("SELECT Id FROM Contact", token).json()
    last = http.get(first["nextRecordsUrl"], token=token).json()
    assert last["done"] is True
    # The cursor closes with its last page.
    status, code, _ = error_of(http.get(first["nextRecordsUrl"], token=token))
    assert code == "INVALID_QUERY_LOCATOR"


def test_idle_query_locator_expires() -> None:
    http = Http(fresh_org())
    token = http.token()
    first = http.query("SELECT Id FROM Contact", token).json()
    http.post("/__emulator__/clock", json={"advance_seconds": 16 * 60})
    status, code, _ = error_of(http.get(first["nextRecordsUrl"], token=token))
    assert (status, code) == (400, "INVALID_QUERY_LOCATOR")


def test_daily_limit_exhausts_then_resets_the_next_day() -> None:
    http = Http(fresh_org(api_max=5))
    token = http.token()
    for call in range(1, 6):
        response = http.get(f"{V}/limits", token=token)
        assert response.status_code == 200
        assert response.headers["Sforce-Limit-Info"] == f"api-usage={call}/5"
    refused = http.get(f"{V}/limits", token=token)
    assert error_of(refused) == (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=5/5"
    http.post("/__emulator__/clock", json={"advance_seconds": 86400})
    # A day idle ends the session too: the client comes back with a fresh token.
    again = http.get(f"{V}/limits", token=http.token())
    assert again.status_code == 200 and again.headers["Sforce-Limit-Info"] == "api-usage=1/5"
    assert again.json()["DailyApiRequests"]["Remaining"] == 4


def test_control_api_sets_the_allowance(http: Http) -> None:
    org_http = Http(fresh_org())
    token = org_http.token()
    state = org_http.post("/__emulator__/limits", json={"max": 100, "remaining": 0}).json()
    assert state["api_requests"] == {"used": 100, "max": 100}
    status, code, _ = error_of(org_http.get(f"{V}/sobjects", token=token))
    assert (status, code) == (403, "REQUEST_LIMIT_EXCEEDED")
    assert org_http.get("/__emulator__/state").json()["api_requests"]["used"] == 100


def test_an_unencoded_plus_in_a_datetime_literal_is_a_caret_formatted_lexer_error(
    http: Http,
) -> None:
    # The "+" of +0000 sent unencoded arrives as a space; real orgs point at it like this:
    # "...\nERROR at Row:1:Column:106\nline 1:106 no viable alternative at character ' '".
    soql = "SELECT Id FROM Account WHERE SystemModstamp = 2020-03-17T21:04:32.000 0000"
    where = soql.index(" 0000")
    status, code, message = error_of(http.query(soql, http.token()))
    assert (status, code) == (400, "MALFORMED_QUERY")
    lines = message.split("\n")
    assert lines[:2] == ["", soql]
    assert lines[2] == " " * (where - 1) + "^"
    assert lines[3:] == [
        f"ERROR at Row:1:Column:{where}",
        f"line 1:{where} no viable alternative at character ' '",
    ]
