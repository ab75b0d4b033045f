"""OAuth 2.0 with Salesforce: login hosts, the web-server flow with state and PKCE, token
refresh, revocation, identity, and the ``httpx2.Auth`` that refreshes on an expired session.

Salesforce never says how long an access token lives (there is no ``expires_in``); the only
signal is a 401 ``INVALID_SESSION_ID``, on which :class:`SalesforceAuth` refreshes once and
re-sends the request.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urlencode, urlsplit

import httpx2

from sfimport.errors import ConnectionFailed, SalesforceError, TransientError, UsageError
from sfimport.salesforce.hosts import (
    check_instance_url,
    check_login_host,
    is_loopback_host,
    split_url,
)
from sfimport.salesforce.redaction import guard_library_loggers, redacting_logger, remember_secret
from sfimport.salesforce.wire import Identity, TokenResponse
from sfimport.salesforce.wire_errors import error_from_oauth, is_invalid_session

logger = redacting_logger(__name__)

DEFAULT_SCOPE = "api refresh_token id"

# --- Login hosts ----------------------------------------------------------------------------


def normalize_login_url(url: str, extra_hosts: Collection[str] = ()) -> str:
    """The login base URL for what a person typed or pasted.

    Accepts ``https://acme.my.salesforce.com``, a Lightning address such as
    ``https://acme.lightning.force.com/lightning/page/home``, sandbox forms
    (``acme--dev.sandbox.my.salesforce.com``, ``acme--dev.sandbox.lightning.force.com``) and
    bare host names; returns ``https://<host>`` with Lightning hosts turned into their
    My Domain login host. Loopback URLs (the demo org) are kept as given, http included;
    any other non-https URL, a malformed one, or a host outside Salesforce's domains and
    ``extra_hosts`` (see :mod:`sfimport.salesforce.hosts`) is refused with
    :class:`~sfimport.errors.UsageError`.
    """
    text = url.strip()
    if not text:
        raise UsageError("The login URL is empty.")
    if "://" not in text:
        text = f"https://{text}"
    parts, host, port_number = split_url(text)
    port = f":{port_number}" if port_number else ""
    if is_loopback_host(host):
        path = parts.path.rstrip("/")
        shown_host = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{shown_host}{port}{path}"
    check_login_host(host, url.strip(), extra_hosts)
    if parts.scheme != "https":
        raise UsageError(
            f"{url!r} is not secure: Salesforce login URLs must start with https://.",
            remedy="Use the https:// address of your Salesforce login or My Domain.",
        )
    return f"https://{_my_domain_host(host)}{port}"


def _my_domain_host(host: str) -> str:
    # Lightning UI hosts map to the My Domain login host with the same prefix:
    # acme.lightning.force.com -> acme.my.salesforce.com,
    # acme--dev.sandbox.lightning.force.com -> acme--dev.sandbox.my.salesforce.com.
    for suffix in (".lightning.force.com", ".my.salesforce-setup.com"):
        if host.endswith(suffix):
            return host[: -len(suffix)] + ".my.salesforce.com"
    return host


def is_sandbox_login_url(login_url: str) -> bool:
    """True for test.salesforce.com and sandbox My Domain hosts."""
    host = (urlsplit(login_url).hostname or "").lower()
    return host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com")


# --- Values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthApp:
    """The Connected App (External Client App) sfimport authenticates as."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str = "http://127.0.0.1:8000/oauth/callback"
    scope: str = DEFAULT_SCOPE


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: the verifier stays on our side, the S256 challenge goes to Salesforce."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def generate(cls) -> Pkce:
        # 64 random bytes -> 86 url-safe characters, inside RFC 7636's 43..128.
        verifier = secrets.token_urlsafe(64)
        return cls(verifier=verifier, challenge=pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding (the S256 method)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the person's browser, and what must come back to finish the flow."""

    url: str
    state: str
    code_verifier: str = field(repr=False)
    login_url: str
    redirect_uri: str


@dataclass(frozen=True)
class TokenSet:
    """Tokens and where they are valid. Tokens never appear in ``repr``."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str
    refresh_token: str | None = field(default=None, repr=False)
    issued_at: datetime | None = None
    scope: str | None = None

    @property
    def org_id(self) -> str:
        """The 18-character org id, from the identity URL ``.../id/<org>/<user>``."""
        return self.identity_url.rstrip("/").split("/")[-2]

    @property
    def user_id(self) -> str:
        return self.identity_url.rstrip("/").split("/")[-1]

    @classmethod
    def from_wire(cls, body: TokenResponse, *, refresh_token: str | None = None) -> TokenSet:
        """Parse a token response; ``refresh_token`` is kept when a refresh grant omits it."""
        issued_at: datetime | None = None
        # issued_at is a string of epoch milliseconds.
        raw_issued = body.get("issued_at")
        if isinstance(raw_issued, str) and raw_issued.isdigit():
            issued_at = datetime.fromtimestamp(int(raw_issued) / 1000, tz=UTC)
        tokens = cls(
            access_token=body["access_token"],
            instance_url=body["instance_url"].rstrip("/"),
            identity_url=body["id"],
            refresh_token=body.get("refresh_token") or refresh_token,
            issued_at=issued_at,
            scope=body.get("scope"),
        )
        remember_secret(tokens.access_token)
        remember_secret(tokens.refresh_token)
        return tokens


def authorization_request(
    login_url: str,
    app: OAuthApp,
    *,
    state: str | None = None,
    pkce: Pkce | None = None,
    prompt: str | None = "login consent",
    extra_hosts: Collection[str] = (),
) -> AuthorizationRequest:
    """Build the authorize URL of the web-server flow with a fresh state and PKCE pair."""
    base = normalize_login_url(login_url, extra_hosts)
    state = state or secrets.token_urlsafe(32)
    pkce = pkce or Pkce.generate()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": app.scope,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    return AuthorizationRequest(
        url=f"{base}/services/oauth2/authorize?{urlencode(params)}",
        state=state,
        code_verifier=pkce.verifier,
        login_url=base,
        redirect_uri=app.redirect_uri,
    )


# --- Token endpoint -------------------------------------------------------------------------


class OAuthClient:
    """Calls to the login host: code exchange, refresh, revoke, and the identity URL."""

    def __init__(
        self,
        http: httpx2.Client,
        login_url: str,
        app: OAuthApp,
        *,
        extra_hosts: Collection[str] = (),
    ) -> None:
        guard_library_loggers()
        self._http = http
        self.extra_hosts = tuple(extra_hosts)
        self.login_url = normalize_login_url(login_url, self.extra_hosts)
        self.app = app

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        """Trade the authorization code (already URL-decoded once) for tokens."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.app.redirect_uri,
            "code_verifier": code_verifier,
            **self._client_credentials(),
        }
        tokens = TokenSet.from_wire(self._token_call(data))
        logger.info("Authorization code exchanged for %s", tokens.instance_url)
        return tokens

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new access token; with refresh-token rotation on, a new refresh token too."""
        remember_secret(refresh_token)
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            **self._client_credentials(),
        }
        tokens = TokenSet.from_wire(self._token_call(data), refresh_token=refresh_token)
        logger.info("Access token refreshed for %s", tokens.instance_url)
        return tokens

    def revoke(self, token: str) -> None:
        """Revoke a token at Salesforce; revoking a refresh token kills its access tokens."""
        remember_secret(token)
        response = self._post("/services/oauth2/revoke", {"token": token})
        if response.status_code != 200:
            raise error_from_oauth(response.status_code, response.content)
        logger.info("Token revoked at %s", self.login_url)

    def identity(self, tokens: TokenSet) -> Identity:
        """``GET`` the identity URL: user id, org id and username of the token's user."""
        try:
            response = self._http.get(
                tokens.identity_url,
                headers={"Authorization": f"Bearer {tokens.access_token}"},
                params={"format": "json"},
            )
        except httpx2.TransportError as exc:
            raise TransientError(
                f"Salesforce's identity service could not be reached: {exc}"
            ) from exc
        if response.status_code != 200:
            raise error_from_oauth(response.status_code, response.content)
        body = response.json()
        if not isinstance(body, dict) or "user_id" not in body:
            raise SalesforceError("Salesforce's identity service sent an unexpected answer.")
        return cast(Identity, body)

    def _client_credentials(self) -> dict[str, str]:
        credentials = {"client_id": self.app.client_id}
        if self.app.client_secret:
            credentials["client_secret"] = self.app.client_secret
        return credentials

    def _token_call(self, data: dict[str, str]) -> TokenResponse:
        response = self._post("/services/oauth2/token", data)
        if response.status_code != 200:
            raise error_from_oauth(response.status_code, response.content)
        body = response.json()
        if not isinstance(body, dict) or "access_token" not in body or "instance_url" not in body:
            raise SalesforceError("Salesforce's token endpoint sent an unexpected answer.")
        # Bearer tokens go only to Salesforce's (or the explicitly added) hosts.
        check_instance_url(str(body["instance_url"]), self.extra_hosts)
        if "id" in body:
            check_instance_url(str(body["id"]), self.extra_hosts, what="identity")
        return cast(TokenResponse, body)

    def _post(self, path: str, data: dict[str, str]) -> httpx2.Response:
        try:
            return self._http.post(
                f"{self.login_url}{path}",
                data=data,
                headers={"Accept": "application/json"},
            )
        except httpx2.TransportError as exc:
            raise TransientError(
                f"Salesforce's login service at {self.login_url} could not be reached: {exc}"
            ) from exc


# --- The request auth -----------------------------------------------------------------------


class SalesforceAuth(httpx2.Auth):
    """Bearer auth that refreshes the access token once on 401 ``INVALID_SESSION_ID``.

    Thread-safe: when several threads meet the expired token at once, one refreshes and the
    others re-send with the token it obtained. ``on_refresh`` receives every new
    :class:`TokenSet` so the caller can store it.

    ``reload`` returns the tokens as stored now: another process may have refreshed them or
    the person re-authorised the connection since this client was built. On a 401 the stored
    tokens are tried first, and a refresh uses the stored refresh token, so every process
    follows the newest grant on its next call.
    """

    def __init__(
        self,
        tokens: TokenSet,
        refresher: Callable[[str], TokenSet] | None,
        *,
        on_refresh: Callable[[TokenSet], None] | None = None,
        reload: Callable[[], TokenSet | None] | None = None,
    ) -> None:
        self._tokens = tokens
        self._refresher = refresher
        self._on_refresh = on_refresh
        self._reload = reload
        self._lock = threading.Lock()
        remember_secret(tokens.access_token)
        remember_secret(tokens.refresh_token)

    @property
    def tokens(self) -> TokenSet:
        with self._lock:
            return self._tokens

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        sent_with = self.tokens.access_token
        request.headers["Authorization"] = f"Bearer {sent_with}"
        response = yield request
        if response.status_code != 401:
            return
        # Only the small 401 body is read here; other responses stay streamable.
        response.read()
        if not is_invalid_session(response.status_code, response.content):
            return
        # At most twice: with the tokens another process stored, then with one refresh.
        for _ in range(2):
            fresh, refreshed = self._refresh_after(sent_with)
            sent_with = fresh.access_token
            request.headers["Authorization"] = f"Bearer {sent_with}"
            response = yield request
            if refreshed or response.status_code != 401:
                return
            response.read()
            if not is_invalid_session(response.status_code, response.content):
                return

    def _refresh_after(self, stale_access_token: str) -> tuple[TokenSet, bool]:
        """Tokens to re-send with, and whether they come from a refresh made here."""
        with self._lock:
            if self._tokens.access_token != stale_access_token:
                return self._tokens, False  # another thread refreshed already
            stored = self._reload() if self._reload is not None else None
            if stored is not None and stored.access_token != stale_access_token:
                # Another process refreshed or re-authorised since: use its tokens.
                remember_secret(stored.access_token)
                remember_secret(stored.refresh_token)
                self._tokens = stored
                logger.info("Tokens changed in the store; using them")
                return stored, False
            if stored is not None and stored.refresh_token:
                self._tokens = replace(self._tokens, refresh_token=stored.refresh_token)
            refresh_token = self._tokens.refresh_token
            if self._refresher is None or not refresh_token:
                raise ConnectionFailed(
                    "The Salesforce session expired and this connection has no refresh token.",
                    status=401,
                    error_code="INVALID_SESSION_ID",
                )
            fresh = self._refresher(refresh_token)
            if fresh.refresh_token is None:
                fresh = replace(fresh, refresh_token=refresh_token)
            self._tokens = fresh
        logger.info("Session expired; access token refreshed")
        if self._on_refresh is not None:
            self._on_refresh(fresh)
        return fresh, True
