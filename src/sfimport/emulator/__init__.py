"""A Salesforce-compatible org for demos and tests: OAuth, REST, describe, SOQL, limits.

Build an org with `build_demo_org`, wrap it with `create_emulator` (an ASGI app) and serve it
with `serve_in_thread` (tests) or `server.run` (the CLI). It imports nothing from the product.
"""

from __future__ import annotations

from sfimport.emulator.app import create_emulator
from sfimport.emulator.demo import (
    DEMO_CALLBACK_URLS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_USERS,
    DemoUser,
    build_demo_org,
)
from sfimport.emulator.errors import OAuthError, SalesforceApiError
from sfimport.emulator.org import Org
from sfimport.emulator.server import RunningServer, serve_in_thread, write_self_signed_tls

__all__ = [
    "DEMO_CALLBACK_URLS",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_USERS",
    "DemoUser",
    "OAuthError",
    "Org",
    "RunningServer",
    "SalesforceApiError",
    "build_demo_org",
    "create_emulator",
    "serve_in_thread",
    "write_self_signed_tls",
]
