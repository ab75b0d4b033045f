"""OAuth 2.0 routes (/services/oauth2/*, identity URLs): web server flow with PKCE, token,
refresh, revoke and identity, with Salesforce's pages, redirects and error objects."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.errors import OAuthError, SalesforceApiError
from sfimport.emulator.org import AuthorizationRequest, Org, TokenGrant, User
from sfimport.emulator.responses import base_url, json_response, oauth_error_response
from sfimport.emulator.setup_ui import start_setup_session

KNOWN_SCOPES = frozenset(
    {
        "api",
        "refresh_token",
        "offline_access",
        "id",
        "profile",
        "email",
        "address",
        "phone",
        "openid",
        "web",
        "full",
        "custom_permissions",
        "chatter_api",
        "visualforce",
        "wave_api",
    }
)
SCOPE_LABELS = {
    "api": "Access and manage your data (api)",
    "refresh_token": "Perform requests on your behalf at any time (refresh_token, offline_access)",
    "offline_access": "Perform requests on your behalf at any time (refresh_token, offline_access)",
    "id": "Access your basic information (id, profile, email, address, phone)",
    "full": "Full access (full)",
}
BAD_LOGIN = (
    "Please check your username and password. If you still can't log in, contact your "
    "Salesforce administrator."
)
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("sfimport.emulator", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)
_NO_CACHE = {
    "Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private",
    "Pragma": "no-cache",
}


def _page(name: str, status: int = 200, **context: Any) -> Response:
    html = _TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=_NO_CACHE)


def _error_page(error: str, description: str) -> Response:
    # Errors Salesforce cannot safely redirect are shown on its own page.
    query = f"error={error}&error_description={quote(description)}"
    return _page("error.html", status=400, query=query)


def _redirect(target: str, params: dict[str, str | None]) -> Response:
    separator = "&" if "?" in target else "?"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{target}{separator}{query}", status_code=302, headers=_NO_CACHE)


def identity_url(org: Org, user: User, request: Request) -> str:
    """The `id` URL: its host follows the host the client logged in through."""
    return f"{base_url(request)}/id/{org.org_id}/{user.id}"


def _urls(org: Org, user: User, base: str, version: str | None) -> dict[str, str]:
    v = version or "{version}"
    org15 = org.org_id[:15]
    return {
        "enterprise": f"{base}/services/Soap/c/{v}/{org15}",
        "metadata": f"{base}/services/Soap/m/{v}/{org15}",
        "partner": f"{base}/services/Soap/u/{v}/{org15}",
        "rest": f"{base}/services/data/v{v}/",
        "sobjects": f"{base}/services/data/v{v}/sobjects/",
        "search": f"{base}/services/data/v{v}/search/",
        "query": f"{base}/services/data/v{v}/query/",
        "recent": f"{base}/services/data/v{v}/recent/",
        "tooling_soap": f"{base}/services/Soap/T/{v}/{org15}",
        "tooling_rest": f"{base}/services/data/v{v}/tooling/",
        "profile": f"{base}/{user.id}",
        "feeds": f"{base}/services/data/v{v}/chatter/feeds",
        "groups": f"{base}/services/data/v{v}/chatter/groups",
        "users": f"{base}/services/data/v{v}/chatter/users",
        "feed_items": f"{base}/services/data/v{v}/chatter/feed-items",
        "feed_elements": f"{base}/services/data/v{v}/chatter/feed-elements",
        "custom_domain": base,
    }


def token_body(org: Org, grant: TokenGrant, request: Request) -> dict[str, Any]:
    """Salesforce's token response: no expires_in, issued_at as a string of milliseconds."""
    identity = identity_url(org, grant.user, request)
    issued_at = str(grant.issued_at_ms)
    body: dict[str, Any] = {"access_token": grant.access_token}
    if grant.refresh_token is not None:
        body["refresh_token"] = grant.refresh_token
    body.update(
        {
            "signature": org.signature(identity, issued_at),
            "scope": " ".join(grant.scopes),
            "instance_url": base_url(request),
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
    )
    return body


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def oauth_routes(org: Org) -> list[BaseRoute]:
    """The login host's routes; the same app also serves as My Domain and instance."""

    async def authorize(request: Request) -> Response:
        params = request.query_params
        if request.method == "POST":
            return await _authorize_post(request)
        client_id = params.get("client_id")
        if client_id != org.app.client_id:
            return _error_page("invalid_client_id", "client identifier invalid")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return _error_page("redirect_uri_missing", "redirect_uri must be provided")
        if not org.app.accepts_callback(redirect_uri):
            return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(
                redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "response type not supported",
                    "state": state,
                },
            )
        challenge = params.get("code_challenge")
        if challenge is not None and params.get("code_challenge_method", "S256") != "S256":
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "invalid code challenge method",
                    "state": state,
                },
            )
        requested = tuple((params.get("scope") or "").split()) or org.app.scopes
        if any(scope not in KNOWN_SCOPES for scope in requested):
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "error_description": "the requested scope is not allowed",
                    "state": state,
                },
            )
        request_id = org.begin_authorization(
            AuthorizationRequest(client_id, redirect_uri, state, requested, challenge)
        )
        return _login_page(request_id, params.get("login_hint") or "", None)

    def _login_page(request_id: str, username: str, error: str | None) -> Response:
        return _page(
            "login.html",
            org_name=org.name,
            request_id=request_id,
            username=username,
            error=error,
            demo_logins=org.demo_logins,
        )

    async def _authorize_post(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        request_id = form.get("oauth_request", "")
        pending = org.pending.get(request_id)
        if pending is None:
            return _error_page("invalid_request", "authorization request expired")
        if form.get("step") == "login":
            user = org.login(form.get("username", ""), form.get("pw", ""))
            if user is None:
                return _login_page(request_id, form.get("username", ""), BAD_LOGIN)
            pending.user_id = user.id
            consent = _page(
                "consent.html",
                app_name=org.app.name,
                username=user.username,
                scopes=pending.scopes,
                scope_labels=SCOPE_LABELS,
                request_id=request_id,
            )
            # Logging in opens this browser's session on the org's Setup pages too.
            start_setup_session(org, user, consent)
            return consent
        if pending.user_id is None:
            return _login_page(request_id, "", None)
        del org.pending[request_id]
        if form.get("decision") != "allow":
            return _redirect(
                pending.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "end-user denied authorization",
                    "state": pending.state,
                },
            )
        return _redirect(
            pending.redirect_uri, {"code": org.issue_code(pending), "state": pending.state}
        )

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            client_id, secret = _client_credentials(request, form)
            app = org.check_client(client_id)
            grant_type = form.get("grant_type")
            public_pkce = grant_type == "authorization_code" and bool(form.get("code_verifier"))
            optional_secret = grant_type == "refresh_token" or public_pkce
            if (secret or not optional_secret) and secret != app.client_secret:
                raise OAuthError("invalid_client", "invalid client credentials")
            if grant_type == "authorization_code":
                grant = org.exchange_code(
                    form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
                )
            elif grant_type == "refresh_token":
                grant = org.refresh(form.get("refresh_token"))
            elif grant_type == "password":
                grant = org.password_grant(form.get("username"), form.get("password"))
            else:
                raise OAuthError("unsupported_grant_type", "grant type not supported")
        except OAuthError as error:
            return oauth_error_response(error)
        return json_response(
            token_body(org, grant, request),
            headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"},
        )

    async def revoke(request: Request) -> Response:
        if request.method == "POST":
            value = (await request.form()).get("token")
        else:
            value = request.query_params.get("token")
        try:
            org.revoke(str(value) if value is not None else None)
        except OAuthError as error:
            return oauth_error_response(error)
        return Response(b"", status_code=200, headers=_NO_CACHE)

    def _bearer_user(request: Request) -> User | None:
        try:
            return org.authenticate(request.headers.get("authorization"))
        except SalesforceApiError:
            token_param = request.query_params.get("oauth_token")
            if token_param is None:
                return None
            try:
                return org.authenticate(f"Bearer {token_param}")
            except SalesforceApiError:
                return None

    async def identity(request: Request) -> Response:
        if not request.headers.get("authorization") and "oauth_token" not in request.query_params:
            return PlainTextResponse("Missing_OAuth_Token", status_code=403)
        user = _bearer_user(request)
        if user is None:
            return PlainTextResponse("Bad_OAuth_Token", status_code=403)
        if request.path_params["org_id"] != org.org_id:
            return PlainTextResponse("Wrong_Org", status_code=403)
        if request.path_params["user_id"] != user.id:
            return PlainTextResponse("Bad_Id", status_code=404)
        base = base_url(request)
        body = {
            "id": identity_url(org, user, request),
            "asserted_user": True,
            "user_id": user.id,
            "organization_id": org.org_id,
            "username": user.username,
            "nick_name": user.username.split("@")[0],
            "display_name": user.name,
            "email": user.email,
            "email_verified": True,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timezone": "America/Los_Angeles",
            "photos": {
                "picture": f"{base}/profilephoto/005/F",
                "thumbnail": f"{base}/profilephoto/005/T",
            },
            "addr_street": None,
            "addr_city": None,
            "addr_state": None,
            "addr_country": "US",
            "addr_zip": None,
            "mobile_phone": None,
            "mobile_phone_verified": False,
            "is_lightning_login_user": False,
            "status": {"created_date": None, "body": None},
            "urls": _urls(org, user, base, request.query_params.get("version")),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28800000,
            # Identity uses Z datetimes, unlike sObject JSON's +0000.
            "last_modified_date": "2021-01-01T00:00:00Z",
            "is_app_installed": True,
        }
        return json_response(body)

    async def userinfo(request: Request) -> Response:
        user = _bearer_user(request)
        if user is None:
            return PlainTextResponse("Bad_OAuth_Token", status_code=403)
        base = base_url(request)
        body = {
            "sub": identity_url(org, user, request),
            "user_id": user.id,
            "organization_id": org.org_id,
            "preferred_username": user.username,
            "nickname": user.username.split("@")[0],
            "name": user.name,
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "zoneinfo": "America/Los_Angeles",
            "photos": {
                "picture": f"{base}/profilephoto/005/F",
                "thumbnail": f"{base}/profilephoto/005/T",
            },
            "profile": f"{base}/{user.id}",
            "picture": f"{base}/profilephoto/005/F",
            "address": {"country": "US"},
            "is_salesforce_integration_user": False,
            "urls": _urls(org, user, base, None),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28800000,
            "updated_at": "2021-01-01T00:00:00Z",
            "is_app_installed": True,
        }
        return json_response(body)

    return [
        Route("/services/oauth2/authorize", authorize, methods=["GET", "POST"]),
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["GET", "POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity, methods=["GET", "POST"]),
    ]
