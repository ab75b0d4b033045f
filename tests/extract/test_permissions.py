"""The permission check: each of the four permissions present or missing, with what it blocks."""

from __future__ import annotations

import json

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERS, DemoUser
from sfimport.errors import UsageError
from sfimport.extract.permissions import REQUIRED_PERMISSIONS, check_permissions
from sfimport.salesforce import OAuthApp, OAuthClient, SalesforceAuth, SalesforceClient
from tests.salesforce.conftest import make_tokens
from tests.salesforce.emulated import emulator

USER = "005RO000000HfnkYAC"
ALL = {p.field: True for p in REQUIRED_PERMISSIONS}


def answer(body: object, status: int = 200) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


def page(*rows: dict[str, object]) -> httpx2.Response:
    return answer({"totalSize": len(rows), "done": True, "records": list(rows)})


def error(code: str, status: int) -> httpx2.Response:
    return answer([{"message": code.lower(), "errorCode": code}], status)


def client(handler: object) -> SalesforceClient:
    http = httpx2.Client(transport=httpx2.MockTransport(handler))  # type: ignore[arg-type]
    return SalesforceClient(
        "https://acme.my.salesforce.com", SalesforceAuth(make_tokens(), None), http=http
    )


@pytest.mark.parametrize("lacking", [p.field for p in REQUIRED_PERMISSIONS])
def test_each_missing_permission_is_reported_with_what_it_blocks(lacking: str) -> None:
    soqls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        soqls.append(request.url.params["q"])
        return page({"attributes": {"type": "UserPermissionAccess"}, **ALL, lacking: False})

    report = check_permissions(client(handler), USER)
    assert [item.field for item in report.missing] == [lacking]
    assert report.missing[0].blocks
    assert not report.all_present
    assert report.source == "UserPermissionAccess"
    assert "FROM UserPermissionAccess" in soqls[0]


def test_a_user_with_every_permission_passes() -> None:
    report = check_permissions(client(lambda r: page({**ALL})), USER)
    assert report.all_present
    assert [item.name for item in report.items] == [
        "API Enabled",
        "Run Reports",
        "View Roles and Role Hierarchy",
        "View Setup and Configuration",
    ]


def test_api_disabled_on_the_check_itself_means_api_enabled_is_missing() -> None:
    report = check_permissions(client(lambda r: error("API_DISABLED_FOR_ORG", 403)), USER)
    assert [item.name for item in report.missing] == ["API Enabled"]
    assert "no object or report" in report.get("API Enabled").blocks
    assert {item.name for item in report.unknown} == {
        "Run Reports",
        "View Roles and Role Hierarchy",
        "View Setup and Configuration",
    }
    assert report.source == "api_disabled"


def test_without_user_permission_access_the_assignments_are_combined() -> None:
    soqls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        soql = request.url.params["q"]
        soqls.append(soql)
        if "UserPermissionAccess" in soql:
            return error("INVALID_TYPE", 400)
        profile = {
            "PermissionsApiEnabled": True,
            "PermissionsRunReports": False,
            "PermissionsViewRoles": False,
            "PermissionsViewSetup": True,
        }
        extra = {
            "PermissionsApiEnabled": False,
            "PermissionsRunReports": True,
            "PermissionsViewRoles": False,
            "PermissionsViewSetup": False,
        }
        return page({"PermissionSet": profile}, {"PermissionSet": extra})

    report = check_permissions(client(handler), USER)
    assert [item.name for item in report.missing] == ["View Roles and Role Hierarchy"]
    assert report.source == "PermissionSetAssignment"
    assert f"AssigneeId = '{USER}'" in soqls[1]


def test_when_assignments_are_unreadable_view_setup_is_what_is_missing() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if "UserPermissionAccess" in request.url.params["q"]:
            return error("INVALID_TYPE", 400)
        return error("INSUFFICIENT_ACCESS", 403)

    report = check_permissions(client(handler), USER)
    assert report.get("PermissionsApiEnabled").present is True
    assert [item.name for item in report.missing] == ["View Setup and Configuration"]


def test_a_malformed_user_id_is_refused_before_any_query() -> None:
    with pytest.raises(UsageError):
        check_permissions(client(lambda r: page()), "005' OR Name != '")


# --- Against the emulator: each demo user ---------------------------------------------------

_CHECKED = {p.name for p in REQUIRED_PERMISSIONS}


@pytest.mark.parametrize("user", DEMO_USERS, ids=[user.key for user in DEMO_USERS])
def test_the_permission_check_for_each_demo_user(user: DemoUser) -> None:
    with emulator() as emulated, httpx2.Client() as http:
        app = OAuthApp(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
        oauth = OAuthClient(http, emulated.base_url, app)
        tokens = oauth.refresh(emulated.refresh_token_for(user))
        client = SalesforceClient(tokens.instance_url, SalesforceAuth(tokens, None), http=http)
        report = check_permissions(client, tokens.user_id)
    expected = [user.lacks] if user.lacks in _CHECKED else []
    assert [item.name for item in report.missing] == expected
    if user.key == "noapi":
        assert report.source == "api_disabled"
    else:
        assert report.unknown == ()
