"""My Data: folders and data sets, a data set's preview, refresh, schedule, export, history,
and a read-only SQL box."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.background import BackgroundTask

from sfimport.app.ports import connection_key, connection_of
from sfimport.errors import NotFound, SfimportError, UsageError
from sfimport.web.dependencies import CsrfChecked, SessionDep, WorkspaceDep, render
from sfimport.web.ports import DatasetView, RunView, ScheduleView, WorkspacePort
from sfimport.web.queries import run_query
from sfimport.web.routes_connections import see_other, seg

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

EXPORT_FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
PREVIEW_ROWS = 100
HISTORY_RUNS = 20
SQL_PAGE_ROWS = 1000
#: Runs shown in a My Data card's sparkline.
SPARK_RUNS = 12


@router.get("/mydata", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def my_data(request: Request, workspace: WorkspaceDep) -> HTMLResponse:
    datasets = workspace.list_datasets()
    by_folder: dict[str, list[object]] = {folder: [] for folder in workspace.list_folders()}
    for dataset in datasets:
        by_folder.setdefault(dataset.folder, []).append(dataset)
    return render(
        request,
        "mydata.html",
        tab="mydata",
        title="My Data",
        folders=by_folder,
        sparks={d.qualified: rows_per_run(workspace, d) for d in datasets},
    )


def rows_per_run(workspace: WorkspacePort, dataset: DatasetView) -> list[int]:
    """Rows fetched for the data set by each of its last runs that published, oldest first
    (the My Data card's sparkline)."""
    rows: list[int] = []
    for run in workspace.list_runs(dataset=dataset.qualified, limit=SPARK_RUNS):
        for entry in run.datasets:
            if entry.name in (dataset.qualified, dataset.name) and getattr(entry, "status", "") in (
                "complete",
                "incomplete",
            ):
                rows.append(int(getattr(entry, "rows", 0) or 0))
                break
    return rows[::-1]


@router.get(
    "/mydata/{name}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def dataset_page(request: Request, name: str, workspace: WorkspaceDep) -> HTMLResponse:
    dataset = workspace.get_dataset(name)
    return render(
        request,
        "dataset.html",
        tab="mydata",
        title=dataset.qualified,
        dataset=dataset,
        preview=workspace.preview(dataset.qualified, limit=PREVIEW_ROWS),
        runs=_history(workspace, dataset),
        schedules=_schedules_of(workspace, dataset),
    )


def _history(workspace: WorkspacePort, dataset: DatasetView) -> list[RunView]:
    """The data set's runs, newest first (not those of a same-named data set elsewhere)."""
    return list(workspace.list_runs(dataset=dataset.qualified, limit=HISTORY_RUNS))


def _schedules_of(workspace: WorkspacePort, dataset: DatasetView) -> list[ScheduleView]:
    """Schedules that refresh this data set: its own, and its connection's."""
    keys = {dataset.qualified.lower(), connection_key(dataset.connection).lower()}
    return [s for s in workspace.list_schedules() if s.dataset.lower() in keys]


@forms.post("/mydata/{name}/refresh", include_in_schema=False)
def refresh(name: str, workspace: WorkspaceDep) -> RedirectResponse:
    dataset = workspace.get_dataset(name)
    return see_other(f"/runs/{seg(workspace.start_refresh([dataset.qualified]))}?follow=1")


@forms.post("/mydata/{name}/schedule", include_in_schema=False)
def schedule(
    name: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    every: Annotated[str, Form()] = "",
) -> RedirectResponse:
    dataset = workspace.get_dataset(name)
    # The engine refuses an empty or malformed schedule with a message that shows the forms.
    every = every.strip()
    workspace.set_schedule(dataset.qualified, every)
    session.notify(f"{dataset.qualified} now refreshes every {every}.", "success")
    return see_other(f"/mydata/{seg(dataset.qualified)}")


@forms.post("/mydata/{name}/schedule/remove", include_in_schema=False)
def remove_schedule(
    name: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    key: Annotated[str, Form()] = "",
) -> RedirectResponse:
    dataset = workspace.get_dataset(name)
    listed = {s.dataset: s for s in _schedules_of(workspace, dataset)}
    if key not in listed:
        raise NotFound(f"{dataset.qualified} has no schedule '{key}'.")
    workspace.remove_schedule(key)
    connection = connection_of(key)
    if connection is None:
        session.notify(f"{dataset.qualified} is no longer refreshed on a schedule.", "success")
    else:
        session.notify(
            f"The data sets of connection {connection} are no longer refreshed on a schedule.",
            "success",
        )
    return see_other(f"/mydata/{seg(dataset.qualified)}")


@router.get("/mydata/{name}/export.{fmt}", include_in_schema=False)
def export(name: str, fmt: str, workspace: WorkspaceDep) -> FileResponse:
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"Export as CSV or Parquet, not '{fmt}'.")
    dataset = workspace.get_dataset(name)
    folder = Path(tempfile.mkdtemp(prefix="sfimport-export-"))
    path = workspace.export(dataset.qualified, fmt, folder / f"{dataset.qualified}.{fmt}")
    return FileResponse(
        path,
        media_type=EXPORT_FORMATS[fmt],
        filename=path.name,
        background=BackgroundTask(_remove_export, folder),
    )


def _remove_export(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


@router.get("/sql", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def sql_box(request: Request, workspace: WorkspaceDep) -> HTMLResponse:
    return render(
        request,
        "sql.html",
        tab="mydata",
        title="SQL",
        sql="",
        result=None,
        error=None,
        example=_example_table(workspace),
    )


def _example_table(workspace: WorkspacePort) -> str:
    """A table of this My Data to show in the SQL hint (the first data set), quoted."""
    datasets = workspace.list_datasets()
    if not datasets:
        return '"Salesforce"."Lead"'
    first = datasets[0]
    return f'"{first.folder}"."{first.name}"'


@forms.post("/sql", response_class=HTMLResponse, include_in_schema=False, response_model=None)
async def run_sql(
    request: Request, workspace: WorkspaceDep, sql: Annotated[str, Form()] = ""
) -> HTMLResponse:
    try:
        result = await run_query(request, workspace, sql, SQL_PAGE_ROWS)
    except SfimportError as error:
        return render(
            request,
            "sql.html",
            400,
            tab="mydata",
            title="SQL",
            sql=sql,
            result=None,
            error=error,
            example=_example_table(workspace),
        )
    return render(
        request,
        "sql.html",
        tab="mydata",
        title="SQL",
        sql=sql,
        result=result,
        error=None,
        example=_example_table(workspace),
    )
