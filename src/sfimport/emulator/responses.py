"""HTTP response builders shared by the routes: JSON in Salesforce's formatting and headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sfimport.emulator import jackson
from sfimport.emulator.errors import OAuthError, SalesforceApiError

JSON_TYPE = "application/json;charset=UTF-8"


def json_response(
    body: Any, *, status: int = 200, pretty: bool = False, headers: Mapping[str, str] | None = None
) -> Response:
    content = jackson.pretty(body) if pretty else jackson.compact(body)
    return Response(
        content, status_code=status, headers={"Content-Type": JSON_TYPE, **(headers or {})}
    )


def api_error_response(
    error: SalesforceApiError,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The REST error body: always an array, even for one error."""
    body: list[dict[str, object]] = [{"message": error.message, "errorCode": error.error_code}]
    if error.fields is not None:
        body[0]["fields"] = error.fields
    extra = dict(headers or {})
    if error.status == 401:
        extra.setdefault("WWW-Authenticate", "Token")
    return json_response(body, status=error.status, pretty=True, headers=extra)


def oauth_error_response(error: OAuthError) -> Response:
    """The `/services/oauth2/*` error body: an object, never an array."""
    return json_response(
        {"error": error.error, "error_description": error.description},
        status=error.status,
        headers={
            "Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private",
            "Pragma": "no-cache",
        },
    )


def base_url(request: Request) -> str:
    """scheme://host[:port] as the client addressed this app: the instance and login host."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"
