"""OAuth: login hosts, state and PKCE, code exchange, refresh on an expired session, revoke,
and tokens kept out of logs and messages."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from sfimport.errors import AuthorizationDenied, ConfigurationError, ConnectionFailed, UsageError
from sfimport.salesforce import (
    OAuthApp,
    OAuthClient,
    Pkce,
    SalesforceAuth,
    TokenSet,
    authorization_request,
    is_sandbox_login_url,
    normalize_login_url,
    pkce_challenge,
    redact,
)
from sfimport.salesforce.redaction import redacting_logger
from tests.salesforce.conftest import (
    ACCESS_TOKEN,
    INSTANCE,
    REFRESH_TOKEN,
    ClientFactory,
    make_tokens,
)

APP = OAuthApp(
    client_id="3MVG9demo",
    client_secret="s3cr3t-client",
    redirect_uri="http://127.0.0.1:8000/oauth/callback",
)
NEW_ACCESS = "00DRO0000008aXd!AQ4AQNewAccessTokenAfterRefresh.zyxwvutsrq"


def token_body(access: str = NEW_ACCESS, refresh: str | None = None) -> dict[str, str]:
    body = {
        "access_token": access,
        "instance_url": INSTANCE,
        "id": "https://login.salesforce.com/id/00DRO0000008aXd2AI/005RO000000HfnkYAC",
        "token_type": "Bearer",
        "issued_at": "1278448832702",
        "signature": "0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=",
        "scope": "refresh_token api id",
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


def json_response(body: object, status: int = 200) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


def oauth(handler: object, login_url: str = "https://login.salesforce.com") -> OAuthClient:
    return OAuthClient(httpx2.Client(transport=httpx2.MockTransport(handler)), login_url, APP)  # type: ignore[arg-type]


# --- Login hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "login_url"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://acme.my.salesforce.com/home/home.jsp", "https://acme.my.salesforce.com"),
        ("https://acme.lightning.force.com/lightning/page/home", "https://acme.my.salesforce.com"),
        ("https://ACME.Lightning.Force.com", "https://acme.my.salesforce.com"),
        ("acme--dev.sandbox.my.salesforce.com", "https://acme--dev.sandbox.my.salesforce.com"),
        (
            "https://acme--dev.sandbox.lightning.force.com/lightning/setup",
            "https://acme--dev.sandbox.my.salesforce.com",
        ),
        ("https://acme.my.salesforce-setup.com/lightning", "https://acme.my.salesforce.com"),
        ("http://127.0.0.1:8443", "http://127.0.0.1:8443"),
        ("http://localhost:8443/", "http://localhost:8443"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_login_urls_are_normalised(typed: str, login_url: str) -> None:
    assert normalize_login_url(typed) == login_url


@pytest.mark.parametrize(
    "typed",
    [
        "http://acme.my.salesforce.com",
        "http://login.salesforce.com",
        "ftp://acme.my.salesforce.com",
        "",
        "https://user:pw@acme.my.salesforce.com",
    ],
)
def test_insecure_or_malformed_login_urls_are_refused(typed: str) -> None:
    with pytest.raises(UsageError):
        normalize_login_url(typed)


@pytest.mark.parametrize(
    ("login_url", "sandbox"),
    [
        ("https://test.salesforce.com", True),
        ("https://acme--dev.sandbox.my.salesforce.com", True),
        ("https://login.salesforce.com", False),
        ("https://acme.my.salesforce.com", False),
    ],
)
def test_sandbox_login_hosts_are_recognised(login_url: str, sandbox: bool) -> None:
    assert is_sandbox_login_url(login_url) is sandbox


# --- State and PKCE -------------------------------------------------------------------------


def test_pkce_challenge_matches_the_rfc_7636_example() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_verifiers_are_fresh_and_well_formed() -> None:
    first, second = Pkce.generate(), Pkce.generate()
    assert first.verifier != second.verifier
    assert 43 <= len(first.verifier) <= 128
    assert first.challenge == pkce_challenge(first.verifier)
    assert first.verifier not in repr(first)


def test_authorize_url_carries_state_and_s256_challenge() -> None:
    request = authorization_request("https://acme.lightning.force.com", APP)
    parts = urlsplit(request.url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://acme.my.salesforce.com/services/oauth2/authorize"
    )
    assert query["response_type"] == "code"
    assert query["client_id"] == APP.client_id
    assert query["redirect_uri"] == APP.redirect_uri
    assert query["state"] == request.state
    assert query["code_challenge"] == pkce_challenge(request.code_verifier)
    assert query["code_challenge_method"] == "S256"
    assert "refresh_token" in query["scope"].split()
    # The verifier never travels to the browser.
    assert request.code_verifier not in request.url


def test_each_authorization_gets_its_own_state() -> None:
    first = authorization_request("https://login.salesforce.com", APP)
    second = authorization_request("https://login.salesforce.com", APP)
    assert first.state != second.state
    assert len(first.state) >= 32


# --- Token endpoint -------------------------------------------------------------------------


def test_code_exchange_posts_the_code_and_verifier() -> None:
    posted: list[dict[str, list[str]]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.url == "https://test.salesforce.com/services/oauth2/token"
        posted.append(parse_qs(request.content.decode()))
        return json_response(token_body(ACCESS_TOKEN, REFRESH_TOKEN))

    # The code arrives URL-decoded once from the callback; it must be sent as is.
    code = "aPrxSV6UAcNrPEkEccurRd63fzSaoVf49aHsFeMABXkEjhzzsxq0wn8MJxoNdc5pfT_SE0GZEw=="
    tokens = oauth(handler, "https://test.salesforce.com").exchange_code(code, "the-verifier")
    form = posted[0]
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == [code]
    assert form["code_verifier"] == ["the-verifier"]
    assert form["redirect_uri"] == [APP.redirect_uri]
    assert form["client_id"] == [APP.client_id]
    assert tokens.refresh_token == REFRESH_TOKEN
    assert tokens.org_id == "00DRO0000008aXd2AI"
    assert tokens.user_id == "005RO000000HfnkYAC"


@pytest.mark.parametrize(
    ("error", "description", "error_class"),
    [
        ("invalid_request", "invalid code verifier", AuthorizationDenied),
        ("invalid_grant", "invalid code verifier", AuthorizationDenied),
        ("invalid_grant", "expired authorization code", AuthorizationDenied),
        ("invalid_grant", "expired access/refresh token", ConnectionFailed),
        ("app_blocked", "this app is blocked by admin", ConnectionFailed),
        ("inactive_user", "User is inactive", ConnectionFailed),
        ("invalid_client_id", "client identifier invalid", ConfigurationError),
        ("redirect_uri_mismatch", "redirect_uri must match configuration", ConfigurationError),
    ],
)
def test_token_endpoint_errors_are_mapped(
    error: str, description: str, error_class: type[Exception]
) -> None:
    client = oauth(
        lambda request: json_response({"error": error, "error_description": description}, 400)
    )
    with pytest.raises(error_class) as caught:
        client.exchange_code("code", "verifier")
    assert description in str(caught.value)


def test_revoke_posts_the_token() -> None:
    posted: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        posted.append(request)
        return httpx2.Response(200)

    oauth(handler).revoke(REFRESH_TOKEN)
    assert posted[0].url.path == "/services/oauth2/revoke"
    assert parse_qs(posted[0].content.decode())["token"] == [REFRESH_TOKEN]


def test_revoking_a_dead_token_is_the_generic_connection_error() -> None:
    client = oauth(
        lambda request: json_response(
            {"error": "invalid_token", "error_description": "invalid token"}, 400
        )
    )
    with pytest.raises(ConnectionFailed):
        client.revoke(REFRESH_TOKEN)


# --- Refresh on an expired session ----------------------------------------------------------

EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


class Org:
    """A fake instance that accepts one access token at a time."""

    def __init__(self, valid: str) -> None:
        self.valid = valid
        self.seen: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] != f"Bearer {self.valid}":
            return json_response(EXPIRED, 401)
        return json_response({"totalSize": 5, "done": True, "records": []})


def test_expired_session_is_refreshed_once_and_the_request_resent(
    make_client: ClientFactory,
) -> None:
    org = Org(valid=NEW_ACCESS)
    refreshed_with: list[str] = []
    stored: list[TokenSet] = []

    def refresher(refresh_token: str) -> TokenSet:
        refreshed_with.append(refresh_token)
        return TokenSet.from_wire(token_body(NEW_ACCESS))  # type: ignore[arg-type]

    auth = SalesforceAuth(make_tokens(), refresher, on_refresh=stored.append)
    client = make_client(org, auth=auth)
    assert client.rest.count("SELECT COUNT() FROM Account") == 5
    assert client.rest.count("SELECT COUNT() FROM Account") == 5
    assert refreshed_with == [REFRESH_TOKEN]
    assert org.seen == [f"Bearer {ACCESS_TOKEN}", f"Bearer {NEW_ACCESS}", f"Bearer {NEW_ACCESS}"]
    # The stored tokens keep the refresh token, which the refresh grant did not repeat.
    assert [(t.access_token, t.refresh_token) for t in stored] == [(NEW_ACCESS, REFRESH_TOKEN)]


def test_tokens_another_process_stored_are_used_before_refreshing(
    make_client: ClientFactory,
) -> None:
    """A re-authorisation (or a refresh) in another process left new tokens in the store: a
    401 with the old access token re-sends with the stored one, and refreshes nothing."""
    refreshed_with: list[str] = []

    def refresher(refresh_token: str) -> TokenSet:
        refreshed_with.append(refresh_token)
        return TokenSet.from_wire(token_body("never-used"))  # type: ignore[arg-type]

    stored = replace(make_tokens(), access_token=NEW_ACCESS, refresh_token="5AepStoredRefresh")
    org = Org(valid=NEW_ACCESS)
    auth = SalesforceAuth(make_tokens(), refresher, reload=lambda: stored)
    client = make_client(org, auth=auth)
    assert client.rest.count("SELECT COUNT() FROM Account") == 5
    assert refreshed_with == []
    assert org.seen == [f"Bearer {ACCESS_TOKEN}", f"Bearer {NEW_ACCESS}"]
    assert auth.tokens.refresh_token == "5AepStoredRefresh"


def test_a_stale_stored_token_falls_back_to_refreshing_with_the_stored_refresh_token(
    make_client: ClientFactory,
) -> None:
    refreshed_with: list[str] = []

    def refresher(refresh_token: str) -> TokenSet:
        refreshed_with.append(refresh_token)
        return TokenSet.from_wire(token_body(NEW_ACCESS))  # type: ignore[arg-type]

    stored = replace(make_tokens(), access_token="00Dstale!expired", refresh_token="5AepStored")
    org = Org(valid=NEW_ACCESS)
    auth = SalesforceAuth(make_tokens(), refresher, reload=lambda: stored)
    assert make_client(org, auth=auth).rest.count("SELECT COUNT() FROM Account") == 5
    assert refreshed_with == ["5AepStored"]  # one refresh, with the newest refresh token
    assert org.seen[-1] == f"Bearer {NEW_ACCESS}"


def test_a_rotated_refresh_token_is_kept(make_client: ClientFactory) -> None:
    rotated = "5Aep861RotatedRefreshTokenValue0123456789abcdef"
    stored: list[TokenSet] = []
    auth = SalesforceAuth(
        make_tokens(),
        lambda _: TokenSet.from_wire(token_body(NEW_ACCESS, rotated)),  # type: ignore[arg-type]
        on_refresh=stored.append,
    )
    make_client(Org(valid=NEW_ACCESS), auth=auth).rest.count("SELECT COUNT() FROM Account")
    assert stored[0].refresh_token == rotated
    assert auth.tokens.refresh_token == rotated


def test_a_session_still_invalid_after_refresh_is_the_generic_connection_error(
    make_client: ClientFactory,
) -> None:
    calls: list[str] = []

    def refresher(refresh_token: str) -> TokenSet:
        calls.append(refresh_token)
        return TokenSet.from_wire(token_body(NEW_ACCESS))  # type: ignore[arg-type]

    client = make_client(Org(valid="nothing-works"), auth=SalesforceAuth(make_tokens(), refresher))
    with pytest.raises(ConnectionFailed) as caught:
        client.rest.count("SELECT COUNT() FROM Account")
    assert calls == [REFRESH_TOKEN]  # refreshed once, never in a loop
    assert caught.value.error_code == "INVALID_SESSION_ID"


def test_a_revoked_refresh_token_is_the_generic_connection_error(
    make_client: ClientFactory,
) -> None:
    def refresh_call(request: httpx2.Request) -> httpx2.Response:
        return json_response(
            {"error": "invalid_grant", "error_description": "expired access/refresh token"}, 400
        )

    refresher = oauth(refresh_call).refresh
    client = make_client(Org(valid=NEW_ACCESS), auth=SalesforceAuth(make_tokens(), refresher))
    with pytest.raises(ConnectionFailed) as caught:
        client.rest.count("SELECT COUNT() FROM Account")
    assert "create a new connection" in caught.value.remedy


def test_a_401_that_is_not_an_expired_session_is_not_refreshed(make_client: ClientFactory) -> None:
    calls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        return json_response(
            [{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}], 401
        )

    auth = SalesforceAuth(make_tokens(), lambda token: calls.append(token))  # type: ignore[arg-type, func-returns-value]
    with pytest.raises(ConnectionFailed):
        make_client(handler, auth=auth).rest.limits()
    assert calls == []


def test_threads_meeting_an_expired_session_refresh_only_once(make_client: ClientFactory) -> None:
    org = Org(valid=NEW_ACCESS)
    calls: list[str] = []
    gate = threading.Barrier(4)

    def refresher(refresh_token: str) -> TokenSet:
        calls.append(refresh_token)
        return TokenSet.from_wire(token_body(NEW_ACCESS))  # type: ignore[arg-type]

    def slow_org(request: httpx2.Request) -> httpx2.Response:
        response = org(request)
        if response.status_code == 401:
            gate.wait(timeout=5)  # every thread holds a stale token before anyone refreshes
        return response

    client = make_client(slow_org, auth=SalesforceAuth(make_tokens(), refresher))
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.rest.count("SELECT COUNT() FROM A")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [5, 5, 5, 5]
    assert calls == [REFRESH_TOKEN]


# --- Tokens kept out of text ----------------------------------------------------------------


def test_tokens_are_absent_from_logs_during_a_flow(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []

    def login(request: httpx2.Request) -> httpx2.Response:
        form = parse_qs(request.content.decode())
        if form["grant_type"] == ["authorization_code"]:
            return json_response(token_body(ACCESS_TOKEN, REFRESH_TOKEN))
        return json_response(token_body(NEW_ACCESS))

    login_client = oauth(login)
    first = login_client.exchange_code("the-code", "the-verifier")
    tokens += [first.access_token, first.refresh_token or ""]
    auth = SalesforceAuth(first, login_client.refresh)
    client = make_client(Org(valid=NEW_ACCESS), auth=auth)
    client.rest.count("SELECT COUNT() FROM Account")
    logging.getLogger("sfimport.salesforce.client").warning("token is %s", ACCESS_TOKEN)
    tokens.append(NEW_ACCESS)
    assert caplog.records  # the flow did log
    text = "\n".join(record.getMessage() for record in caplog.records)
    for token in tokens:
        assert token not in text
    assert "[redacted]" in text


def test_token_shaped_text_is_redacted_even_when_unregistered() -> None:
    text = "Bearer 00D5g000004ABCD!AQcAQH0nQ3zQqXfQ and 5Aep8614XYZabcdefghijklmnop1234 done"
    cleaned = redact(text)
    assert "AQcAQH0nQ3zQqXfQ" not in cleaned
    assert "5Aep8614XYZ" not in cleaned
    assert cleaned.endswith("done")


def test_error_messages_never_contain_a_token() -> None:
    leak = f"Session {ACCESS_TOKEN} expired"
    client = oauth(
        lambda request: json_response({"error": "invalid_grant", "error_description": leak}, 400)
    )
    with pytest.raises(ConnectionFailed) as caught:
        client.refresh(REFRESH_TOKEN)
    assert ACCESS_TOKEN not in caught.value.describe()
    assert REFRESH_TOKEN not in caught.value.describe()


def test_tokens_in_a_logged_traceback_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    token = "00D5g000004ABCD!AQcAQH0nQ3zQqXfQtracebacksecret"
    logger = redacting_logger("sfimport.extract.runner")
    with caplog.at_level(logging.ERROR):
        try:
            raise RuntimeError(f"request failed with Authorization: Bearer {token}")
        except RuntimeError:
            logger.exception("Data set %s failed unexpectedly", "Lead")
    formatted = logging.Formatter().format(caplog.records[-1])
    assert "RuntimeError" in formatted and "Traceback" in formatted
    assert "tracebacksecret" not in formatted
