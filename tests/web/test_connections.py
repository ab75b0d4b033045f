"""Connections: New connection, Salesforce's Allow or Deny, the permission check, the
connection page's buttons."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes.services import FakeServices
from tests.web.conftest import connect, csrf_of


def test_next_on_new_connection_redirects_to_salesforce_login(
    client: TestClient, workspace: FakeServices
) -> None:
    token = csrf_of(client)
    response = client.post(
        "/connections/new",
        data={"csrf_token": token, "name": "Sales org"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://login.salesforce.com/services/oauth2/")


def test_use_sandbox_sends_the_person_to_the_sandbox_login(client: TestClient) -> None:
    token = csrf_of(client)
    response = client.post(
        "/connections/new",
        data={"csrf_token": token, "name": "Sandbox", "sandbox": "true"},
        follow_redirects=False,
    )
    assert response.headers["location"].startswith("https://test.salesforce.com/")


def test_a_my_domain_login_url_is_used_when_given(client: TestClient) -> None:
    token = csrf_of(client)
    response = client.post(
        "/connections/new",
        data={"csrf_token": token, "name": "Acme", "login_url": "https://acme.my.example"},
        follow_redirects=False,
    )
    assert response.headers["location"].startswith("https://acme.my.example/")


def test_an_empty_connector_name_is_asked_for_again(client: TestClient) -> None:
    token = csrf_of(client)
    response = client.post("/connections/new", data={"csrf_token": token, "name": " "})
    assert response.status_code == 400
    assert "Enter a connector name" in response.text


def test_after_allow_the_connection_page_shows_the_permission_check(
    client: TestClient, workspace: FakeServices
) -> None:
    workspace.missing_permissions = {"Run Reports"}
    landed = connect(client)
    assert landed == "/connections/Sales%20org"  # not on to Select data
    page = client.get(landed).text
    assert "Connected to Salesforce" not in page  # no success banner
    assert "cannot import yet" in page
    assert "The Salesforce user lacks Run Reports." in page
    assert "Permission check" in page
    assert "missing 1 permission" in page
    assert "importing reports" in page  # what the missing permission blocks
    assert '<button class="primary" type="submit">Try again</button>' in page
    # Objects stay importable without Run Reports: Select data is offered, not as the primary.
    assert 'class="button" href="/import/Sales%20org/select">Select data without it<' in page


def test_after_allow_with_every_permission_the_wizard_goes_on_to_select_data(
    client: TestClient,
) -> None:
    landed = connect(client)
    assert landed == "/import/Sales%20org/select"
    page = client.get(landed).text
    assert "every permission is in place" in page
    assert 'aria-current="step">Select data' in page


def test_a_user_without_api_access_gets_no_success_banner_and_try_again(
    client: TestClient, workspace: FakeServices
) -> None:
    workspace.missing_permissions = {"API Enabled"}
    page = client.get(connect(client)).text
    assert "Connected to Salesforce" not in page
    assert "The Salesforce user has no API access" in page
    assert 'class="status no_api_access"' in page
    assert ">no API access<" in page
    assert '<button class="primary" type="submit">Try again</button>' in page
    assert "/select" not in page.split('id="connection-actions"')[1].split("</div>")[0]
    # Try again re-checks: once the permission is given, the page says the connection works.
    workspace.missing_permissions = set()
    token = csrf_of(client, "/connections/Sales org")
    again = client.post("/connections/Sales org/test", data={"csrf_token": token}).text
    assert 'class="status healthy"' in again
    assert 'class="button primary" href="/import/Sales%20org/select"' in again


def test_deny_lands_back_with_a_clear_message(client: TestClient, workspace: FakeServices) -> None:
    token = csrf_of(client)
    r = client.post(
        "/connections/new", data={"csrf_token": token, "name": "Sales org"}, follow_redirects=False
    )
    state = r.headers["location"].split("state=")[1]
    page = client.get(
        f"/oauth/callback?error=access_denied&error_description=end-user+denied+authorization"
        f"&state={state}"
    )
    assert page.status_code == 403
    assert "You chose Deny" in page.text
    assert 'value="Sales org"' in page.text  # the name is kept for another try
    assert workspace.connections == {}


def test_connection_page_shows_status_owner_org_sandbox_and_api_gauge(
    client: TestClient,
) -> None:
    connect(client, sandbox=True)
    page = client.get("/connections/Sales org").text
    assert "Owner" not in page  # the operating-system user means nothing here
    for text in (
        "healthy",
        "00D000000000001AAA",
        "Sandbox</dt><dd>Yes",
        "<meter",
        "121 used of 15,000",  # checked with Salesforce on open
        "Test connection",
        "Re-authorise",
        "Delete",
    ):
        assert text in page, text


def test_test_connection_refreshes_api_usage(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, "/connections/Sales org")
    page = client.post("/connections/Sales org/test", data={"csrf_token": token}).text
    assert "121 used of 15,000" in page
    assert "Permission check" in page


def test_reauthorise_goes_back_to_salesforce_for_the_same_connection(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client, sandbox=True)
    token = csrf_of(client, "/connections/Sales org")
    r = client.post(
        "/connections/Sales org/reauthorize", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    # The connection's own (sandbox) login host, not a choice made again.
    assert r.headers["location"].startswith(workspace.connections["Sales org"].login_url + "/")
    assert workspace.connections["Sales org"].is_sandbox
    state = r.headers["location"].split("state=")[1]
    page = client.get(f"/oauth/callback?code=x&state={state}")
    assert page.status_code == 200
    assert "Re-authorised “Sales org”" in page.text
    assert list(workspace.connections) == ["Sales org"]


def test_denying_a_re_authorisation_goes_back_to_the_connection(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    token = csrf_of(client, "/connections/Sales org")
    r = client.post(
        "/connections/Sales org/reauthorize", data={"csrf_token": token}, follow_redirects=False
    )
    state = r.headers["location"].split("state=")[1]
    page = client.get(f"/oauth/callback?error=access_denied&state={state}")
    assert page.url.path == "/connections/Sales org"
    assert "“Sales org” was not re-authorised." in page.text


def test_delete_asks_first_then_revokes(client: TestClient, workspace: FakeServices) -> None:
    connect(client)
    confirm = client.get("/connections/Sales org/delete").text
    assert "revokes its access" in confirm
    assert workspace.deleted == []
    token = csrf_of(client, "/connections/Sales org/delete")
    page = client.post("/connections/Sales org/delete", data={"csrf_token": token})
    assert page.url.path == "/connections"
    assert "revoked at Salesforce" in page.text
    assert workspace.deleted == ["Sales org"]


def test_an_unknown_connection_is_a_plain_not_found_page(client: TestClient) -> None:
    page = client.get("/connections/Nope")
    assert page.status_code == 404
    assert "There is no connection named" in page.text
