"""The JSON API under /api: the same actions as the pages, for scripts; described at /openapi.json.

Every answer has a typed schema in the OpenAPI document: engine values keep the engine's field
names, lists come in an envelope ``{"items": [...], "next_cursor": ...}`` (pass ``next_cursor``
back as ``?cursor=`` for the next page; it is null on the last one), and errors are RFC 9457
problems (:mod:`sfimport.web.problems`).
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from sfimport.app.ports import (
    CatalogReport,
    Connected,
    Connection,
    DatasetInfo,
    DeletionResult,
    FieldSpec,
    ImportPlan,
    ImportSpec,
    ObjectChoice,
    ObjectEntry,
    PermissionReport,
    PreviewResult,
    ProgressEvent,
    RunInfo,
    ScheduleInfo,
)
from sfimport.errors import AuthorizationDenied, ConnectionFailed, UsageError
from sfimport.web.dependencies import FieldCountsDep, SettingsDep, WorkspaceDep
from sfimport.web.problems import documented
from sfimport.web.queries import run_query
from sfimport.web.routes_runs import FINAL_STATUSES, resume_in_background
from sfimport.web.security import require_same_origin_json

#: Every status an /api call can answer besides its success: bad input (400, 422), no token
#: (401), refused (403), unknown name (404), wrong method (405), a conflict such as a budget
#: or a removed field (409), not JSON (415), Salesforce's daily limit (429), an internal error
#: (500), Salesforce unreachable or refusing (502), My Data busy or the server stopping (503).
ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 415, 422, 429, 500, 502, 503)

router = APIRouter(
    prefix="/api",
    dependencies=[Depends(require_same_origin_json)],
    responses=documented(*ERROR_STATUSES),
)

Json = dict[str, Any]
T = TypeVar("T")


def as_json(value: object) -> Any:
    return jsonable_encoder(value)


def as_object(value: object) -> Json:
    """One engine value (a dataclass) as a JSON object."""
    encoded = jsonable_encoder(value)
    assert isinstance(encoded, dict)
    return encoded


def typed(model: Any, status: int = 200, description: str = "OK") -> dict[str, Any]:
    """Route options documenting the success answer's schema (the engine's own value types)."""
    return {
        "response_model": None,
        "status_code": status,
        "responses": {status: {"model": model, "description": description}},
    }


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )


Cursor = Annotated[
    str | None, Query(description="The next_cursor of the previous page; omit for the first.")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        if text.startswith("o:") and text[2:].isdigit():
            return int(text[2:])
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise UsageError(
        "That cursor is not one this API gave out.",
        remedy="Pass the next_cursor of the previous page unchanged, or omit it.",
    )


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def paged(values: Sequence[object], cursor: str | None, limit: int) -> Json:
    offset = _offset(cursor)
    end = offset + limit
    return {
        "items": [as_json(v) for v in values[offset:end]],
        "next_cursor": _cursor(end) if end < len(values) else None,
    }


class AuthorizeAnswer(BaseModel):
    authorize_url: str = Field(description="Open in a browser and press Allow.")
    state: str


class RunStarted(BaseModel):
    run_id: str


class RunEvents(BaseModel):
    run: RunInfo
    status: str
    final: bool = Field(description="True once the run is over.")
    events: list[ProgressEvent]


class RunLog(BaseModel):
    run_id: str
    log: str = Field(description="The run's log, oldest line first, tokens redacted.")


class Removed(BaseModel):
    removed: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class RefreshTokenBody(BaseModel):
    """A connection made headlessly, with a refresh token obtained elsewhere."""

    name: str = Field(description="Connector name, e.g. 'Sales org'.")
    refresh_token: str = Field(description="A Salesforce OAuth refresh token.")
    sandbox: bool = Field(False, description="Log in at the sandbox host (test.salesforce.com).")
    login_url: str | None = Field(None, description="A My Domain login URL, if the org uses one.")


class ReauthorizeBody(BaseModel):
    refresh_token: str | None = Field(
        None,
        description="A new refresh token (headless); without it the answer is an authorize URL "
        "to open in a browser.",
    )


class AuthorizeBody(BaseModel):
    name: str = Field(description="Connector name, e.g. 'Sales org'.")
    sandbox: bool = Field(False, description="Log in at the sandbox host (test.salesforce.com).")
    login_url: str | None = Field(None, description="A My Domain login URL, if the org uses one.")


class ObjectBody(BaseModel):
    name: str
    fields: list[str] | None = Field(None, description="Fields to read; null means all readable.")


class SpecBody(BaseModel):
    """An import: the same choices as the wizard's Select data and Obfuscate data steps."""

    connection: str
    folder: str
    start_date: date | None = None
    objects: list[ObjectBody] = []
    reports: list[str] = Field([], description="Report ids or names.")
    conceal: dict[str, list[str] | None] = Field(
        {}, description="Data set -> columns to conceal; null means the default personal columns."
    )
    budget_percent: float | None = Field(
        None,
        description="API budget: the org's usage may reach at most this percent of its daily "
        "API maximum while the import runs (planning calls count too); null means the "
        "installation's default (SFIMPORT_API_BUDGET_PERCENT, 80).",
    )

    def to_spec(self) -> ImportSpec:
        return ImportSpec(
            connection=self.connection,
            folder=self.folder,
            start_date=self.start_date,
            objects=tuple(
                ObjectChoice(o.name, None if o.fields is None else tuple(o.fields))
                for o in self.objects
            ),
            reports=tuple(self.reports),
            conceal={k: None if v is None else tuple(v) for k, v in self.conceal.items()},
            budget_percent=self.budget_percent,
        )


class RefreshBody(BaseModel):
    datasets: list[str] = Field(description="Data sets to refresh, as Folder.Name.")


class ResolveBody(BaseModel):
    action: str = Field(
        description="'reimport', 'retry' or 'continue_without_field' (a new run), or "
        "'resume' (the same run continues where it stopped)."
    )


class ScheduleBody(BaseModel):
    every: str = Field(description="'1h', '1d' or a cron expression.")


class QueryBody(BaseModel):
    sql: str = Field(description="A read-only SQL query over My Data.")
    limit: int = Field(1000, ge=1, le=100_000)


# --- connections ---------------------------------------------------------------------------


@router.get(
    "/connections", tags=["connections"], summary="List connections", **typed(Page[Connection])
)
def list_connections(workspace: WorkspaceDep, cursor: Cursor = None, limit: Limit = 100) -> Json:
    return paged(workspace.list_connections(), cursor, limit)


@router.post(
    "/connections",
    tags=["connections"],
    summary="Connect headlessly with a refresh token",
    **typed(Connected, 201, "Connected; the permission check is included."),
)
def connect_with_refresh_token(body: RefreshTokenBody, workspace: WorkspaceDep) -> Json:
    with _token_refused_is_denied():
        connected = workspace.connect_with_refresh_token(
            body.name, body.refresh_token, sandbox=body.sandbox, login_url=body.login_url
        )
    return as_object(connected)


@contextmanager
def _token_refused_is_denied() -> Iterator[None]:
    """A refresh token Salesforce refuses is the caller's to fix (403), not a broken link (502)."""
    try:
        yield
    except ConnectionFailed as error:
        if error.status is None or error.status >= 500:
            raise
        raise AuthorizationDenied(
            f"Salesforce refused the refresh token: {error.message}",
            status=error.status,
            error_code=error.error_code,
            remedy="Get a new refresh token from the Connected App (OAuth scopes api and "
            "refresh_token) and send it again.",
        ) from error


@router.post(
    "/connections/authorize",
    tags=["connections"],
    summary="Start a new connection",
    **typed(AuthorizeAnswer),
)
def authorize(
    body: AuthorizeBody, request: Request, workspace: WorkspaceDep, settings: SettingsDep
) -> Json:
    """Returns Salesforce's authorize URL: open it in a browser and press Allow."""
    pending = workspace.begin_authorization(
        body.name,
        sandbox=body.sandbox,
        login_url=body.login_url,
        redirect_uri=settings.redirect_uri,
    )
    request.app.state.api_pending_oauth[pending.state] = body.name
    return {"authorize_url": pending.authorize_url, "state": pending.state}


@router.post(
    "/connections/{name}/reauthorize",
    tags=["connections"],
    summary="Log in again (revoked token, blocked app): data sets and schedules are kept",
    **typed(AuthorizeAnswer | Connected),
)
def reauthorize(
    name: str,
    workspace: WorkspaceDep,
    request: Request,
    settings: SettingsDep,
    field_counts: FieldCountsDep,
    body: ReauthorizeBody | None = None,
) -> Json:
    """With a ``refresh_token``: done at once (the connection). Without: an authorize URL."""
    if body is not None and body.refresh_token:
        connected = workspace.connect_with_refresh_token(name, body.refresh_token, reauthorize=True)
        field_counts.forget(name)
        return as_object(connected)
    pending = workspace.begin_authorization(
        name, redirect_uri=settings.redirect_uri, reauthorize=True
    )
    request.app.state.api_pending_oauth[pending.state] = name
    return {"authorize_url": pending.authorize_url, "state": pending.state}


@router.get(
    "/connections/{name}", tags=["connections"], summary="One connection", **typed(Connection)
)
def get_connection(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_connection(name))


@router.get(
    "/connections/{name}/permissions",
    tags=["connections"],
    summary="Check the user's permissions",
    **typed(PermissionReport),
)
def permissions(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.check_permissions(name))


@router.post(
    "/connections/{name}/test",
    tags=["connections"],
    summary="Test a connection",
    **typed(Connection),
)
def test_connection(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.test_connection(name))


@router.delete(
    "/connections/{name}",
    tags=["connections"],
    summary="Delete a connection (revokes its token)",
    **typed(DeletionResult),
)
def delete_connection(name: str, workspace: WorkspaceDep, field_counts: FieldCountsDep) -> Json:
    result = as_object(workspace.delete_connection(name))
    field_counts.forget(name)
    return result


# --- catalog -------------------------------------------------------------------------------


@router.get(
    "/connections/{name}/objects",
    tags=["catalog"],
    summary="Objects of the org",
    **typed(Page[ObjectEntry]),
)
def objects(
    name: str,
    workspace: WorkspaceDep,
    search: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Json:
    return paged(workspace.list_objects(name, search), cursor, limit)


@router.get(
    "/connections/{name}/reports",
    tags=["catalog"],
    summary="Reports of the org",
    **typed(Page[CatalogReport]),
)
def reports(
    name: str,
    workspace: WorkspaceDep,
    search: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Json:
    return paged(workspace.list_reports(name, search), cursor, limit)


@router.get(
    "/connections/{name}/objects/{sobject}/fields",
    tags=["catalog"],
    summary="Fields of an object",
    **typed(Page[FieldSpec]),
)
def fields(
    name: str, sobject: str, workspace: WorkspaceDep, cursor: Cursor = None, limit: Limit = 100
) -> Json:
    return paged(workspace.list_fields(name, sobject), cursor, limit)


# --- plans and runs ------------------------------------------------------------------------


@router.post(
    "/plans",
    tags=["plans"],
    summary="Review an import: rows, fields, API calls",
    **typed(ImportPlan),
)
def plan(body: SpecBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.build_plan(body.to_spec()))


@router.post("/runs", tags=["runs"], summary="Start an import", **typed(RunStarted, 202))
def start_import(body: SpecBody, workspace: WorkspaceDep) -> Json:
    run_id = workspace.start_import(workspace.build_plan(body.to_spec()))
    return {"run_id": run_id}


@router.post("/runs/refresh", tags=["runs"], summary="Refresh data sets", **typed(RunStarted, 202))
def start_refresh(body: RefreshBody, workspace: WorkspaceDep) -> Json:
    return {"run_id": workspace.start_refresh(body.datasets)}


@router.get("/runs", tags=["runs"], summary="Recent runs, newest first", **typed(Page[RunInfo]))
def list_runs(
    workspace: WorkspaceDep,
    dataset: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Json:
    wanted = _offset(cursor) + limit + 1
    return paged(workspace.list_runs(dataset=dataset, limit=wanted), cursor, limit)


@router.get(
    "/runs/{run_id}",
    tags=["runs"],
    summary="One run with per-data-set progress",
    **typed(RunInfo),
)
def get_run(run_id: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_run(run_id))


@router.get(
    "/runs/{run_id}/events",
    tags=["runs"],
    summary="Progress events after a sequence",
    **typed(RunEvents),
)
def run_events(
    run_id: str, workspace: WorkspaceDep, after: Annotated[int, Query(ge=0)] = 0
) -> Json:
    """What the run page polls: new events, and the run's status (``final`` when it is over)."""
    run = workspace.get_run(run_id)
    events = workspace.run_events(run_id, after=after)
    return {
        "run": as_json(run),
        "status": run.status,
        "final": run.status in FINAL_STATUSES,
        "events": as_json(list(events)),
    }


@router.get(
    "/runs/{run_id}/log",
    tags=["runs"],
    summary="The run's log",
    **typed(RunLog),
)
def run_log(run_id: str, workspace: WorkspaceDep) -> Json:
    return {"run_id": run_id, "log": workspace.run_log(run_id)}


@router.post(
    "/runs/{run_id}/resume",
    tags=["runs"],
    summary="Resume a stopped run where it stopped",
    **typed(RunStarted, 202),
)
def resume(run_id: str, workspace: WorkspaceDep) -> Json:
    workspace.get_run(run_id)
    resume_in_background(workspace, run_id)
    return {"run_id": run_id}


@router.post(
    "/runs/{run_id}/resolve",
    tags=["runs"],
    summary="Act on a stopped run (a field went away)",
    **typed(RunStarted, 202),
)
def resolve(run_id: str, body: ResolveBody, workspace: WorkspaceDep) -> Json:
    if body.action == "resume":
        resume_in_background(workspace, run_id)
        return {"run_id": run_id}
    return {"run_id": workspace.resolve_field_error(run_id, body.action)}


# --- data sets -----------------------------------------------------------------------------


@router.get(
    "/datasets", tags=["datasets"], summary="Data sets in My Data", **typed(Page[DatasetInfo])
)
def datasets(
    workspace: WorkspaceDep, folder: str | None = None, cursor: Cursor = None, limit: Limit = 100
) -> Json:
    return paged(workspace.list_datasets(folder), cursor, limit)


@router.get("/datasets/{name}", tags=["datasets"], summary="One data set", **typed(DatasetInfo))
def dataset(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_dataset(name))


@router.get(
    "/datasets/{name}/preview",
    tags=["datasets"],
    summary="First rows of a data set",
    **typed(PreviewResult),
)
def preview(
    name: str, workspace: WorkspaceDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> Json:
    return as_object(workspace.preview(name, limit=limit))


EXPORT_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@router.get(
    "/datasets/{name}/export",
    tags=["datasets"],
    summary="Download a data set as CSV or Parquet",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file (CSV text cells never start a formula).",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
def export(
    name: str, workspace: WorkspaceDep, format: Literal["csv", "parquet"] = "csv"
) -> FileResponse:
    found = workspace.get_dataset(name)
    folder = Path(tempfile.mkdtemp(prefix="sfimport-export-"))
    path = workspace.export(found.qualified, format, folder / f"{found.qualified}.{format}")
    return FileResponse(
        path,
        media_type=EXPORT_TYPES[format],
        filename=path.name,
        background=BackgroundTask(_remove_export, folder),
    )


def _remove_export(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


@router.post(
    "/datasets/{name}/schedule",
    tags=["schedules"],
    summary="Refresh on a schedule",
    **typed(ScheduleInfo),
)
def set_schedule(name: str, body: ScheduleBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.set_schedule(name, body.every))


@router.get(
    "/schedules", tags=["schedules"], summary="Refresh schedules", **typed(Page[ScheduleInfo])
)
def schedules(workspace: WorkspaceDep, cursor: Cursor = None, limit: Limit = 100) -> Json:
    return paged(workspace.list_schedules(), cursor, limit)


@router.post(
    "/connections/{name}/schedule",
    tags=["schedules"],
    summary="Refresh every data set of a connection on a schedule",
    **typed(ScheduleInfo),
)
def set_connection_schedule(name: str, body: ScheduleBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.set_connection_schedule(name, body.every))


@router.delete(
    "/schedules/{key}",
    tags=["schedules"],
    summary="Remove a schedule ('Folder.Name', or 'connection:<name>')",
    **typed(Removed),
)
def remove_schedule(key: str, workspace: WorkspaceDep) -> Json:
    workspace.remove_schedule(key)
    return {"removed": key}


@router.post(
    "/query", tags=["datasets"], summary="Read-only SQL over My Data", **typed(PreviewResult)
)
async def query(body: QueryBody, request: Request, workspace: WorkspaceDep) -> Json:
    """Interrupted after SFIMPORT_QUERY_TIMEOUT seconds (30 by default), or when the client
    disconnects; at most SFIMPORT_MAX_QUERIES run at once (503 beyond)."""
    return as_object(await run_query(request, workspace, body.sql, body.limit))
