"""The Data tab, the source pages, Salesforce connections and the OAuth round trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sfimport.app.ports import PermissionReportView, connection_key
from sfimport.errors import (
    ApiDisabled,
    AuthorizationDenied,
    ConnectionFailed,
    DailyLimitExceeded,
    SfimportError,
    UsageError,
)
from sfimport.settings import Settings
from sfimport.web.dependencies import (
    CsrfChecked,
    FieldCountsDep,
    SessionDep,
    SettingsDep,
    WorkspaceDep,
    render,
)
from sfimport.web.error_pages import Fix, fix_for, render_error
from sfimport.web.ports import RunView, WorkspacePort

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

#: How many recent runs the connection page looks through for runs to resume.
STOPPED_RUNS_SCANNED = 50
#: How many connections the Connections page checks with Salesforce when it opens.
HEALTH_CHECKED = 20


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def seg(name: str) -> str:
    """A name as one URL path segment."""
    return quote(name, safe="")


def callback_path(settings: Settings) -> str:
    """The OAuth callback route: the path of the redirect URI registered at Salesforce."""
    return urlsplit(settings.redirect_uri).path or "/oauth/callback"


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return see_other("/data")


@router.get("/data", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def data_tab(request: Request, workspace: WorkspaceDep) -> HTMLResponse:
    datasets = workspace.list_datasets()
    return render(request, "data.html", tab="data", title="Data", datasets=datasets)


@router.get("/import", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def sources(request: Request) -> HTMLResponse:
    return render(request, "sources.html", tab="data", title="Import data")


@router.get(
    "/connections", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def connections(request: Request, workspace: WorkspaceDep) -> HTMLResponse:
    """Every connection with its health, checked with Salesforce on open (one call each)."""
    listed = list(workspace.list_connections())
    health = {
        c.name: connection_health(workspace, c.name, permissions=False)
        for c in listed[:HEALTH_CHECKED]
    }
    return render(
        request,
        "connections.html",
        tab="connections",
        title="Salesforce",
        connections=workspace.list_connections(),
        health=health,
    )


@router.get(
    "/connections/new", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def new_connection(request: Request) -> HTMLResponse:
    return render(
        request,
        "connection_new.html",
        tab="connections",
        title="Connect to your Database",
        form={"name": "", "sandbox": False, "login_url": ""},
        error=None,
    )


@forms.post("/connections/new", include_in_schema=False, response_model=None)
def create_connection(
    request: Request,
    workspace: WorkspaceDep,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form()] = "",
    sandbox: Annotated[bool, Form()] = False,
    login_url: Annotated[str, Form()] = "",
) -> RedirectResponse | HTMLResponse:
    name = name.strip()
    login = login_url.strip() or None
    try:
        if not name:
            raise UsageError("Enter a connector name, e.g. 'Sales org'.")
        pending = workspace.begin_authorization(
            name, sandbox=sandbox, login_url=login, redirect_uri=settings.redirect_uri
        )
    except SfimportError as error:
        return render(
            request,
            "connection_new.html",
            status_code=400,
            tab="connections",
            title="Connect to your Database",
            form={"name": name, "sandbox": sandbox, "login_url": login_url},
            error=error,
        )
    session.pending_oauth[pending.state] = name
    return see_other(pending.authorize_url)


def oauth_callback(
    request: Request,
    workspace: WorkspaceDep,
    session: SessionDep,
    field_counts: FieldCountsDep,
    state: str = "",
    code: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> RedirectResponse | HTMLResponse:
    """Salesforce's redirect back: ``code`` and ``state``, or ``error=access_denied``."""
    name = session.pending_oauth.pop(state, None)
    try:
        if name is None:
            # The state was not issued to this browser: a forged or replayed callback.
            raise AuthorizationDenied(
                "This sign-in did not start here, or it was already used.",
                remedy="Start the connection again from New connection.",
            )
        info = workspace.complete_authorization(
            state=state, code=code, error=error, error_description=error_description
        )
    except AuthorizationDenied as denied:
        if name is not None and _exists(workspace, name):
            # A re-authorisation that was denied: the connection stays as it was.
            session.notify(f"“{name}” was not re-authorised. {denied.describe()}", "warning")
            return see_other(f"/connections/{seg(name)}")
        return render(
            request,
            "connection_new.html",
            status_code=403,
            tab="connections",
            title="Connect to your Database",
            form={"name": name or "", "sandbox": False, "login_url": ""},
            error=denied,
            denied=error == "access_denied",
        )
    except ConnectionFailed as failed:
        # Typically the app is blocked in Salesforce, which ended every connection made
        # through it: their status is checked again so that none keeps showing "active".
        _recheck_all(workspace)
        return render_error(request, failed, None)
    field_counts.forget(info.name)  # a new login may reach another org or another user
    health = connection_health(workspace, info.name)
    if not health.ok:
        # No success banner for a user who cannot use the API or lacks a permission: the
        # connection page states what is missing and offers Try again.
        session.notify(
            f"Signed in to Salesforce as “{info.name}”, but this connection cannot import yet: "
            "Health below says what is missing and how to fix it.",
            "warning",
        )
        return see_other(f"/connections/{seg(info.name)}")
    if info.reauthorized:
        session.notify(
            f"Re-authorised “{info.name}”; its data sets and schedules are kept.", "success"
        )
        return see_other(f"/connections/{seg(info.name)}")
    session.notify(
        f"Connected to Salesforce as “{info.name}”: every permission is in place.", "success"
    )
    return see_other(f"/import/{seg(info.name)}/select")


def _recheck_all(workspace: WorkspacePort) -> None:
    for connection in workspace.list_connections()[:HEALTH_CHECKED]:
        try:
            workspace.test_connection(connection.name)
        except SfimportError:
            continue


@dataclass(frozen=True)
class Health:
    """A connection's real state, checked with Salesforce, and the one button that fixes it."""

    state: str  # healthy, needs_reauth, no_api_access, missing_permissions, unreachable...
    message: str
    remedy: str = ""
    fix: Fix | None = None
    permissions: PermissionReportView | None = None
    #: The error kind, for the matching Salesforce Setup link.
    kind: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "healthy"


def connection_health(workspace: WorkspacePort, name: str, *, permissions: bool = True) -> Health:
    """Check a connection for real: one data call (which also refreshes its status and API
    usage) and, with ``permissions``, the permission check."""
    try:
        workspace.test_connection(name)
    except SfimportError as error:
        return _unhealthy(error, name)
    if not permissions:
        return Health("healthy", "The connection works.")
    try:
        report = workspace.check_permissions(name)
    except SfimportError as error:
        return _unhealthy(error, name)
    missing = list(report.missing)
    if not missing:
        return Health("healthy", "The connection works.", permissions=report)
    names = [str(getattr(item, "name", item)) for item in missing]
    retry = fix_for(ApiDisabled(""), name, None)
    if "API Enabled" in names:
        return Health(
            "no_api_access",
            "the Salesforce user has no API access (the API Enabled permission is off).",
            "Enable 'API Enabled' for this user (Profile or Permission Set), then click Try again.",
            retry,
            report,
        )
    return Health(
        "missing_permissions",
        f"the Salesforce user lacks {', '.join(names)}.",
        "Give the user the missing permission (Profile or Permission Set), then click Try again.",
        retry,
        report,
        "permissions",
    )


def _unhealthy(error: SfimportError, name: str) -> Health:
    fix = fix_for(error, name, None)
    if isinstance(error, ApiDisabled):
        state = "no_api_access"
    elif isinstance(error, ConnectionFailed):
        state = "needs_reauth"
    elif isinstance(error, DailyLimitExceeded):
        state = "waiting_for_limit"  # only the allowance's reset helps: no button
    else:
        state = "unreachable"
        fix = fix or Fix("Try again", f"/connections/{seg(name)}/test")
    message = error.message
    if isinstance(error, ApiDisabled):
        # Salesforce's own words say "this Organization"; what the person fixes is the user.
        message = (
            "the Salesforce user has no API access (the API Enabled permission is off); "
            f"Salesforce answered: {error.message}"
        )
    return Health(state, message, error.remedy, fix, kind=error.kind)


def _exists(workspace: WorkspacePort, name: str) -> bool:
    try:
        workspace.get_connection(name)
    except SfimportError:
        return False
    return True


@router.get(
    "/connections/{name}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def connection_page(request: Request, name: str, workspace: WorkspaceDep) -> HTMLResponse:
    """The connection, checked with Salesforce on every open: its real health and the fix."""
    workspace.get_connection(name)
    return _render_connection(request, workspace, name)


def _render_connection(request: Request, workspace: WorkspacePort, name: str) -> HTMLResponse:
    health = connection_health(workspace, name)
    info = workspace.get_connection(name)
    return render(
        request,
        "connection.html",
        tab="connections",
        title=f"Connection {info.name}",
        connection=info,
        health=health,
        permissions=health.permissions,
        **_connection_extras(workspace, info.name),
    )


def _connection_extras(workspace: WorkspacePort, name: str) -> dict[str, Any]:
    """The connection's refresh schedule and its runs that can resume (after a re-authorise,
    the person resumes them from here)."""
    key = connection_key(name).lower()
    stopped = [
        run
        for run in workspace.list_runs(limit=STOPPED_RUNS_SCANNED)
        if run.connection == name and run.status != "running" and _offers_resume(run)
    ]
    return {
        "schedule": next((s for s in workspace.list_schedules() if s.dataset.lower() == key), None),
        "stopped_runs": stopped,
    }


def _offers_resume(run: RunView) -> bool:
    error = getattr(run, "error", None)
    return error is not None and "resume" in getattr(error, "actions", ())


@forms.post("/connections/{name}/test", include_in_schema=False, response_class=HTMLResponse)
def test_connection(request: Request, name: str, workspace: WorkspaceDep) -> HTMLResponse:
    """Test connection and the error pages' Try again: the same check as on open."""
    workspace.get_connection(name)
    return _render_connection(request, workspace, name)


@forms.post("/connections/{name}/schedule", include_in_schema=False)
def schedule_connection(
    name: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    every: Annotated[str, Form()] = "",
) -> RedirectResponse:
    info = workspace.get_connection(name)
    # The engine refuses an empty or malformed schedule with a message that shows the forms.
    every = every.strip()
    workspace.set_connection_schedule(info.name, every)
    session.notify(f"Every data set of {info.name} now refreshes every {every}.", "success")
    return see_other(f"/connections/{seg(info.name)}")


@forms.post("/connections/{name}/schedule/remove", include_in_schema=False)
def unschedule_connection(
    name: str, workspace: WorkspaceDep, session: SessionDep
) -> RedirectResponse:
    info = workspace.get_connection(name)
    workspace.remove_schedule(connection_key(info.name))
    session.notify(
        f"The data sets of {info.name} are no longer refreshed on a schedule.", "success"
    )
    return see_other(f"/connections/{seg(info.name)}")


@forms.post("/connections/{name}/reauthorize", include_in_schema=False)
def reauthorize(
    name: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    settings: SettingsDep,
) -> RedirectResponse:
    """A new Salesforce login for the connection (its login host and sandbox flag kept); the
    callback then gives it the new tokens, its data sets and schedules untouched."""
    info = workspace.get_connection(name)
    pending = workspace.begin_authorization(
        info.name, reauthorize=True, redirect_uri=settings.redirect_uri
    )
    session.pending_oauth[pending.state] = info.name
    return see_other(pending.authorize_url)


@router.get(
    "/connections/{name}/delete",
    response_class=HTMLResponse,
    include_in_schema=False,
    response_model=None,
)
def confirm_delete(request: Request, name: str, workspace: WorkspaceDep) -> HTMLResponse:
    info = workspace.get_connection(name)
    return render(
        request,
        "connection_delete.html",
        tab="connections",
        title="Delete connection",
        connection=info,
    )


@forms.post("/connections/{name}/delete", include_in_schema=False)
def delete_connection(
    name: str, workspace: WorkspaceDep, session: SessionDep, field_counts: FieldCountsDep
) -> RedirectResponse:
    result = workspace.delete_connection(name)
    field_counts.forget(name)
    level = "success" if result.revoked else "warning"
    session.notify(result.message or f"Connection “{name}” deleted.", level)
    session.wizards.pop(name, None)
    return see_other("/connections")
