"""OAuth 2.0 web server flow as a browser and a client see it: pages, redirects, PKCE, tokens,
refresh, revoke, identity and the login hosts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERS
from tests.emulator.conftest import ADMIN, Http, V, error_of, fresh_org

CALLBACK = "http://127.0.0.1:53682/oauth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
)


def _request_id(html: str) -> str:
    match = re.search(r'name="oauth_request" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def _authorize(
    http: Http,
    *,
    redirect_uri: str = CALLBACK,
    challenge: str | None = CHALLENGE,
    scope: str = "api refresh_token id",
) -> str:
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz-42",
    }
    if challenge:
        params.update({"code_challenge": challenge, "code_challenge_method": "S256"})
    page = http.get("/services/oauth2/authorize", params=params)
    assert page.status_code == 200
    return page.text


def _log_in_and_decide(
    http: Http, decision: str, password: str = "demo-admin-1", scope: str = "api refresh_token id"
) -> dict[str, list[str]]:
    request_id = _request_id(_authorize(http, scope=scope))
    consent = http.post(
        "/services/oauth2/authorize",
        data={"oauth_request": request_id, "step": "login", "username": ADMIN, "pw": password},
    )
    assert "Allow Access?" in consent.text
    redirect = http.post(
        "/services/oauth2/authorize",
        data={"oauth_request": _request_id(consent.text), "step": "consent", "decision": decision},
    )
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(location).query)


def _exchange(http: Http, code: str, verifier: str | None = VERIFIER) -> tuple[int, dict]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "redirect_uri": CALLBACK,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    response = http.post("/services/oauth2/token", data=data)
    return response.status_code, response.json()


def test_login_page_has_salesforce_fields_and_lists_the_demo_users() -> None:
    html = _authorize(Http(fresh_org()))
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Log In</button>" in html
    for user in DEMO_USERS:
        assert user.username in html and user.password in html


def test_wrong_password_shows_the_login_page_again() -> None:
    http = Http(fresh_org())
    request_id = _request_id(_authorize(http))
    page = http.post(
        "/services/oauth2/authorize",
        data={"oauth_request": request_id, "step": "login", "username": ADMIN, "pw": "nope"},
    )
    assert "Please check your username and password" in page.text
    assert "Allow Access?" not in page.text


def test_web_server_flow_with_pkce_yields_tokens_that_work() -> None:
    http = Http(fresh_org())
    query = _log_in_and_decide(http, "allow")
    assert query["state"] == ["xyz-42"]
    code = query["code"][0]
    assert code.endswith("==")
    status, body = _exchange(http, code)
    assert status == 200
    assert list(body) == [
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    ]
    assert "expires_in" not in body and body["issued_at"].isdigit()
    assert body["instance_url"] == "https://emu.test" and body["token_type"] == "Bearer"
    assert re.fullmatch(r"https://emu\.test/id/00D\w{15}/005\w{15}", body["id"])
    assert body["access_token"].startswith(body["id"].split("/")[-2][:15] + "!")
    mac = hmac.new(
        DEMO_CLIENT_SECRET.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    )
    assert body["signature"] == base64.b64encode(mac.digest()).decode()
    assert http.get(f"{V}/sobjects", token=body["access_token"]).status_code == 200
    # Codes are single-use.
    assert _exchange(http, code) == (
        400,
        {"error": "invalid_grant", "error_description": "invalid authorization code"},
    )


def test_deny_redirects_with_access_denied() -> None:
    query = _log_in_and_decide(Http(fresh_org()), "deny")
    assert query["error"] == ["access_denied"]
    assert query["error_description"] == ["end-user denied authorization"]
    assert query["state"] == ["xyz-42"]


def test_pkce_is_enforced_when_a_challenge_was_sent() -> None:
    http = Http(fresh_org())
    code = _log_in_and_decide(http, "allow")["code"][0]
    status, body = _exchange(http, code, verifier=None)
    assert (status, body["error"]) == (400, "invalid_grant")
    code = _log_in_and_decide(http, "allow")["code"][0]
    status, body = _exchange(http, code, verifier="x" * 43)
    assert (status, body["error"]) == (400, "invalid_request")


def test_redirect_uri_must_match_configuration_or_be_loopback() -> None:
    http = Http(fresh_org())
    page = http.get(
        "/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": "https://evil.example/callback",
        },
    )
    assert page.status_code == 400
    assert "error=redirect_uri_mismatch" in page.text
    for loopback in ("http://localhost:9/cb", "https://[::1]:8443/x", "http://127.0.0.1/cb"):
        assert "Log In" in _authorize(http, redirect_uri=loopback, challenge=None)
    unknown = http.get(
        "/services/oauth2/authorize",
        params={"response_type": "code", "client_id": "nope", "redirect_uri": CALLBACK},
    )
    assert "error=invalid_client_id" in unknown.text


@pytest.mark.parametrize(
    ("data", "error", "description"),
    [
        (
            {"grant_type": "refresh_token", "refresh_token": "bogus"},
            "invalid_grant",
            "expired access/refresh token",
        ),
        (
            {"grant_type": "client_credentials"},
            "unsupported_grant_type",
            "grant type not supported",
        ),
        (
            {"grant_type": "refresh_token", "client_id": "bogus"},
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            {"grant_type": "refresh_token", "client_secret": "wrong"},
            "invalid_client",
            "invalid client credentials",
        ),
        (
            {"grant_type": "password", "username": ADMIN, "password": "wrong"},
            "invalid_grant",
            "authentication failure",
        ),
    ],
)
def test_token_endpoint_errors_are_oauth_objects(
    http: Http, data: dict[str, str], error: str, description: str
) -> None:
    sent = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, **data}
    response = http.post("/services/oauth2/token", data=sent)
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_refresh_and_revoke() -> None:
    http = Http(fresh_org())
    minted = http.post("/__emulator__/tokens", json={"username": ADMIN}).json()
    refreshed = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": minted["refresh_token"],
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    ).json()
    assert "refresh_token" not in refreshed
    assert http.get(f"{V}/sobjects", token=refreshed["access_token"]).status_code == 200
    # Basic client authentication works too.
    basic = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
    again = http.post(
        "/services/oauth2/token",
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "refresh_token", "refresh_token": minted["refresh_token"]},
    )
    assert again.status_code == 200
    assert (
        http.post("/services/oauth2/revoke", data={"token": minted["refresh_token"]}).status_code
        == 200
    )
    # Revoking the refresh token kills the access tokens issued from it.
    assert error_of(http.get(f"{V}/sobjects", token=refreshed["access_token"]))[1] == (
        "INVALID_SESSION_ID"
    )
    after = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": minted["refresh_token"],
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert after.json()["error_description"] == "expired access/refresh token"
    bad = http.post("/services/oauth2/revoke", data={"token": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    "host",
    [
        "login.salesforce.com",
        "test.salesforce.com",
        "acme.my.salesforce.com",
        "acme--uat.sandbox.my.salesforce.com",
    ],
)
def test_identity_url_host_follows_the_login_host(host: str) -> None:
    http = Http(fresh_org(), base_url=f"https://{host}")
    token = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "username": ADMIN,
            "password": "demo-admin-1",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    ).json()
    assert token["id"].startswith(f"https://{host}/id/")
    identity = http.get(
        urlsplit(token["id"]).path, params={"version": "62.0"}, token=token["access_token"]
    )
    body = identity.json()
    assert body["username"] == ADMIN and body["id"] == token["id"]
    assert body["urls"]["rest"] == f"https://{host}/services/data/v62.0/"
    assert body["last_modified_date"].endswith("Z")
    assert http.get(urlsplit(token["id"]).path).text == "Missing_OAuth_Token"


def test_userinfo_and_the_sandbox_flag() -> None:
    http = Http(fresh_org(is_sandbox=True))
    token = http.token()
    info = http.get("/services/oauth2/userinfo", token=token).json()
    assert info["preferred_username"] == ADMIN and info["sub"].endswith(info["user_id"])
    org = http.query("SELECT Id, IsSandbox, OrganizationType FROM Organization", token).json()
    assert org["records"][0]["IsSandbox"] is True
    production = Http(fresh_org())
    body = production.query("SELECT IsSandbox FROM Organization", production.token()).json()
    assert body["records"][0]["IsSandbox"] is False


def _refresh(http: Http, refresh_token: str) -> dict:
    response = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_idle_session_expires_after_two_hours_and_a_refresh_restores_access() -> None:
    http = Http(fresh_org())
    minted = http.post("/__emulator__/tokens", json={"username": ADMIN}).json()
    token = minted["access_token"]
    http.post("/__emulator__/clock", json={"advance_seconds": 2 * 3600 - 60})
    assert http.get(f"{V}/sobjects", token=token).status_code == 200
    # Each use extends the session: another 119 idle minutes are still fine.
    http.post("/__emulator__/clock", json={"advance_seconds": 2 * 3600 - 60})
    assert http.get(f"{V}/limits", token=token).status_code == 200
    http.post("/__emulator__/clock", json={"advance_seconds": 2 * 3600 + 1})
    expired = http.get(f"{V}/sobjects", token=token)
    assert error_of(expired) == (401, "INVALID_SESSION_ID", "Session expired or invalid")
    assert expired.headers["WWW-Authenticate"] == "Token"
    # Bulk and identity say the same; the refresh token itself does not expire.
    assert error_of(http.get(f"{V}/jobs/query", token=token))[1] == "INVALID_SESSION_ID"
    org_id, user_id = minted["id"].rsplit("/", 2)[-2:]
    assert http.get(f"/id/{org_id}/{user_id}", token=token).status_code == 403
    fresh = _refresh(http, minted["refresh_token"])["access_token"]
    assert http.get(f"{V}/sobjects", token=fresh).status_code == 200


def test_the_session_timeout_is_set_through_the_control_api() -> None:
    http = Http(fresh_org())
    answer = http.post("/__emulator__/session", json={"timeout_seconds": 900})
    assert answer.status_code == 200, answer.text
    token = http.token()
    http.post("/__emulator__/clock", json={"advance_seconds": 901})
    assert error_of(http.get(f"{V}/sobjects", token=token))[0] == 401
    assert http.post("/__emulator__/session", json={"timeout_seconds": 0}).status_code == 400


@pytest.mark.parametrize(
    ("scope", "gets_refresh_token"),
    [
        ("full", False),
        ("api id", False),
        ("full refresh_token", True),
        ("api offline_access", True),
    ],
)
def test_a_refresh_token_comes_only_with_the_refresh_token_or_offline_access_scope(
    scope: str, gets_refresh_token: bool
) -> None:
    # "full" covers every other scope yet never returns a refresh token by itself.
    http = Http(fresh_org())
    query = _log_in_and_decide(http, "allow", scope=scope)
    status, body = _exchange(http, query["code"][0])
    assert status == 200
    assert ("refresh_token" in body) is gets_refresh_token
    assert body["scope"] == scope
