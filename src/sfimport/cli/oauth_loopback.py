"""The loopback redirect target of `sfimport connect`: a one-shot HTTP server on 127.0.0.1.

Salesforce redirects the browser to ``http://127.0.0.1:<port>/oauth/callback?code=...&state=...``
(or ``?error=access_denied&error_description=...`` when the person presses Deny). The server
records the first such request, answers with a short page telling the person to go back to the
terminal, and stops. Only the query parameters are kept; nothing is logged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

CALLBACK_PATH = "/oauth/callback"

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>sfimport</title></head><body>"
    "<h1>{title}</h1><p>You can close this window and return to the terminal.</p></body></html>"
)


@dataclass(frozen=True)
class CallbackResult:
    """The query parameters Salesforce sent back to the redirect URI."""

    state: str | None
    code: str | None
    error: str | None
    error_description: str | None


class LoopbackCallback:
    """Listen on a loopback port (0: any free one) until Salesforce's redirect arrives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._result: CallbackResult | None = None
        self._arrived = threading.Event()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sfimport-oauth-callback", daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{CALLBACK_PATH}"

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
                if url.path != CALLBACK_PATH:
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
