"""The loopback redirect target of `sfimport connect`: a one-shot HTTP server on 127.0.0.1.

Salesforce redirects the browser to ``http://127.0.0.1:<port>/oauth/callback?code=...&state=...``
(or ``?error=access_denied&error_description=...`` when the person presses Deny). The server
records the first such request, answers with a short page telling the person to go back to the
terminal, and stops. Only the query parameters are kept; nothing is logged.

A Connected App redirects only to a callback URL registered on it, character for character, so
the server listens on the host, port and path of the configured redirect URI
(:func:`loopback_target`) rather than on any free port.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

CALLBACK_PATH = "/oauth/callback"
#: Host names a redirect URI may use for this machine, and the address each is served on.
_LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>sfimport</title></head><body>"
    "<h1>{title}</h1><p>You can close this window and return to the terminal.</p></body></html>"
)


@dataclass(frozen=True)
class LoopbackTarget:
    """Where to listen for the redirect, and the redirect URI exactly as Salesforce gets it."""

    bind_host: str
    port: int
    path: str
    redirect_uri: str


def loopback_target(redirect_uri: str) -> LoopbackTarget | None:
    """The target of an ``http://`` URI on this machine (127.0.0.1, localhost, [::1]); None for
    any other URI (a web server's https callback cannot reach a terminal)."""
    url = urlsplit(redirect_uri.strip())
    host = (url.hostname or "").lower()
    if url.scheme != "http" or host not in _LOOPBACK_HOSTS or url.query or url.fragment:
        return None
    try:
        port = url.port or 80
    except ValueError:
        return None
    return LoopbackTarget(_LOOPBACK_HOSTS[host], port, url.path or "/", redirect_uri.strip())


def port_target(port: int) -> LoopbackTarget:
    """``http://127.0.0.1:<port>/oauth/callback`` (port 0: whichever port is free)."""
    return LoopbackTarget("127.0.0.1", port, CALLBACK_PATH, "")


class _Server(ThreadingHTTPServer):
    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), handler)


@dataclass(frozen=True)
class CallbackResult:
    """The query parameters Salesforce sent back to the redirect URI."""

    state: str | None
    code: str | None
    error: str | None
    error_description: str | None


class LoopbackCallback:
    """Listen on a loopback port (0: any free one) until Salesforce's redirect arrives."""

    def __init__(self, target: LoopbackTarget | None = None) -> None:
        self._target = target or port_target(0)
        self._result: CallbackResult | None = None
        self._arrived = threading.Event()
        self._server = _Server(self._target.bind_host, self._target.port, self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sfimport-oauth-callback", daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        """The configured redirect URI as it was written, or the URL of the port listened on."""
        if self._target.redirect_uri:
            return self._target.redirect_uri
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self._target.path}"

    def wait(self, timeout: float) -> CallbackResult | None:
        """The callback's parameters, or None if nothing arrived within ``timeout`` seconds."""
        self._arrived.wait(timeout)
        return self._result

    def __enter__(self) -> LoopbackCallback:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, result: CallbackResult) -> bool:
        if self._arrived.is_set():
            return False
        self._result = result
        self._arrived.set()
        return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != owner._target.path:
                    self._answer(404, "Not found")
                    return
                query = parse_qs(url.query)

                def first(key: str) -> str | None:
                    values = query.get(key)
                    return values[0] if values else None

                result = CallbackResult(
                    state=first("state"),
                    code=first("code"),
                    error=first("error"),
                    error_description=first("error_description"),
                )
                owner._record(result)
                if result.error:
                    self._answer(200, "Access was not allowed")
                else:
                    self._answer(200, "sfimport is connecting")

            def _answer(self, status: int, title: str) -> None:
                body = _PAGE.format(title=title).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # The query string carries the authorization code: never log requests.
                return

        return Handler
