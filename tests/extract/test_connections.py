"""The connection service: OAuth round trip, headless connect, stored tokens, refresh,
connection test and deletion with revocation (against an in-memory fake org)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID
from sfimport.errors import (
    ApiDisabled,
    AuthorizationDenied,
    ConfigurationError,
    ConnectionFailed,
    NotFound,
    TransientError,
    UsageError,
)
from sfimport.extract.connections import Connected, ConnectionService, PendingFlows
from sfimport.settings import Settings
from sfimport.store.metadata import ConnectionStatus
from tests.salesforce.emulated import Emulated, browser_login, demo_user, emulator, settings_for
from tests.salesforce.fake_org import CLIENT_ID, CLIENT_SECRET, INSTANCE, ORG_ID, USER_ID, FakeOrg


@pytest.fixture
def org() -> FakeOrg:
    return FakeOrg()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def service(settings: Settings, org: FakeOrg) -> Iterator[ConnectionService]:
    http = httpx2.Client(transport=httpx2.MockTransport(org))
    service = ConnectionService.open(settings, http=http)
    yield service
    http.close()


def authorize(
    service: ConnectionService, org: FakeOrg, name: str = "acme", **options: object
) -> tuple[str, str]:
    """Begin, then play the browser: Salesforce redirects back with a code and the state."""
    pending = service.begin_authorization(name, **options)  # type: ignore[arg-type]
    query = parse_qs(urlsplit(pending.authorize_url).query)
    code = org.issue_code(query["code_challenge"][0])
    return pending.state, code


def test_the_oauth_round_trip_stores_a_connection_and_checks_permissions(
    service: ConnectionService, org: FakeOrg
) -> None:
    state, code = authorize(service, org)
    connected = service.complete_authorization(state=state, code=code)
    assert connected.name == "acme"
    assert connected.connection.org_id == ORG_ID
    assert connected.connection.user_id == USER_ID
    assert connected.connection.username == "admin@acme.example"
    assert connected.connection.instance_url == INSTANCE
    assert connected.connection.login_url == "https://login.salesforce.com"
    assert connected.connection.is_sandbox is False
    assert connected.connection.status is ConnectionStatus.ACTIVE
    assert connected.permissions.all_present
    # The stored refresh token is the one Salesforce issued.
    assert service.store.tokens("acme").refresh_token in org.refresh_tokens


def test_the_sandbox_choice_uses_the_sandbox_login_host(
    service: ConnectionService, org: FakeOrg
) -> None:
    pending = service.begin_authorization("sbx", sandbox=True)
    assert pending.authorize_url.startswith(
        "https://test.salesforce.com/services/oauth2/authorize?"
    )
    state, code = (
        pending.state,
        org.issue_code(parse_qs(urlsplit(pending.authorize_url).query)["code_challenge"][0]),
    )
    connected = service.complete_authorization(state=state, code=code)
    assert connected.is_sandbox
    assert org.requests[0].url.host == "test.salesforce.com"


def test_a_my_domain_url_overrides_the_login_host(service: ConnectionService, org: FakeOrg) -> None:
    pending = service.begin_authorization(
        "mydomain", login_url="https://acme.lightning.force.com/lightning/page/home"
    )
    assert pending.authorize_url.startswith(
        "https://acme.my.salesforce.com/services/oauth2/authorize?"
    )


def test_the_org_reporting_itself_as_sandbox_marks_the_connection(
    service: ConnectionService, org: FakeOrg
) -> None:
    org.is_sandbox = True
    state, code = authorize(service, org)
    assert service.complete_authorization(state=state, code=code).is_sandbox


def test_an_unknown_state_is_rejected(service: ConnectionService, org: FakeOrg) -> None:
    _, code = authorize(service, org)
    with pytest.raises(AuthorizationDenied, match="state"):
        service.complete_authorization(state="forged-state", code=code)
    assert service.list_connections() == []


def test_a_state_is_good_for_one_answer_only(service: ConnectionService, org: FakeOrg) -> None:
    state, code = authorize(service, org)
    service.complete_authorization(state=state, code=code)
    with pytest.raises(AuthorizationDenied):
        service.complete_authorization(state=state, code=code)


def test_an_expired_authorization_is_rejected(settings: Settings, org: FakeOrg) -> None:
    now = [0.0]
    http = httpx2.Client(transport=httpx2.MockTransport(org))
    store = ConnectionService.open(settings, http=http).store
    service = ConnectionService(
        settings, store, http=http, pending=PendingFlows(clock=lambda: now[0], ttl=900)
    )
    state, code = authorize(service, org)
    now[0] = 901.0
    with pytest.raises(AuthorizationDenied):
        service.complete_authorization(state=state, code=code)
    http.close()


def test_a_pkce_mismatch_is_rejected(service: ConnectionService, org: FakeOrg) -> None:
    pending = service.begin_authorization("acme")
    code = org.issue_code("a-challenge-for-some-other-verifier")
    with pytest.raises(AuthorizationDenied, match="code verifier"):
        service.complete_authorization(state=pending.state, code=code)
    assert service.list_connections() == []


def test_deny_is_authorization_denied(service: ConnectionService, org: FakeOrg) -> None:
    pending = service.begin_authorization("acme")
    with pytest.raises(AuthorizationDenied) as caught:
        service.complete_authorization(
            state=pending.state,
            code=None,
            error="access_denied",
            error_description="end-user denied authorization",
        )
    assert "Allow" in caught.value.remedy


def test_a_name_already_in_use_is_refused_before_login(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    with pytest.raises(UsageError, match="already exists"):
        service.begin_authorization("acme")


def test_reauthorizing_replaces_the_tokens_and_keeps_the_connection(
    service: ConnectionService, org: FakeOrg
) -> None:
    pending = service.begin_authorization("sbx", sandbox=True)
    code = org.issue_code(parse_qs(urlsplit(pending.authorize_url).query)["code_challenge"][0])
    before = service.complete_authorization(state=pending.state, code=code).connection
    old_refresh = service.store.tokens("sbx").refresh_token
    service.store.set_status("sbx", ConnectionStatus.NEEDS_REAUTH)

    # The sandbox choice and login host come from the connection, not from the arguments.
    again = service.begin_authorization("sbx", reauthorize=True)
    assert again.authorize_url.startswith("https://test.salesforce.com/services/oauth2/")
    code = org.issue_code(parse_qs(urlsplit(again.authorize_url).query)["code_challenge"][0])
    connected = service.complete_authorization(state=again.state, code=code)

    assert connected.reauthorized
    after = connected.connection
    assert after.status is ConnectionStatus.ACTIVE
    assert (after.id, after.created_at, after.login_url, after.is_sandbox) == (
        before.id,
        before.created_at,
        before.login_url,
        True,
    )
    assert service.store.tokens("sbx").refresh_token not in (None, old_refresh)
    assert [c.name for c in service.list_connections()] == ["sbx"]


def test_reauthorizing_with_a_login_to_another_org_is_refused_and_changes_nothing(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    tokens = service.store.tokens("acme")
    org.org_id = "00DRO0000009OTHER"
    pending = service.begin_authorization("acme", reauthorize=True)
    code = org.issue_code(parse_qs(urlsplit(pending.authorize_url).query)["code_challenge"][0])
    with pytest.raises(UsageError) as refused:
        service.complete_authorization(state=pending.state, code=code)
    assert "another Salesforce org" in refused.value.message
    assert ORG_ID in refused.value.remedy
    assert service.store.tokens("acme") == tokens
    assert service.get_connection("acme").org_id == ORG_ID
    # The grant just made for the other org is not kept alive either.
    assert len(org.revoked) == 1 and org.revoked[0] != tokens.refresh_token


def test_reauthorizing_needs_an_existing_connection(service: ConnectionService) -> None:
    with pytest.raises(NotFound, match="nowhere"):
        service.begin_authorization("nowhere", reauthorize=True)


def test_a_connection_is_reauthorized_headlessly_with_a_new_refresh_token(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("server", org.mint_refresh_token())
    fresh = org.mint_refresh_token()
    connected = service.connect_with_refresh_token("server", fresh, reauthorize=True)
    assert connected.reauthorized
    assert service.store.tokens("server").refresh_token == fresh


@pytest.mark.parametrize("name", ["", "   ", "a/b", "x" * 81])
def test_bad_connection_names_are_refused(service: ConnectionService, name: str) -> None:
    with pytest.raises(UsageError):
        service.begin_authorization(name)


def test_without_a_connected_app_there_is_a_configuration_error(tmp_path: Path) -> None:
    service = ConnectionService.open(Settings(home=tmp_path))
    with pytest.raises(ConfigurationError, match="Connected App"):
        service.begin_authorization("acme")
    service.close()


def test_an_insecure_my_domain_is_refused(service: ConnectionService) -> None:
    with pytest.raises(UsageError, match="https"):
        service.begin_authorization("acme", login_url="http://acme.my.salesforce.com")


def test_a_headless_connection_from_a_refresh_token(
    service: ConnectionService, org: FakeOrg
) -> None:
    refresh = org.mint_refresh_token()
    connected = service.connect_with_refresh_token("server", refresh)
    assert connected.connection.org_id == ORG_ID
    assert service.store.tokens("server").refresh_token == refresh


def test_a_dead_refresh_token_cannot_make_a_connection(service: ConnectionService) -> None:
    with pytest.raises(ConnectionFailed):
        service.connect_with_refresh_token("server", "5Aep861NotAValidRefreshTokenAtAll0123")
    assert service.list_connections() == []


def test_the_client_refreshes_an_expired_session_and_saves_the_new_token(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    before = service.store.tokens("acme").access_token
    org.expire_sessions()
    with service.client_for("acme") as client:
        assert client.rest.count("SELECT COUNT() FROM Account") == 1
    after = service.store.tokens("acme").access_token
    assert after != before
    assert after in org.access_tokens


def test_a_revoked_refresh_token_marks_the_connection_for_reauthorization(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    org.refresh_tokens.clear()
    org.expire_sessions()
    check = service.test_connection("acme")
    assert not check.ok
    assert isinstance(check.error, ConnectionFailed)
    assert "create a new connection" in check.message
    assert service.get_connection("acme").status is ConnectionStatus.NEEDS_REAUTH


def test_the_connection_test_makes_a_data_call_and_records_usage(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    check = service.test_connection("acme")
    assert check.ok
    assert check.usage is not None and check.usage.max == 15000
    stored = service.get_connection("acme")
    assert (stored.api_used, stored.api_max) == (org.api_used, 15000)
    assert stored.last_checked_at is not None
    assert f"of {15000:,} daily API calls used" in check.message


def test_an_api_disabled_user_connects_but_the_check_says_api_enabled_is_missing(
    service: ConnectionService, org: FakeOrg
) -> None:
    org.api_enabled = False
    state, code = authorize(service, org)
    connected = service.complete_authorization(state=state, code=code)
    assert [item.name for item in connected.permissions.missing] == ["API Enabled"]
    check = service.test_connection("acme")
    assert not check.ok
    assert "API Enabled" in check.message


def test_deleting_a_connection_revokes_its_token_at_salesforce(
    service: ConnectionService, org: FakeOrg
) -> None:
    refresh = org.mint_refresh_token()
    service.connect_with_refresh_token("acme", refresh)
    result = service.delete_connection("acme")
    assert result.revoked
    assert org.revoked == [refresh]
    with pytest.raises(NotFound):
        service.get_connection("acme")


def test_deleting_a_connection_whose_token_is_already_dead_still_deletes(
    service: ConnectionService, org: FakeOrg
) -> None:
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    org.refresh_tokens.clear()
    org.access_tokens.clear()
    result = service.delete_connection("acme")
    assert not result.revoked
    assert "already revoked" in result.message
    assert service.list_connections() == []


def test_deleting_while_salesforce_is_unreachable_keeps_the_connection_unless_forced(
    settings: Settings, org: FakeOrg
) -> None:
    def unreachable(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/services/oauth2/revoke":
            raise httpx2.ConnectError("network is unreachable")
        return org(request)

    http = httpx2.Client(transport=httpx2.MockTransport(unreachable))
    service = ConnectionService.open(settings, http=http)
    service.connect_with_refresh_token("acme", org.mint_refresh_token())
    with pytest.raises(TransientError):
        service.delete_connection("acme")
    assert [c.name for c in service.list_connections()] == ["acme"]
    result = service.delete_connection("acme", force=True)
    assert not result.revoked and "could not be revoked" in result.message
    assert service.list_connections() == []
    http.close()


def test_tokens_never_reach_the_logs_or_the_database_file(
    service: ConnectionService, org: FakeOrg, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state, code = authorize(service, org)
    service.complete_authorization(state=state, code=code)
    org.expire_sessions()
    service.test_connection("acme")
    tokens = service.store.tokens("acme")
    secrets = [tokens.access_token, tokens.refresh_token or "", code, *org.revoked]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    raw = b"".join(p.read_bytes() for p in settings.data_dir().glob("metadata.sqlite*"))
    assert caplog.records
    for secret in secrets:
        assert secret not in logged
        assert secret.encode() not in raw


# --- Against the emulator (the real OAuth pages and endpoints, over loopback HTTP) ------------


@pytest.fixture
def emulated() -> Iterator[Emulated]:
    with emulator() as running:
        yield running


@pytest.fixture
def live(tmp_path: Path, emulated: Emulated) -> Iterator[ConnectionService]:
    service = ConnectionService.open(settings_for(tmp_path, emulated))
    yield service
    service.close()


def browser_connect(
    service: ConnectionService, user: str = "admin", name: str = "demo", **options: object
) -> Connected:
    pending = service.begin_authorization(name, **options)  # type: ignore[arg-type]
    answer = browser_login(pending.authorize_url, demo_user(user))
    assert answer["state"] == pending.state
    return service.complete_authorization(state=answer["state"], code=answer["code"])


def test_full_oauth_flow_against_the_emulator_for_production(
    live: ConnectionService, emulated: Emulated
) -> None:
    connected = browser_connect(live)
    assert connected.login_url == emulated.base_url
    assert connected.instance_url == emulated.base_url
    assert connected.connection.username == demo_user("admin").username
    assert connected.connection.org_id.startswith("00D")
    assert connected.connection.user_id.startswith("005")
    assert not connected.is_sandbox
    assert connected.permissions.all_present
    assert live.test_connection("demo").ok


def test_full_oauth_flow_against_a_sandbox_org(tmp_path: Path, emulated: Emulated) -> None:
    with emulator(is_sandbox=True) as sandbox:
        service = ConnectionService.open(settings_for(tmp_path, emulated, sandbox))
        chosen = browser_connect(service, name="chosen", sandbox=True)
        assert chosen.login_url == sandbox.base_url
        assert chosen.is_sandbox
        # Without the "Use sandbox" box, Organization.IsSandbox still tells.
        detected = browser_connect(service, name="detected", login_url=sandbox.base_url)
        assert detected.is_sandbox
        service.close()


def test_full_oauth_flow_through_a_my_domain_style_url(
    live: ConnectionService, emulated: Emulated
) -> None:
    pending = live.begin_authorization("mydomain", login_url=emulated.my_domain_url + "/")
    assert pending.authorize_url.startswith(f"{emulated.my_domain_url}/services/oauth2/authorize?")
    answer = browser_login(pending.authorize_url, demo_user("admin"))
    connected = live.complete_authorization(state=answer["state"], code=answer["code"])
    assert connected.login_url == emulated.my_domain_url
    assert connected.instance_url == emulated.my_domain_url
    assert live.test_connection("mydomain").ok


def test_a_state_mismatch_is_rejected_by_the_product(live: ConnectionService) -> None:
    pending = live.begin_authorization("demo")
    answer = browser_login(pending.authorize_url, demo_user("admin"))
    with pytest.raises(AuthorizationDenied, match="state"):
        live.complete_authorization(state=answer["state"] + "x", code=answer["code"])
    assert live.list_connections() == []


def test_a_pkce_mismatch_is_rejected_by_salesforce(live: ConnectionService) -> None:
    pending = live.begin_authorization("demo")
    answer = browser_login(pending.authorize_url, demo_user("admin"))
    # Swap in another flow's verifier: the emulator's token endpoint must refuse the code.
    other = live.begin_authorization("other")
    live._pending.add(replace(pending, code_verifier=other.code_verifier))
    with pytest.raises(AuthorizationDenied, match="code verifier"):
        live.complete_authorization(state=answer["state"], code=answer["code"])
    assert live.list_connections() == []


def test_deny_on_the_allow_page_is_authorization_denied(live: ConnectionService) -> None:
    pending = live.begin_authorization("demo")
    answer = browser_login(pending.authorize_url, demo_user("admin"), decision="deny")
    assert answer["error"] == "access_denied"
    with pytest.raises(AuthorizationDenied):
        live.complete_authorization(
            state=answer["state"],
            code=None,
            error=answer["error"],
            error_description=answer.get("error_description"),
        )


def test_an_expired_session_is_refreshed_and_the_new_token_saved(
    live: ConnectionService, emulated: Emulated
) -> None:
    browser_connect(live)
    before = live.store.tokens("demo")
    # The emulator never expires sessions by time; revoking the access token alone ends the
    # session exactly as a timeout does (401 INVALID_SESSION_ID), the refresh token lives on.
    with httpx2.Client() as http:
        http.post(
            f"{emulated.base_url}/services/oauth2/revoke", data={"token": before.access_token}
        )
    with live.client_for("demo") as client:
        assert client.rest.count("SELECT COUNT() FROM Account") > 0
    after = live.store.tokens("demo")
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token
    assert live.get_connection("demo").status is ConnectionStatus.ACTIVE


def test_a_revoked_connection_is_reauthorized_through_the_emulator_login(
    live: ConnectionService, emulated: Emulated
) -> None:
    first = browser_connect(live).connection
    emulated.control("revoke", {"username": demo_user("admin").username})
    assert not live.test_connection("demo").ok
    assert live.get_connection("demo").status is ConnectionStatus.NEEDS_REAUTH

    pending = live.begin_authorization("demo", reauthorize=True)
    assert pending.authorize_url.startswith(f"{emulated.base_url}/services/oauth2/authorize?")
    answer = browser_login(pending.authorize_url, demo_user("admin"))
    connected = live.complete_authorization(state=answer["state"], code=answer["code"])

    assert connected.reauthorized and connected.permissions.all_present
    assert connected.connection.id == first.id
    assert connected.connection.status is ConnectionStatus.ACTIVE
    assert live.test_connection("demo").ok


def test_deleting_a_connection_revokes_it_at_the_emulator(
    live: ConnectionService, emulated: Emulated
) -> None:
    browser_connect(live)
    refresh = live.store.tokens("demo").refresh_token
    assert refresh is not None
    result = live.delete_connection("demo")
    assert result.revoked
    assert live.list_connections() == []
    with httpx2.Client() as http:
        after = http.post(
            f"{emulated.base_url}/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": DEMO_CLIENT_ID,
            },
        )
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


def test_a_user_without_api_enabled_connects_and_is_told_what_is_missing(
    live: ConnectionService,
) -> None:
    connected = browser_connect(live, user="noapi")
    assert [item.name for item in connected.permissions.missing] == ["API Enabled"]
    check = live.test_connection("demo")
    assert not check.ok
    assert isinstance(check.error, ApiDisabled)
    assert "API Enabled" in check.message


def test_tokens_stay_out_of_logs_and_the_database_during_a_live_flow(
    live: ConnectionService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser_connect(live)
    live.test_connection("demo")
    tokens = live.store.tokens("demo")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    raw = b"".join(p.read_bytes() for p in live.settings.data_dir().glob("metadata.sqlite*"))
    assert caplog.records
    for secret in (tokens.access_token, tokens.refresh_token or ""):
        assert secret and secret not in logged
        assert secret.encode() not in raw
