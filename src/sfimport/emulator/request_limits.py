"""Salesforce's front-end limit on the size of a request head: a URI longer than 16,384 bytes
answers ``414 URI Too Long``, and a request line plus headers longer than that answers
``431 Request Header Fields Too Large`` (help article 000386264; observed in real orgs as 431
from about 16,1xx URI characters with ordinary headers, 414 past 16,384).

Both answers come from the web tier, not the API: an HTML body in Jetty's words, no JSON error
array, and the connection is closed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

#: Bytes a URI (path and query string), and a request head as a whole, may take.
MAX_REQUEST_HEAD_BYTES = 16_384

_REASONS = {414: "URI Too Long", 431: "Request Header Fields Too Large"}


def request_uri(scope: Scope) -> bytes:
    """The request target as the client sent it: the raw path and the query string."""
    raw = scope.get("raw_path") or str(scope.get("path", "/")).encode("utf-8")
    query = scope.get("query_string") or b""
    return bytes(raw) + (b"?" + bytes(query) if query else b"")


def head_size(scope: Scope) -> int:
    """Bytes of the request line and header block: ``GET uri HTTP/1.1`` CRLF, each header
    ``Name: value`` CRLF, and the blank line."""
    method = str(scope.get("method", "GET")).encode()
    line = len(method) + 1 + len(request_uri(scope)) + len(b" HTTP/1.1\r\n")
    headers = sum(len(name) + 2 + len(value) + 2 for name, value in scope.get("headers", []))
    return line + headers + 2


def refusal_status(scope: Scope) -> int | None:
    """414, 431 or None (the request is within the limits)."""
    if len(request_uri(scope)) > MAX_REQUEST_HEAD_BYTES:
        return 414
    if head_size(scope) > MAX_REQUEST_HEAD_BYTES:
        return 431
    return None


class RequestHeadLimits:
    """Refuse requests whose URI or head is longer than Salesforce accepts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = refusal_status(scope) if scope["type"] == "http" else None
        if status is None:
            await self.app(scope, receive, send)
            return
        reason = _REASONS[status]
        body = f"<h1>Bad Message {status}</h1><pre>reason: {reason}</pre>".encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html;charset=iso-8859-1"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
