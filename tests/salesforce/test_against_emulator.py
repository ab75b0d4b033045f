"""The client against the emulator over loopback HTTP: each error mapped to its remedy."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sfimport.errors import (
    ApiDisabled,
    DailyLimitExceeded,
    FieldUnavailable,
    InsufficientAccess,
    InvalidQuery,
)
from sfimport.salesforce import OAuthApp, OAuthClient, SalesforceAuth, SalesforceClient
from tests.salesforce.emulated import CALLBACK, Emulated, demo_user, emulator

APP = OAuthApp(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, redirect_uri=CALLBACK)


@pytest.fixture
def emulated() -> Iterator[Emulated]:
    with emulator() as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client() as client:
        yield client


def client_as(emulated: Emulated, http: httpx2.Client, user: str) -> SalesforceClient:
    oauth = OAuthClient(http, emulated.base_url, APP)
    tokens = oauth.refresh(emulated.refresh_token_for(demo_user(user)))
    return SalesforceClient(
        tokens.instance_url, SalesforceAuth(tokens, oauth.refresh), http=http, sleep=lambda s: None
    )


def test_a_user_without_api_enabled_gets_api_disabled_with_its_remedy(
    emulated: Emulated, http: httpx2.Client
) -> None:
    client = client_as(emulated, http, "noapi")
    with pytest.raises(ApiDisabled) as caught:
        client.rest.describe_global()
    assert caught.value.status == 403
    assert caught.value.error_code == "API_DISABLED_FOR_ORG"
    assert "API Enabled" in caught.value.remedy


def test_the_daily_limit_is_mapped_and_lifts_when_the_allowance_resets(
    emulated: Emulated, http: httpx2.Client
) -> None:
    client = client_as(emulated, http, "admin")
    client.rest.count("SELECT COUNT() FROM Account")
    assert client.usage is not None and client.usage.max == 15000
    emulated.control("limits", {"remaining": 0})
    with pytest.raises(DailyLimitExceeded) as caught:
        client.rest.count("SELECT COUNT() FROM Account")
    assert caught.value.status == 403
    assert "resume" in caught.value.remedy
    emulated.control("clock", {"advance_seconds": 24 * 3600})
    assert client.rest.count("SELECT COUNT() FROM Account") > 0
    assert client.usage is not None and client.usage.used < 10


def test_a_field_hidden_by_field_level_security_is_absent_and_field_unavailable(
    emulated: Emulated, http: httpx2.Client
) -> None:
    admin = client_as(emulated, http, "admin")
    restricted = client_as(emulated, http, "restricted")
    admin_fields = {f["name"] for f in admin.rest.describe("Account")["fields"]}
    restricted_fields = {f["name"] for f in restricted.rest.describe("Account")["fields"]}
    hidden = admin_fields - restricted_fields
    assert "Phone" in hidden
    soql = "SELECT Id, Name, Phone FROM Account"
    assert "Phone" in next(admin.rest.records(soql))  # the admin still sees it
    with pytest.raises(FieldUnavailable) as caught:
        list(restricted.rest.records(soql, known_fields=["Id", "Name", "Phone"]))
    assert caught.value.field == "Phone"
    assert caught.value.sobject == "Account"
    assert "removed since the last import" in caught.value.remedy
    # The same answer on a field never imported before is a plain query error.
    with pytest.raises(InvalidQuery):
        list(restricted.rest.records(soql))


def test_limits_without_view_setup_is_insufficient_access(
    emulated: Emulated, http: httpx2.Client
) -> None:
    with pytest.raises(InsufficientAccess):
        client_as(emulated, http, "nosetup").rest.limits()
    assert client_as(emulated, http, "admin").rest.limits()["DailyApiRequests"]["Max"] == 15000


def test_queries_page_through_the_emulator_with_next_records_url(
    emulated: Emulated, http: httpx2.Client
) -> None:
    client = client_as(emulated, http, "admin")
    total = client.rest.count("SELECT COUNT() FROM Account")
    pages = list(client.rest.query("SELECT Id FROM Account", batch_size=200))
    ids = [record["Id"] for page in pages for record in page["records"]]
    assert len(ids) == len(set(ids)) == total
    if total > 200:
        assert len(pages) > 1
