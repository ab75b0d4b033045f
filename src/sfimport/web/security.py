"""Browser-facing protections: security headers, CSRF tokens on forms, same-origin API writes.

Every HTML form carries the session's CSRF token and every state-changing form POST checks it.
The JSON API is for scripts, which have no session: its writes are refused when a browser says
they come from another origin, and must be sent as JSON (a cross-site HTML form cannot send
``application/json`` without a CORS preflight, which this app never grants).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfimport.web.sessions import Session

#: Only our own script and stylesheet; no inline code, no framing, no referrer leaks.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def policy_with_form_targets(targets: Sequence[str]) -> str:
    """The policy whose form-action also allows `targets` (origins or schemes): a form whose
    answer redirects to Salesforce's login (Connect, Re-authorise) is a form navigation to that
    origin, and browsers apply form-action to the redirect too."""
    extra = " ".join(dict.fromkeys(t for t in targets if t))
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {extra}")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, form_targets: Sequence[str] = ()) -> None:
        self.app = app
        self.headers = {
            **_HEADERS,
            "Content-Security-Policy": policy_with_form_targets(form_targets),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if "Cache-Control" not in headers:
                    # Pages show account and record data: never keep them in shared caches.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_of(request: Request) -> Session:
    session = request.state.session
    assert isinstance(session, Session)
    return session


async def require_csrf(request: Request) -> None:
    """Dependency for form POSTs: the form's ``csrf_token`` must match the session's."""
    if request.method in _SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get("csrf_token")
    expected = session_of(request).csrf_token
    if not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(
            status_code=403,
            detail=(
                "This form has expired or did not come from sfimport. Go back, reload the page "
                "and submit it again."
            ),
        )


async def require_same_origin_json(request: Request) -> None:
    """Dependency for JSON API writes: JSON bodies only, and never from another site's page."""
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise HTTPException(status_code=403, detail="Cross-origin API calls are refused.")
    elif origin == "null":
        raise HTTPException(status_code=403, detail="Cross-origin API calls are refused.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "" and not await request.body():
        # An action without a body (test a connection, delete a schedule) needs no JSON; a
        # cross-site HTML form always sends a Content-Type, so it still never gets through.
        return
    if content_type != "application/json":
        raise HTTPException(
            status_code=415, detail="Send API requests as JSON (Content-Type: application/json)."
        )
