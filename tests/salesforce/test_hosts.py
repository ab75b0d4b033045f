"""Where sfimport connects: Salesforce's own login and instance domains, loopback for the
emulator, and the hosts a person adds on purpose; malformed URLs are usage errors."""

from __future__ import annotations

import json

import httpx2
import pytest

from sfimport.errors import ConnectionFailed, UsageError
from sfimport.salesforce import OAuthApp, OAuthClient, authorization_request, normalize_login_url
from sfimport.salesforce.hosts import is_allowed_host, parse_extra_hosts

APP = OAuthApp(client_id="3MVG9demo", client_secret="s3cr3t-client")


@pytest.mark.parametrize(
    "url",
    [
        "https://login.salesforce.com",  # production
        "https://test.salesforce.com",  # sandbox
        "https://acme.my.salesforce.com",  # My Domain
        "https://acme--uat.sandbox.my.salesforce.com",  # sandbox My Domain
        "https://acme-dev-ed.develop.my.salesforce.com",  # Developer Edition (partitioned)
        "https://acme.my.site.com",  # Experience Cloud
        "https://acme.force.com",  # legacy Experience Cloud / Sites
        "https://acme.my.salesforce.mil",  # government cloud (defense)
        "https://acme.my.salesforce-setup.com",
        "http://127.0.0.1:8443",  # the emulator
        "http://localhost:9000",
    ],
)
def test_salesforce_and_loopback_login_hosts_are_accepted(url: str) -> None:
    assert normalize_login_url(url).startswith(("https://", "http://127.0.0.1", "http://localhost"))


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example",
        "https://169.254.169.254",
        "https://10.0.0.1",
        "https://salesforce.com.evil.example",
        "https://evilsalesforce.com",
        "https://my.site.com.evil.example",
        "https://site.com",
    ],
)
def test_hosts_outside_salesforce_are_refused_with_a_fix(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        normalize_login_url(url)
    assert "not a Salesforce login address" in caught.value.message
    assert "SFIMPORT_EXTRA_HOSTS" in caught.value.remedy


def test_no_authorize_url_is_built_for_a_foreign_host() -> None:
    with pytest.raises(UsageError):
        authorization_request("https://evil.example", APP)


def test_extra_hosts_are_allowed_exactly_or_by_wildcard() -> None:
    extra = parse_extra_hosts(" sf.proxy.example.com , *.corp.example ,")
    assert extra == ("sf.proxy.example.com", "*.corp.example")
    assert normalize_login_url("https://sf.proxy.example.com", extra) == (
        "https://sf.proxy.example.com"
    )
    assert is_allowed_host("login.corp.example", extra)
    assert not is_allowed_host("corp.example.evil", extra)
    assert not is_allowed_host("other.proxy.example.com", extra)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://x:1:2",
        f"https://{'a' * 300}.my.salesforce.com",
        "https://acme\u200b.my.salesforce.com",
        "https://acme.my.salesforce.com:99999",
        "https://acme .my.salesforce.com",
        "https://[::1",
        "https://-acme.my.salesforce.com",
    ],
)
def test_malformed_login_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        normalize_login_url(url)
    assert caught.value.remedy


def token_client(instance_url: str, identity: str | None = None) -> tuple[OAuthClient, list[str]]:
    calls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        body = {
            "access_token": "00Dxx!AQ4AQFakeAccessToken",
            "instance_url": instance_url,
            "id": identity or "https://login.salesforce.com/id/00DRO0000008aXd2AI/005RO000000Hfnk",
            "token_type": "Bearer",
        }
        return httpx2.Response(200, content=json.dumps(body).encode())

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return OAuthClient(http, "https://login.salesforce.com", APP), calls


@pytest.mark.parametrize(
    "instance_url",
    [
        "https://evil.example",
        "http://acme.my.salesforce.com",  # a bearer token never travels in clear
        "https://169.254.169.254",
        "javascript:alert(1)",
        "https://x:1:2",
    ],
)
def test_a_token_answer_pointing_elsewhere_is_refused(instance_url: str) -> None:
    client, calls = token_client(instance_url)
    with pytest.raises(ConnectionFailed) as caught:
        client.refresh("5Aep861TSESvWeug_refresh")
    assert "no token" in caught.value.message
    assert calls == ["https://login.salesforce.com/services/oauth2/token"]


def test_a_token_answer_with_a_foreign_identity_url_is_refused() -> None:
    client, _ = token_client("https://acme.my.salesforce.com", "https://evil.example/id/00D/005")
    with pytest.raises(ConnectionFailed):
        client.refresh("5Aep861TSESvWeug_refresh")


def test_a_salesforce_instance_url_is_accepted() -> None:
    client, _ = token_client("https://acme.my.salesforce.com/")
    assert client.refresh("5Aep861TSESvWeug_refresh").instance_url == (
        "https://acme.my.salesforce.com"
    )
