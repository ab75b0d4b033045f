"""The emulator-only control API under /__emulator__/ (tests and the demo; never the product).

JSON in, JSON out, no authentication. `control_routes` returns plain Starlette routes so that
later parts (fault injection) can append their own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.org import Org
from sfimport.emulator.routes_oauth import token_body

PREFIX = "/__emulator__"


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


def control_routes(org: Org) -> list[BaseRoute]:
    """POST tokens, POST clock, POST limits, GET state, POST session."""

    async def tokens(request: Request) -> Response:
        body = await _json(request)
        user = org.user_named(str(body.get("username", "")))
        if user is None:
            return _bad("unknown username")
        scopes = tuple(str(body.get("scope", "api refresh_token id")).split())
        return JSONResponse(token_body(org, org.grant_tokens(user, scopes), request))

    async def clock(request: Request) -> Response:
        body = await _json(request)
        if "advance_seconds" in body:
            org.clock.advance(float(body["advance_seconds"]))
        elif "set" in body:
            org.clock.set(datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00")))
        else:
            return _bad("send advance_seconds or set")
        return JSONResponse(org.state())

    async def limits(request: Request) -> Response:
        body = await _json(request)
        maximum = body.get("max")
        remaining = body.get("remaining")
        org.set_limits(
            None if maximum is None else int(maximum), None if remaining is None else int(remaining)
        )
        return JSONResponse(org.state())

    async def state(request: Request) -> Response:
        return JSONResponse(org.state())

    async def session(request: Request) -> Response:
        body = await _json(request)
        timeout = body.get("timeout_seconds")
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            return _bad("send timeout_seconds > 0")
        org.session_timeout_seconds = float(timeout)
        return JSONResponse(org.state())

    return [
        Route(f"{PREFIX}/tokens", tokens, methods=["POST"]),
        Route(f"{PREFIX}/clock", clock, methods=["POST"]),
        Route(f"{PREFIX}/limits", limits, methods=["POST"]),
        Route(f"{PREFIX}/state", state, methods=["GET"]),
        Route(f"{PREFIX}/session", session, methods=["POST"]),
    ]
