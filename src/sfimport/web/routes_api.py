"""The JSON API under /api: the same actions as the pages, for scripts; described at /openapi.json.

Engine values are returned as JSON objects with the engine's own field names; errors come back
as ``{"kind", "message", "remedy", "retryable"}`` with a matching HTTP status.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from sfimport.app.ports import ImportSpec, ObjectChoice
from sfimport.web.dependencies import FieldCountsDep, SettingsDep, WorkspaceDep
from sfimport.web.queries import run_query
from sfimport.web.routes_runs import FINAL_STATUSES, resume_in_background
from sfimport.web.security import require_same_origin_json

router = APIRouter(prefix="/api", dependencies=[Depends(require_same_origin_json)])

Json = dict[str, Any]


def as_json(value: object) -> Any:
    return jsonable_encoder(value)


def as_object(value: object) -> Json:
    """One engine value (a dataclass) as a JSON object."""
    encoded = jsonable_encoder(value)
    assert isinstance(encoded, dict)
    return encoded


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


@router.get("/connections", tags=["connections"], summary="List connections")
def list_connections(workspace: WorkspaceDep) -> list[Json]:
    return [as_object(c) for c in workspace.list_connections()]


@router.post("/connections/authorize", tags=["connections"], summary="Start a new connection")
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


@router.get("/connections/{name}", tags=["connections"], summary="One connection")
def get_connection(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_connection(name))


@router.get(
    "/connections/{name}/permissions", tags=["connections"], summary="Check the user's permissions"
)
def permissions(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.check_permissions(name))


@router.post("/connections/{name}/test", tags=["connections"], summary="Test a connection")
def test_connection(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.test_connection(name))


@router.delete(
    "/connections/{name}", tags=["connections"], summary="Delete a connection (revokes its token)"
)
def delete_connection(name: str, workspace: WorkspaceDep, field_counts: FieldCountsDep) -> Json:
    result = as_object(workspace.delete_connection(name))
    field_counts.forget(name)
    return result


# --- catalog -------------------------------------------------------------------------------


@router.get("/connections/{name}/objects", tags=["catalog"], summary="Objects of the org")
def objects(name: str, workspace: WorkspaceDep, search: str | None = None) -> list[Json]:
    return [as_object(o) for o in workspace.list_objects(name, search)]


@router.get("/connections/{name}/reports", tags=["catalog"], summary="Reports of the org")
def reports(name: str, workspace: WorkspaceDep, search: str | None = None) -> list[Json]:
    return [as_object(r) for r in workspace.list_reports(name, search)]


@router.get(
    "/connections/{name}/objects/{sobject}/fields", tags=["catalog"], summary="Fields of an object"
)
def fields(name: str, sobject: str, workspace: WorkspaceDep) -> list[Json]:
    return [as_object(f) for f in workspace.list_fields(name, sobject)]


# --- plans and runs ------------------------------------------------------------------------


@router.post("/plans", tags=["plans"], summary="Review an import: rows, fields, API calls")
def plan(body: SpecBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.build_plan(body.to_spec()))


@router.post("/runs", tags=["runs"], summary="Start an import", status_code=202)
def start_import(body: SpecBody, workspace: WorkspaceDep) -> Json:
    run_id = workspace.start_import(workspace.build_plan(body.to_spec()))
    return {"run_id": run_id}


@router.post("/runs/refresh", tags=["runs"], summary="Refresh data sets", status_code=202)
def start_refresh(body: RefreshBody, workspace: WorkspaceDep) -> Json:
    return {"run_id": workspace.start_refresh(body.datasets)}


@router.get("/runs", tags=["runs"], summary="Recent runs")
def list_runs(
    workspace: WorkspaceDep,
    dataset: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Json]:
    return [as_object(r) for r in workspace.list_runs(dataset=dataset, limit=limit)]


@router.get("/runs/{run_id}", tags=["runs"], summary="One run with per-data-set progress")
def get_run(run_id: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_run(run_id))


@router.get("/runs/{run_id}/events", tags=["runs"], summary="Progress events after a sequence")
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


@router.post("/runs/{run_id}/resolve", tags=["runs"], summary="Act on a stopped run")
def resolve(run_id: str, body: ResolveBody, workspace: WorkspaceDep) -> Json:
    if body.action == "resume":
        resume_in_background(workspace, run_id)
        return {"run_id": run_id}
    return {"run_id": workspace.resolve_field_error(run_id, body.action)}


# --- data sets -----------------------------------------------------------------------------


@router.get("/datasets", tags=["datasets"], summary="Data sets in My Data")
def datasets(workspace: WorkspaceDep, folder: str | None = None) -> list[Json]:
    return [as_object(d) for d in workspace.list_datasets(folder)]


@router.get("/datasets/{name}", tags=["datasets"], summary="One data set")
def dataset(name: str, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.get_dataset(name))


@router.get("/datasets/{name}/preview", tags=["datasets"], summary="First rows of a data set")
def preview(
    name: str, workspace: WorkspaceDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> Json:
    return as_object(workspace.preview(name, limit=limit))


@router.post("/datasets/{name}/schedule", tags=["datasets"], summary="Refresh on a schedule")
def set_schedule(name: str, body: ScheduleBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.set_schedule(name, body.every))


@router.get("/schedules", tags=["datasets"], summary="Refresh schedules")
def schedules(workspace: WorkspaceDep) -> list[Json]:
    return [as_object(s) for s in workspace.list_schedules()]


@router.post(
    "/connections/{name}/schedule",
    tags=["connections"],
    summary="Refresh every data set of a connection on a schedule",
)
def set_connection_schedule(name: str, body: ScheduleBody, workspace: WorkspaceDep) -> Json:
    return as_object(workspace.set_connection_schedule(name, body.every))


@router.delete(
    "/schedules/{key}",
    tags=["datasets"],
    summary="Remove a schedule ('Folder.Name', or 'connection:<name>')",
)
def remove_schedule(key: str, workspace: WorkspaceDep) -> Json:
    workspace.remove_schedule(key)
    return {"removed": key}


@router.post("/query", tags=["datasets"], summary="Read-only SQL over My Data")
async def query(body: QueryBody, request: Request, workspace: WorkspaceDep) -> Json:
    """Interrupted after SFIMPORT_QUERY_TIMEOUT seconds (30 by default), or when the client
    disconnects; at most SFIMPORT_MAX_QUERIES run at once (503 beyond)."""
    return as_object(await run_query(request, workspace, body.sql, body.limit))
