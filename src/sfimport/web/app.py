"""The FastAPI application factory: middleware, error pages, the scheduler and every route area."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from sfimport import __version__
from sfimport.app.workspace import Workspace
from sfimport.errors import SfimportError
from sfimport.settings import Settings
from sfimport.web import (
    routes_admin,
    routes_api,
    routes_connections,
    routes_docs,
    routes_history,
    routes_login,
    routes_mydata,
    routes_pipes,
    routes_runs,
    routes_wizard,
)
from sfimport.web.access import AccessGuard, AccessMiddleware
from sfimport.web.dependencies import STATIC_DIR, build_templates, render
from sfimport.web.error_pages import error_json, page_for, render_error
from sfimport.web.field_counts import FieldCounts
from sfimport.web.ports import WorkspacePort
from sfimport.web.problems import problem, problem_response
from sfimport.web.queries import QueryGate
from sfimport.web.scheduler import DEFAULT_INTERVAL_SECONDS, SchedulerLoop
from sfimport.web.security import SecurityHeadersMiddleware
from sfimport.web.sessions import SessionMiddleware, SessionStore
from sfimport.web.setup_links import setup_link


def _default_workspace(settings: Settings) -> WorkspacePort:
    return Workspace(settings)


def create_app(
    settings: Settings,
    *,
    workspace: WorkspacePort | None = None,
    scheduler_interval: float | None = DEFAULT_INTERVAL_SECONDS,
) -> FastAPI:
    """Build the web app for one data folder; nothing happens at import time.

    ``scheduler_interval`` None turns the background scheduler off (tests drive it by hand).
    """
    owned = workspace is None
    engine = workspace if workspace is not None else _default_workspace(settings)
    scheduler = SchedulerLoop(engine, scheduler_interval) if scheduler_interval else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            app.state.queries.cancel_all()
            if scheduler is not None:
                scheduler.stop()
            if owned and isinstance(engine, Workspace):
                engine.close()
            if app.state.access.team is not None:
                app.state.access.team.close()

    app = FastAPI(
        title="sfimport",
        version=__version__,
        description="Import Salesforce objects and reports into My Data. The JSON API under "
        "/api offers the same actions as the web pages.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.workspace = engine
    app.state.scheduler = scheduler
    app.state.templates = build_templates()
    # Pages that tell the person to act in Salesforce link the matching Setup page.
    app.state.templates.env.globals["setup_link"] = partial(setup_link, engine)
    app.state.api_pending_oauth = {}
    app.state.field_counts = FieldCounts()
    app.state.queries = QueryGate(settings.max_queries)

    secure_cookie = urlsplit(settings.redirect_uri).scheme == "https"
    app.state.access = AccessGuard.for_settings(settings)
    app.state.sessions = SessionStore()
    # Inside the session middleware: a logged-in session lets its browser through.
    app.add_middleware(AccessMiddleware, guard=app.state.access)
    app.add_middleware(
        SessionMiddleware,
        secret=settings.secret_key or secrets.token_urlsafe(32),
        store=app.state.sessions,
        secure=secure_cookie,
    )
    # Connect and Re-authorise redirect the form to Salesforce's login: https (any My Domain)
    # and the configured login hosts (the demo's are plain http on loopback).
    login_origins = [
        f"{parts.scheme}://{parts.netloc}"
        for parts in map(urlsplit, (settings.production_login_url, settings.sandbox_login_url))
        if parts.scheme == "http" and parts.netloc
    ]
    app.add_middleware(SecurityHeadersMiddleware, form_targets=["https:", *login_origins])
    # The app has no login of its own: answering only to its own host names stops a page
    # whose domain re-resolves to 127.0.0.1 (DNS rebinding) from driving it.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs/assets", routes_docs.assets, name="docs-assets")
    app.include_router(routes_docs.router)

    app.add_api_route(
        routes_connections.callback_path(settings),
        routes_connections.oauth_callback,
        methods=["GET"],
        include_in_schema=False,
        response_model=None,
    )
    for module in (routes_login, routes_connections, routes_wizard, routes_runs, routes_mydata):
        app.include_router(module.router)
        app.include_router(module.forms)
    app.include_router(routes_history.router)
    app.include_router(routes_history.forms)
    app.include_router(routes_history.api)
    app.include_router(routes_pipes.router)
    app.include_router(routes_pipes.forms)
    app.include_router(routes_pipes.api)
    app.include_router(routes_api.router)
    if app.state.access.team is not None:
        # Team mode: users, roles and the audit log (admins only, by the access middleware).
        app.include_router(routes_admin.router)
        app.include_router(routes_admin.api)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask for /favicon.ico whatever the page links; the same icon, as SVG.
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    @app.get(
        "/healthz",
        tags=["meta"],
        summary="Health check",
        response_model=None,
        responses={200: {"model": routes_api.Health, "description": "OK"}},
    )
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    _register_error_pages(app)
    return app


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


#: Kinds of the errors the HTTP layer itself answers (no route, wrong method, not JSON, ...).
_HTTP_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    415: "unsupported_media_type",
}


def _register_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SfimportError)
    async def sfimport_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, SfimportError)
        page = page_for(error)
        if _wants_json(request):
            return problem_response(page.status, error_json(error))
        params: dict[str, Any] = dict(request.path_params)
        connection = params.get("connection") or params.get("name")
        return render_error(request, error, connection)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names only the first route's methods; a path served by a page and a
            # form route (GET and POST /sql) allows both.
            headers["Allow"] = ", ".join(allowed_methods(request))
        if _wants_json(request) or not hasattr(request.state, "session"):
            kind = _HTTP_KINDS.get(error.status_code, "http")
            body = problem(error.status_code, kind, str(error.detail))
            return problem_response(error.status_code, body, headers)
        title = {403: "Not allowed", 404: "Page not found"}.get(error.status_code, "Error")
        page = render(
            request,
            "error.html",
            status_code=error.status_code,
            title=title,
            error={"message": str(error.detail), "remedy": ""},
            page={"title": title, "explain": ""},
            fix=None,
            connection_name=None,
            connection=None,
        )
        page.headers.update(headers)
        return page

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in error.errors()
        )
        body = problem(
            422,
            "usage",
            f"The request is not valid: {problems}.",
            remedy="Check the value and try again; nothing was changed.",
        )
        return problem_response(422, body)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path answers, for a 405's ``Allow`` header."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _machine_names() -> set[str]:
    """This machine's host name, full name and addresses (how the network reaches it)."""
    name = socket.gethostname()
    names = {name, socket.getfqdn()}
    with suppress(OSError):
        names |= set(socket.gethostbyname_ex(name)[2])
    return names


def allowed_hosts(settings: Settings) -> list[str]:
    """Host names the app answers to: loopback, its bind address, its OAuth callback's host,
    and the names in ``SFIMPORT_WEB_HOSTS``.

    Bound to every interface (0.0.0.0), it also answers to this machine's own names; never to
    any name: a page whose domain re-resolves to this machine (DNS rebinding) stays out.
    """
    hosts = {"127.0.0.1", "localhost", "::1", "[::1]"}
    if settings.host in ("0.0.0.0", "::"):  # noqa: S104 (a check, not a bind)
        hosts |= _machine_names()
    else:
        hosts.add(settings.host)
    callback_host = urlsplit(settings.redirect_uri).hostname
    if callback_host:
        hosts.add(callback_host)
    hosts |= {h.strip() for h in settings.web_hosts.split(",") if h.strip()}
    return sorted(hosts)
