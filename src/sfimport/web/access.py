"""Who may use the web app: anyone on this machine, or, served to the network, token holders.

Bound to loopback the app serves its owner only. Bound to any other address (``serve --host
0.0.0.0``), every page and the JSON API need the access token printed once when the server
starts: a browser logs in with it once (the login page sets the session), a script sends it as
``Authorization: Bearer <token>``. Only the token's SHA-256 is kept, in ``access.json`` of the
data folder (mode 0600), as the one account ``owner``.

Team mode (SFIMPORT_DATABASE_URL) replaces the token with accounts wherever the app is bound:
a browser logs in with a user name and password, a script sends one of its user's API tokens,
each request needs the role :mod:`sfimport.web.roles` names, and every change and export is
written to the audit log, allowed or refused.
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

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfimport.app.accounts import AccountsService, User
from sfimport.settings import Settings
from sfimport.web.dependencies import render
from sfimport.web.problems import problem, problem_response
from sfimport.web.roles import rule_for
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
    #: Team mode: users, roles and the audit log (None: the single-user default).
    team: AccountsService | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> AccessGuard:
        if settings.team_mode:
            return cls(required=True, team=AccountsService.open(settings))
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
        if self.guard.team is not None:
            await self._team(self.guard.team, scope, receive, send)
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

    async def _team(
        self, team: AccountsService, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Team mode: who is asking (session or API token), may their role do it, and the
        audit log's line for it."""
        path: str = scope["path"]
        if path.startswith(_OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = scope["state"]["session"]
        assert isinstance(session, Session)
        # A script's token names who acts, whatever session cookie it also carries.
        token = bearer_token(scope)
        user: User | None = None
        if token is not None:
            user = team.user_for_token(token)
        elif session.principal is not None:
            user = team.user(session.principal)
            if user is None:  # removed since logging in: logged out
                session.principal = None
        if user is None:
            await self._refuse(scope, path, token is not None, team=True)(scope, receive, send)
            return
        scope["state"]["principal"] = user.name
        scope["state"]["role"] = user.role.value
        method: str = scope["method"]
        rule = rule_for(method, path)
        target = f"{method} {path}"
        if not user.role.allows(rule.needs):
            team.record(
                user.name,
                rule.action or ("read" if method in ("GET", "HEAD") else "write"),
                target,
                outcome="refused",
                detail=f"role {user.role.value} lacks {rule.needs.name.lower()}",
            )
            await _forbidden(scope, user, rule.needs.name.lower())(scope, receive, send)
            return
        if rule.action is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            outcome = "done" if status < 400 else "failed"
            team.record(user.name, rule.action, target, outcome=outcome, detail=f"HTTP {status}")

    @staticmethod
    def _refuse(scope: Scope, path: str, sent_token: bool, *, team: bool = False) -> Response:
        if path.startswith("/api") or path == "/openapi.json":
            if team:
                message = (
                    "That API token is not valid."
                    if sent_token
                    else "This sfimport runs in team mode: every call needs a user's API token."
                )
                remedy = (
                    "Send 'Authorization: Bearer <token>' with a token from "
                    "'sfimport users token NAME'."
                )
            else:
                message = (
                    "That access token is not valid."
                    if sent_token
                    else "This sfimport is served to the network: every call needs its access "
                    "token."
                )
                remedy = (
                    "Send 'Authorization: Bearer <token>' with the token 'sfimport serve' "
                    "printed when it started."
                )
            body = problem(
                401, "unauthorized", message, remedy=remedy, title="Access token required"
            )
            return problem_response(401, body, {"WWW-Authenticate": 'Bearer realm="sfimport"'})
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _forbidden(scope: Scope, user: User, needs: str) -> Response:
    """403 for a role that may not: a problem body for the API, the error page for a browser."""
    needed = {"work": "member or admin", "admin": "admin"}.get(needs, needs)
    message = f"{user.name} is a {user.role.value}; this needs the role {needed}."
    remedy = "Ask an admin to change your role ('sfimport users set-role')."
    path: str = scope["path"]
    if path.startswith("/api") or path == "/openapi.json":
        body = problem(403, "forbidden", message, remedy=remedy, title="Not allowed")
        return problem_response(403, body)
    return render(
        Request(scope),
        "error.html",
        status_code=403,
        title="Not allowed",
        error={"message": message, "remedy": remedy},
        page={"title": "Not allowed", "explain": ""},
        fix=None,
        connection_name=None,
        connection=None,
    )


def safe_next(target: str) -> str:
    """Where to go after logging in: a path of this app only, never another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/data"
    return target
