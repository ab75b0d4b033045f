"""Browser sessions: a signed, HttpOnly, SameSite cookie naming state kept on the server.

The cookie holds only a random session id signed with itsdangerous; the wizard's choices, the
CSRF token, pending OAuth states and one-shot notices live in memory here, never in hidden
fields or URLs. Sessions end when the server stops, which is fine for a local app: runs and My
Data live in the engine, so a lost session only costs the wizard's unsaved choices.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "sfimport_session"
#: Sessions kept at most; the oldest is forgotten first (a local app has a handful).
MAX_SESSIONS = 1000


@dataclass
class WizardState:
    """What a person chose so far in Select data and Obfuscate data for one connection."""

    objects: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    folder: str = ""
    start_date: date | None = None
    concealed: list[str] = field(default_factory=list)
    #: The plan last shown on Review, started as-is by "Import data".
    plan: Any = None

    @property
    def datasets(self) -> list[str]:
        return self.objects + self.reports


@dataclass
class Session:
    id: str
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: connection name -> wizard choices.
    wizards: dict[str, WizardState] = field(default_factory=dict)
    #: OAuth state -> connection name, for authorisations this browser started.
    pending_oauth: dict[str, str] = field(default_factory=dict)
    notices: list[tuple[str, str]] = field(default_factory=list)
    #: The account this browser logged in as (served to the network); None on loopback.
    principal: str | None = None

    def wizard(self, connection: str) -> WizardState:
        return self.wizards.setdefault(connection, WizardState())

    def notify(self, text: str, level: str = "info") -> None:
        """A message shown once on the next page (after a 303 redirect)."""
        self.notices.append((level, text))

    def pop_notices(self) -> list[tuple[str, str]]:
        notices, self.notices = self.notices, []
        return notices


class SessionStore:
    """Thread-safe in-memory sessions with a bounded size."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
            return session

    def create(self) -> Session:
        session = Session(id=secrets.token_urlsafe(24))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def rotate(self, session: Session) -> None:
        """Give a session a new id and CSRF token, forgetting the old id (at login).

        Whoever knew the id before (a cookie planted in the browser: session fixation) holds a
        dead id afterwards; the middleware sends the new one as a fresh cookie.
        """
        with self._lock:
            self._sessions.pop(session.id, None)
            session.id = secrets.token_urlsafe(24)
            session.csrf_token = secrets.token_urlsafe(32)
            self._sessions[session.id] = session


class SessionMiddleware:
    """Attaches ``scope["state"]["session"]``; sets the cookie when a session starts or its id
    was rotated while the request ran (login)."""

    def __init__(self, app: ASGIApp, *, secret: str, store: SessionStore, secure: bool) -> None:
        self.app = app
        self.store = store
        self.secure = secure
        self.serializer = URLSafeSerializer(secret, salt="sfimport-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self._existing(scope)
        is_new = session is None
        if session is None:
            session = self.store.create()
        scope.setdefault("state", {})["session"] = session
        sent_id = None if is_new else session.id

        async def send_with_cookie(message: Message) -> None:
            # Read the id when the response starts: a login handler may have rotated it.
            if message["type"] == "http.response.start" and session.id != sent_id:
                MutableHeaders(scope=message).append("Set-Cookie", self._cookie(session.id))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _existing(self, scope: Scope) -> Session | None:
        for name, value in scope.get("headers", []):
            if name != b"cookie":
                continue
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is simply no session
                return None
            morsel = jar.get(COOKIE_NAME)
            if morsel is None:
                continue
            try:
                session_id = self.serializer.loads(morsel.value)
            except BadSignature:
                return None
            return self.store.get(str(session_id))
        return None

    def _cookie(self, session_id: str) -> str:
        signed = self.serializer.dumps(session_id)
        parts = [f"{COOKIE_NAME}={signed}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
