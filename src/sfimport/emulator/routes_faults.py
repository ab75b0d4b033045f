"""Control routes for faults and data changes (under /__emulator__/), and the ASGI wrapper
that makes a share of API responses fail or hang and answers for a blocked Connected App."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfimport.emulator import faults as model
from sfimport.emulator.errors import OAuthError, SalesforceApiError
from sfimport.emulator.org import Org
from sfimport.emulator.responses import api_error_response, oauth_error_response
from sfimport.emulator.services import services_for

PREFIX = "/__emulator__"
Handler = Callable[[dict[str, Any]], Any]

# The bodies Salesforce's edge sends for server failures.
_FAILURES = {
    500: SalesforceApiError(
        500,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234567890-12345 (-1234567890)",
    ),
    502: SalesforceApiError(502, "SERVER_UNAVAILABLE", "Bad Gateway"),
    503: SalesforceApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    value = json.loads(raw) if raw else {}
    if not isinstance(value, dict):
        raise model.FaultError("expected a JSON object")
    return value


def _control(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = await _json(request)
            body.update(request.path_params)
            return JSONResponse(handler(body))
        except (model.FaultError, ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except SalesforceApiError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)

    return endpoint


def fault_routes(org: Org) -> list[BaseRoute]:
    """Control endpoints; each answers JSON and changes the org at run time."""
    services = services_for(org)

    def revoke(body: dict[str, Any]) -> dict[str, Any]:
        user = model.user_by_name(org, str(body["username"]))
        return {"revoked": model.revoke_user_tokens(org, user)}

    def app(body: dict[str, Any]) -> dict[str, Any]:
        revoked = model.block_app(org, services.faults, bool(body["blocked"]))
        return {"blocked": services.faults.app_blocked, "revoked": revoked}

    def permission(body: dict[str, Any]) -> dict[str, Any]:
        user = model.user_by_name(org, str(body["username"]))
        name = str(body["permission"])
        changed = model.set_user_permission(org, user, name, bool(body["enabled"]))
        return {"username": changed.username, name: name in org.permissions(changed)}

    def fields(body: dict[str, Any]) -> dict[str, Any]:
        action = str(body["action"])
        object_name, field_name = str(body["object"]), str(body["field"])
        if action in {"hide", "show"}:
            user = model.user_by_name(org, str(body["username"]))
            model.hide_field(org, user, object_name, field_name, action == "hide")
        elif action == "remove":
            services.removed_fields.remove(org, object_name, field_name)
        elif action == "restore":
            services.removed_fields.restore(org, object_name, field_name)
        else:
            raise model.FaultError("action must be hide, show, remove or restore")
        return {"object": object_name, "field": field_name, "action": action}

    def responses(body: dict[str, Any]) -> dict[str, Any]:
        services.faults.configure(body)
        return services.faults.describe()

    def locators(body: dict[str, Any]) -> dict[str, Any]:
        cursors = len(org.cursors)
        org.cursors.clear()
        return {"expired_cursors": cursors, "expired_jobs": services.bulk.expire_locators()}

    def bulk(body: dict[str, Any]) -> dict[str, Any]:
        settings = services.bulk.settings
        if "delay_seconds" in body:
            settings.delay_seconds = max(0.0, float(body["delay_seconds"]))
        if "default_page_rows" in body:
            settings.default_page_rows = max(1, int(body["default_page_rows"]))
        if "fail_next" in body:
            settings.fail_next = max(0, int(body["fail_next"]))
        return {
            "delay_seconds": settings.delay_seconds,
            "default_page_rows": settings.default_page_rows,
            "fail_next": settings.fail_next,
            "jobs": len(services.bulk.jobs),
        }

    def report_runs(body: dict[str, Any]) -> dict[str, Any]:
        settings = services.report_instances.settings
        if "run_delay_seconds" in body:
            settings.run_delay_seconds = max(0.0, float(body["run_delay_seconds"]))
        if "fail_next" in body:
            settings.fail_next = max(0, int(body["fail_next"]))
        return {
            "run_delay_seconds": settings.run_delay_seconds,
            "fail_next": settings.fail_next,
            "instances": len(services.report_instances.instances),
        }

    def records(body: dict[str, Any]) -> dict[str, Any]:
        name = str(body["object"])
        answer: dict[str, Any] = {}
        if body.get("insert"):
            answer["inserted"] = model.insert_records(org, name, list(body["insert"]))
        if body.get("update"):
            answer["updated"] = model.update_records(org, name, list(body["update"]))
        if body.get("delete"):
            answer["deleted"] = model.delete_records(org, name, [str(i) for i in body["delete"]])
        answer["now"] = org.clock.now().isoformat()
        return answer

    return [
        Route(f"{PREFIX}/revoke", _control(revoke), methods=["POST"]),
        Route(f"{PREFIX}/app", _control(app), methods=["POST"]),
        Route(f"{PREFIX}/permissions", _control(permission), methods=["POST"]),
        Route(f"{PREFIX}/fields", _control(fields), methods=["POST"]),
        Route(f"{PREFIX}/faults", _control(responses), methods=["POST"]),
        Route(f"{PREFIX}/locators/expire", _control(locators), methods=["POST"]),
        Route(f"{PREFIX}/bulk", _control(bulk), methods=["POST"]),
        Route(f"{PREFIX}/reports", _control(report_runs), methods=["POST"]),
        Route(f"{PREFIX}/records/{{object}}", _control(records), methods=["POST"]),
    ]


class FaultInjection:
    """Wraps the app: hangs or fails a share of API responses, and turns a blocked
    Connected App away at /services/oauth2/authorize and /token."""

    def __init__(self, app: ASGIApp, org: Org) -> None:
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = services_for(self.org).faults
        path = str(scope["path"])
        if faults.app_blocked and path.startswith("/services/oauth2/"):
            body = await _read_body(receive)
            blocked = self._blocked(scope, body, path)
            if blocked is not None:
                await blocked(scope, receive, send)
                return
            receive = _replay(body, receive)
        fault = faults.draw(path)
        if fault is not None:
            if fault.hang_seconds:
                await asyncio.sleep(fault.hang_seconds)
            if fault.status is not None:
                await api_error_response(_FAILURES[fault.status])(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _blocked(self, scope: Scope, body: bytes, path: str) -> Response | None:
        if path.rstrip("/") == "/services/oauth2/authorize":
            params = parse_qs(scope.get("query_string", b"").decode())
            redirect = params.get("redirect_uri", [""])[0]
            if not self.org.app.accepts_callback(redirect):
                return None
            answer = {
                "error": "OAUTH_APP_BLOCKED",
                "error_description": "this app is blocked by admin",
            }
            if "state" in params:
                answer["state"] = params["state"][0]
            return RedirectResponse(f"{redirect}?{urlencode(answer)}", status_code=302)
        if path.rstrip("/") == "/services/oauth2/token":
            form = parse_qs(body.decode(errors="replace"))
            if form.get("grant_type", [""])[0] == "refresh_token":
                # Blocking revoked every token: the refresh token is simply no longer valid.
                error = OAuthError("invalid_grant", "expired access/refresh token")
            else:
                error = OAuthError("OAUTH_APP_BLOCKED", "this app is blocked by admin")
            return oauth_error_response(error)
        return None


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


def _replay(body: bytes, original: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
