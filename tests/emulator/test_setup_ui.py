"""The emulator's Setup pages, driven over HTTP: each change reaches the org the API serves."""

from __future__ import annotations

import re

import httpx2

from sfimport.emulator import Org
from tests.emulator.conftest import ADMIN, Http, V, error_of, fresh_org

BASE = "https://emu.test"
PAGES = (
    "/lightning/settings/personal/AdvancedUserDetails/home",
    "/lightning/setup/ConnectedAppsUsage/home",
    "/lightning/setup/ManageUsers/home",
    "/lightning/setup/ObjectManager/home",
    "/lightning/setup/CompanyProfileInfo/home",
)


class Browser:
    """The Setup pages as a browser sees them: one session cookie, same-origin form posts."""

    def __init__(self, org: Org) -> None:
        self.http = Http(org, BASE)
        self.cookie = ""

    def log_in(self, username: str = ADMIN, password: str = "demo-admin-1") -> httpx2.Response:
        answer = self.http.post(
            "/setup/login",
            data={"username": username, "pw": password, "startURL": "/"},
            headers={"Origin": BASE},
        )
        if "set-cookie" in answer.headers:
            self.cookie = answer.headers["set-cookie"].split(";", 1)[0]
        return answer

    def get(self, path: str) -> httpx2.Response:
        return self.http.get(path, headers={"Cookie": self.cookie})

    def post(self, path: str, origin: str = BASE, **form: str) -> httpx2.Response:
        return self.http.post(path, data=form, headers={"Cookie": self.cookie, "Origin": origin})


def test_the_front_page_links_every_setup_page_and_each_needs_a_login() -> None:
    browser = Browser(fresh_org())
    front = browser.get("/")
    assert front.status_code == 200
    for path in PAGES:
        assert f'href="{path}"' in front.text
        answer = browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/setup/login?startURL=")
    bad = browser.log_in(password="wrong")
    assert bad.status_code == 200 and "check your username and password" in bad.text
    assert browser.log_in().status_code == 303
    for path in PAGES:
        assert browser.get(path).status_code == 200, path


def test_revoke_on_personal_connections_ends_the_users_tokens() -> None:
    org = fresh_org()
    browser = Browser(org)
    browser.log_in()
    token = browser.http.token()
    assert browser.http.get(f"{V}/limits", token=token).status_code == 200
    page = browser.get(PAGES[0]).text
    assert "sfimport demo" in page and "refresh_token" in page
    # A post from another site changes nothing.
    assert browser.post(PAGES[0], origin="https://evil.test").status_code == 403
    assert browser.http.get(f"{V}/limits", token=token).status_code == 200
    done = browser.post(PAGES[0])
    assert done.status_code == 303 and "Revoked" in done.headers["location"]
    assert error_of(browser.http.get(f"{V}/limits", token=token))[1] == "INVALID_SESSION_ID"
    assert "No apps have access" in browser.get(PAGES[0]).text


def test_block_on_oauth_usage_turns_the_app_away_and_unblock_lets_it_back() -> None:
    org = fresh_org()
    browser = Browser(org)
    browser.log_in()
    token = browser.http.token()
    assert ADMIN in browser.get(PAGES[1]).text
    browser.post(PAGES[1], action="block")
    assert "Blocked" in browser.get(PAGES[1]).text
    assert error_of(browser.http.get(f"{V}/limits", token=token))[1] == "INVALID_SESSION_ID"
    refused = browser.http.post(
        "/services/oauth2/token", data={"grant_type": "authorization_code", "code": "x"}
    )
    assert refused.json()["error"] == "OAUTH_APP_BLOCKED"
    browser.post(PAGES[1], action="unblock")
    assert "Allowed" in browser.get(PAGES[1]).text


def test_a_permission_switched_off_and_on_on_the_user_page() -> None:
    org = fresh_org()
    browser = Browser(org)
    browser.log_in()
    admin = org.user_named(ADMIN)
    assert admin is not None
    page = f"/lightning/setup/ManageUsers/{admin.id}/view"
    assert (
        browser.post(page, permission="PermissionsApiEnabled", enabled="false").status_code == 303
    )
    token = browser.http.token()
    assert error_of(browser.http.get(f"{V}/limits", token=token))[1] == "API_DISABLED_FOR_ORG"
    row = re.search(
        r'data-permission="PermissionsApiEnabled">(.*?)</tr>', browser.get(page).text, re.S
    )
    assert row is not None and ">No<" in row.group(1)
    browser.post(page, permission="PermissionsApiEnabled", enabled="true")
    assert browser.http.get(f"{V}/limits", token=token).status_code == 200
    unknown = browser.post(page, permission="PermissionsModifyAllData", enabled="true")
    assert "unknown%20permission" in unknown.headers["location"]


def test_field_security_and_deleting_a_custom_field_on_the_object_page() -> None:
    org = fresh_org()
    browser = Browser(org)
    browser.log_in()
    page = "/lightning/setup/ObjectManager/Account/FieldsAndRelationships/view"
    token = browser.http.token()
    soql = "SELECT Customer_Priority__c FROM Account LIMIT 1"
    assert browser.http.query(soql, token).status_code == 200
    # Standard fields cannot be deleted; custom ones can, and come back with Undelete.
    refused = browser.post(page, action="delete", field="Name")
    assert "only%20custom%20fields" in refused.headers["location"]
    browser.post(page, action="delete", field="Customer_Priority__c")
    assert error_of(browser.http.query(soql, token))[1] == "INVALID_FIELD"
    assert 'id="deleted-fields"' in browser.get(page).text
    browser.post(page, action="undelete", field="Customer_Priority__c")
    assert browser.http.query(soql, token).status_code == 200
    # Field-level security for one user.
    browser.post(page, action="hide", field="Customer_Priority__c", username=ADMIN)
    assert error_of(browser.http.query(soql, token))[1] == "INVALID_FIELD"
    browser.post(page, action="show", field="Customer_Priority__c", username=ADMIN)
    assert browser.http.query(soql, token).status_code == 200
    assert (
        browser.get(
            "/lightning/setup/ObjectManager/Nope__c/FieldsAndRelationships/view"
        ).status_code
        == 404
    )


def test_using_up_the_daily_allowance_on_company_information() -> None:
    org = fresh_org()
    browser = Browser(org)
    browser.log_in()
    token = browser.http.token()
    browser.post(PAGES[4], action="use_up")
    assert 'id="api-remaining">0<' in browser.get(PAGES[4]).text
    assert error_of(browser.http.get(f"{V}/limits", token=token))[1] == "REQUEST_LIMIT_EXCEEDED"
    browser.post(PAGES[4], action="set_remaining", remaining="5")
    assert browser.http.get(f"{V}/limits", token=token).status_code == 200
    bad = browser.post(PAGES[4], action="set_remaining", remaining="lots")
    assert "whole%20number" in bad.headers["location"]
