"""The Data tab, the source pages, Salesforce connections and the OAuth round trip."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sfimport.app.ports import connection_key
from sfimport.errors import AuthorizationDenied, SfimportError, UsageError
from sfimport.settings import Settings
from sfimport.web.dependencies import (
    CsrfChecked,
    FieldCountsDep,
    SessionDep,
    SettingsDep,
    WorkspaceDep,
    render,
)
from sfimport.web.ports import RunView, WorkspacePort

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

#: How many recent runs the connection page looks through for runs to resume.
STOPPED_RUNS_SCANNED = 50


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
    return render(
        request,
        "connections.html",
        tab="data",
        title="Salesforce",
        connections=workspace.list_connections(),
    )


@router.get(
    "/connections/new", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def new_connection(request: Request) -> HTMLResponse:
    return render(
        request,
        "connection_new.html",
        tab="data",
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
            tab="data",
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
            tab="data",
            title="Connect to your Database",
            form={"name": name or "", "sandbox": False, "login_url": ""},
            error=denied,
            denied=error == "access_denied",
        )
    field_counts.forget(info.name)  # a new login may reach another org or another user
    if info.reauthorized:
        session.notify(
            f"Re-authorised “{info.name}”; its data sets and schedules are kept.", "success"
        )
    else:
        session.notify(f"Connected to Salesforce as “{info.name}”.", "success")
    return see_other(f"/connections/{seg(info.name)}?connected=1")


def _exists(workspace: WorkspacePort, name: str) -> bool:
    try:
        workspace.get_connection(name)
    except SfimportError:
        return False
    return True


@router.get(
    "/connections/{name}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def connection_page(
    request: Request, name: str, workspace: WorkspaceDep, connected: int = 0
) -> HTMLResponse:
    info = workspace.get_connection(name)
    permissions = workspace.check_permissions(name) if connected else None
    return render(
        request,
        "connection.html",
        tab="data",
        title=f"Connection {info.name}",
        connection=info,
        permissions=permissions,
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
    info = workspace.test_connection(name)
    permissions = workspace.check_permissions(name)
    return render(
        request,
        "connection.html",
        tab="data",
        title=f"Connection {info.name}",
        connection=info,
        permissions=permissions,
        tested=True,
        **_connection_extras(workspace, info.name),
    )


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
        request, "connection_delete.html", tab="data", title="Delete connection", connection=info
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
