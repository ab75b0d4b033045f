"""A tiny in-memory stand-in for a login host and an instance, for ``httpx2.MockTransport``.

It answers only what the connection service calls (token, identity, revoke, a few SOQL
queries, describeGlobal) in Salesforce's shapes; the emulator covers everything else.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx2

from sfimport.salesforce import pkce_challenge

ORG_ID = "00DRO0000008aXd2AI"
USER_ID = "005RO000000HfnkYAC"
INSTANCE = "https://acme.my.salesforce.com"
CLIENT_ID = "3MVG9fakeClientId"
CLIENT_SECRET = "fake-client-secret"

ALL_PERMISSIONS = {
    "PermissionsApiEnabled": True,
    "PermissionsRunReports": True,
    "PermissionsViewRoles": True,
    "PermissionsViewSetup": True,
}


def json_response(body: object, status: int = 200, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json;charset=UTF-8", **headers},
    )


def errors(code: str, message: str, status: int) -> httpx2.Response:
    return json_response([{"message": message, "errorCode": code}], status)


@dataclass
class FakeOrg:
    """State of the fake org: issued codes and tokens, the user's permissions, API usage."""

    permissions: dict[str, bool] = field(default_factory=lambda: dict(ALL_PERMISSIONS))
    api_enabled: bool = True
    is_sandbox: bool = False
    sobjects: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code -> PKCE challenge
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: list[str] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)
    api_used: int = 0
    daily_max: int = 15000
    #: The org a login reaches (a test changes it to log in "to another org").
    org_id: str = ORG_ID

    # --- control, as a test would use it -----------------------------------------------------

    def issue_code(self, challenge: str) -> str:
        code = secrets.token_urlsafe(24) + "=="
        self.codes[code] = challenge
        return code

    def mint_refresh_token(self) -> str:
        token = "5Aep861" + secrets.token_urlsafe(40)
        self.refresh_tokens.add(token)
        return token

    def expire_sessions(self) -> None:
        self.access_tokens.clear()

    # --- the wire ----------------------------------------------------------------------------

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/services/oauth2/token":
            return self._token(parse_qs(request.content.decode()))
        if path == "/services/oauth2/revoke":
            token = parse_qs(request.content.decode())["token"][0]
            if token not in self.refresh_tokens and token not in self.access_tokens:
                return json_response(
                    {"error": "invalid_token", "error_description": "invalid token"}, 400
                )
            self.refresh_tokens.discard(token)
            self.access_tokens.clear()
            self.revoked.append(token)
            return httpx2.Response(200)
        if path.startswith("/id/"):
            if not self._authorized(request):
                return httpx2.Response(403, content=b"Bad_OAuth_Token")
            return json_response(
                {
                    "id": f"https://login.salesforce.com/id/{self.org_id}/{USER_ID}",
                    "user_id": USER_ID,
                    "organization_id": self.org_id,
                    "username": "admin@acme.example",
                    "display_name": "Ada Admin",
                }
            )
        return self._data(request)

    def _token(self, form: dict[str, list[str]]) -> httpx2.Response:
        grant = form["grant_type"][0]
        if form.get("client_id") != [CLIENT_ID]:
            return json_response(
                {"error": "invalid_client_id", "error_description": "client identifier invalid"},
                400,
            )
        refresh: str | None = None
        if grant == "authorization_code":
            challenge = self.codes.pop(form["code"][0], None)
            if challenge is None:
                return json_response(
                    {"error": "invalid_grant", "error_description": "invalid authorization code"},
                    400,
                )
            if pkce_challenge(form.get("code_verifier", [""])[0]) != challenge:
                return json_response(
                    {"error": "invalid_request", "error_description": "invalid code verifier"}, 400
                )
            refresh = self.mint_refresh_token()
        elif grant == "refresh_token" and form["refresh_token"][0] not in self.refresh_tokens:
            return json_response(
                {"error": "invalid_grant", "error_description": "expired access/refresh token"},
                400,
            )
        access = "00DRO0000008aXd!" + secrets.token_urlsafe(48)
        self.access_tokens.add(access)
        body = {
            "access_token": access,
            "instance_url": INSTANCE,
            "id": f"https://login.salesforce.com/id/{self.org_id}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": "1700000000000",
            "signature": "c2lnbmF0dXJl",
            "scope": "api refresh_token id",
        }
        if refresh:
            body["refresh_token"] = refresh
        return json_response(body)

    def _authorized(self, request: httpx2.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") in self.access_tokens

    def _data(self, request: httpx2.Request) -> httpx2.Response:
        if not self._authorized(request):
            return errors("INVALID_SESSION_ID", "Session expired or invalid", 401)
        if not self.api_enabled:
            return errors(
                "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.", 403
            )
        self.api_used += 1
        usage = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.daily_max}"}
        path = request.url.path
        if path.endswith("/sobjects"):
            return json_response(
                {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": self.sobjects}, **usage
            )
        if path.endswith("/query"):
            soql = request.url.params["q"]
            if "FROM UserPermissionAccess" in soql:
                row = {"attributes": {"type": "UserPermissionAccess"}, **self.permissions}
                return json_response({"totalSize": 1, "done": True, "records": [row]}, **usage)
            if "COUNT()" in soql:
                return json_response({"totalSize": 1, "done": True, "records": []}, **usage)
            if "FROM Organization" in soql:
                row = {"attributes": {"type": "Organization"}, "IsSandbox": self.is_sandbox}
                return json_response({"totalSize": 1, "done": True, "records": [row]}, **usage)
        return errors("NOT_FOUND", "The requested resource does not exist", 404)
