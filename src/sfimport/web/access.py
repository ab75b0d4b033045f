"""Who may use the web app: anyone on this machine, or, served to the network, token holders.

Bound to loopback the app serves its owner only. Bound to any other address (``serve --host
0.0.0.0``), every page and the JSON API need the access token printed once when the server
starts: a browser logs in with it once (the login page sets the session), a script sends it as
``Authorization: Bearer <token>``. Only the token's SHA-256 is kept, in ``access.json`` of the
data folder (mode 0600), as the one account ``owner``; team mode adds accounts there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sfimport.settings import Settings
from sfimport.web.problems import problem, problem_response
from sfimport.web.sessions import Session

ACCESS_FILE = "access.json"
OWNER = "owner"
#: Paths anyone may open: the login page itself, its stylesheet, and the health check.
_OPEN_PREFIXES = ("/login", "/static/", "/healthz")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    """Who a session or token acts as; one owner today, team members later."""

    name: str
    token_sha256: str


@dataclass(frozen=True)
class AccessGuard:
    required: bool
    accounts: tuple[Account, ...] = ()

    @classmethod
    def for_settings(cls, settings: Settings) -> AccessGuard:
        if is_loopback(settings.host):
            return cls(required=False)
        path = settings.data_dir() / ACCESS_FILE
        if not path.exists():
            # Fail closed: served to the network without a token, nobody gets in.
            return cls(required=True)
        stored = json.loads(path.read_text())
        accounts = tuple(Account(a["name"], a["token_sha256"]) for a in stored["accounts"])
        return cls(required=True, accounts=accounts)

    def authenticate(self, token: str) -> Account | None:
        digest = _digest(token.strip())
        found = None
        for account in self.accounts:
            if hmac.compare_digest(digest, account.token_sha256):
                found = account
        return found


def issue_access_token(settings: Settings) -> str | None:
    """For a non-loopback bind: a new owner token, whose hash replaces the stored one.

    ``SFIMPORT_ACCESS_TOKEN`` fixes the token (scripts keep working across restarts); else a
    fresh random one is made at every start. Returns None for a loopback bind.
    """
    if is_loopback(settings.host):
        return None
    token = settings.access_token or secrets.token_urlsafe(32)
    path: Path = settings.data_dir() / ACCESS_FILE
    body = json.dumps({"accounts": [{"name": OWNER, "token_sha256": _digest(token)}]})
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(body)
    os.replace(path.with_suffix(".tmp"), path)
    return token


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text: str = bytes(value).decode("latin-1")
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class AccessMiddleware:
    """Lets a request through when no token is needed, its session logged in, or it carries a
    valid bearer token; sends browsers to the login page and scripts a 401 otherwise."""

    def __init__(self, app: ASGIApp, *, guard: AccessGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.guard.required:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        session = scope["state"]["session"]
        assert isinstance(session, Session)
        if path.startswith(_OPEN_PREFIXES) or session.principal is not None:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        account = self.guard.authenticate(token) if token else None
        if account is not None:
            scope["state"]["principal"] = account.name
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, path, token is not None)(scope, receive, send)

    @staticmethod
    def _refuse(scope: Scope, path: str, sent_token: bool) -> Response:
        if path.startswith("/api") or path == "/openapi.json":
            body = problem(
                401,
                "unauthorized",
                "That access token is not valid."
                if sent_token
                else "This sfimport is served to the network: every call needs its access token.",
                remedy="Send 'Authorization: Bearer <token>' with the token 'sfimport serve' "
                "printed when it started.",
                title="Access token required",
            )
            return problem_response(401, body, {"WWW-Authenticate": 'Bearer realm="sfimport"'})
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str) -> str:
    """Where to go after logging in: a path of this app only, never another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/data"
    return target
