"""`create_emulator(org)`: the ASGI app serving one org as login host, My Domain and instance."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formatdate

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfimport.emulator.bulk1 import bulk1_routes
from sfimport.emulator.org import Org
from sfimport.emulator.request_limits import RequestHeadLimits
from sfimport.emulator.routes_composite import composite_routes
from sfimport.emulator.routes_control import control_routes
from sfimport.emulator.routes_oauth import oauth_routes
from sfimport.emulator.routes_rest import rest_routes
from sfimport.emulator.routes_services import service_routes, with_faults
from sfimport.emulator.setup_ui import setup_routes

_SPECIAL_CASE = {
    b"www-authenticate": b"WWW-Authenticate",
    b"sforce-numberofrecords": b"Sforce-NumberOfRecords",
}


def _canonical(name: bytes) -> bytes:
    if name in _SPECIAL_CASE:
        return _SPECIAL_CASE[name]
    return b"-".join(part[:1].upper() + part[1:] for part in name.split(b"-"))


class SalesforceHeaderCase:
    """Send header names in Salesforce's casing (`Content-Type`, `Sforce-Limit-Info`).

    Starlette lower-cases header names; some real clients compare them case-sensitively, and
    uvicorn's h11 back end sends whatever casing it is given.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def cased(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (_canonical(bytes(name).lower()), value) for name, value in message["headers"]
                ]
                headers.insert(0, (b"Date", formatdate(usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, cased)


def create_emulator(org: Org, extra_routes: Sequence[BaseRoute] = ()) -> ASGIApp:
    """The emulator app for `org`; `extra_routes` are mounted first (e.g. more control routes)."""
    routes = [
        *extra_routes,
        *control_routes(org),
        *service_routes(org),
        *bulk1_routes(org),
        *composite_routes(org),
        *oauth_routes(org),
        *rest_routes(org),
        *setup_routes(org),
    ]
    return SalesforceHeaderCase(RequestHeadLimits(with_faults(Starlette(routes=routes), org)))
