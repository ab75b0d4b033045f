"""Pipes on the web: the list with the lineage of every data set, a pipe's page, the editor
(steps or SQL, with a live preview), and the same in the JSON API under /api/pipes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from sfimport.app.ports import (
    STEP_KINDS,
    Lineage,
    PipeDetail,
    PipeInfo,
    PipePreview,
    PipeRun,
    PipesPort,
    with_step,
)
from sfimport.errors import SfimportError
from sfimport.web.dependencies import CsrfChecked, WorkspaceDep, render
from sfimport.web.problems import documented
from sfimport.web.routes_api import (
    ERROR_STATUSES,
    Cursor,
    Json,
    Limit,
    Page,
    as_object,
    paged,
    typed,
)
from sfimport.web.routes_connections import see_other, seg
from sfimport.web.security import require_same_origin_json

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])
api = APIRouter(
    prefix="/api",
    dependencies=[Depends(require_same_origin_json)],
    responses=documented(*ERROR_STATUSES),
)

#: What each step kind's two boxes in the editor mean (shown beside them).
STEP_HELP = {
    "filter": ("Condition", "", "NOT IsClosed"),
    "select": ("Columns to keep", "", "StageName, Amount"),
    "join": ("Data set to join", "Columns: left = right (prefix left: for a left join)", ""),
    "group": ("Group by columns", "Aggregates", "sum(Amount) as Amount, count(*) as Deals"),
    "pivot": ("Column whose values become columns", "Aggregate (by columns)", "sum(Amount)"),
    "union": ("Data set to append", "", ""),
    "compute": ("New column", "Expression", "date_trunc('month', CreatedDate)"),
    "rename": ("Old = New, ...", "", ""),
}


def get_pipes(request: Request) -> PipesPort:
    # The workspace serves pipes too (sfimport.app.pipes.PipesService).
    return cast(PipesPort, request.app.state.workspace)


PipesDep = Annotated[PipesPort, Depends(get_pipes)]


# --- pages ---------------------------------------------------------------------------------


@router.get("/pipes", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def pipes_page(request: Request, pipes: PipesDep) -> HTMLResponse:
    items = pipes.list_pipes()
    made = {p.qualified.lower() for p in items}
    roots = sorted({s for p in items for s in p.sources if s.lower() not in made})
    return render(
        request,
        "pipes.html",
        tab="pipes",
        title="Pipes",
        pipes=items,
        trees=[_tree(root, items) for root in roots],
    )


def _tree(node: str, items: Sequence[PipeInfo], seen: frozenset[str] = frozenset()) -> Json:
    """A data set and the pipes that read it, recursively (source -> pipes -> pipes)."""
    readers = [p for p in items if node.lower() in (s.lower() for s in p.sources)]
    children = [
        _tree(p.qualified, items, seen | {node.lower()})
        for p in readers
        if p.qualified.lower() not in seen
    ]
    return {"name": node, "children": children}


@router.get("/pipes/new", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def new_pipe(request: Request, workspace: WorkspaceDep, source: str = "") -> HTMLResponse:
    datasets = [d.qualified for d in workspace.list_datasets()]
    chosen = source or (datasets[0] if datasets else "Folder.Name")
    text = f'name = "New pipe"\nfolder = "Pipes"\nsource = "{chosen}"\n'
    return _editor(request, text, original="")


@router.get(
    "/pipes/{name}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def pipe_page(request: Request, name: str, pipes: PipesDep) -> HTMLResponse:
    detail = pipes.get_pipe(name)
    return render(request, "pipe.html", tab="pipes", title=detail.info.qualified, pipe=detail)


@router.get(
    "/pipes/{name}/edit", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def edit_pipe_page(request: Request, name: str, pipes: PipesDep) -> HTMLResponse:
    detail = pipes.get_pipe(name)
    return _editor(request, detail.definition, original=detail.info.qualified)


@router.get(
    "/lineage/{name}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def lineage_page(request: Request, name: str, pipes: PipesDep) -> HTMLResponse:
    lineage = pipes.lineage(name)
    return render(
        request,
        "lineage.html",
        tab="mydata",
        title=f"Lineage of {lineage.dataset}",
        lineage=lineage,
    )


def _editor(
    request: Request,
    text: str,
    *,
    original: str,
    preview: PipePreview | None = None,
    error: SfimportError | None = None,
    status_code: int = 200,
    step_kind: str = "filter",
) -> HTMLResponse:
    return render(
        request,
        "pipe_editor.html",
        status_code=status_code,
        tab="pipes",
        title=f"Edit {original}" if original else "New pipe",
        definition=text,
        original=original,
        preview=preview,
        error=error,
        step_kinds=STEP_KINDS,
        step_help=STEP_HELP,
        step_kind=step_kind,
    )


@forms.post("/pipes/editor", include_in_schema=False, response_model=None)
def editor_action(
    request: Request,
    pipes: PipesDep,
    definition: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "preview",
    original: Annotated[str, Form()] = "",
    step_kind: Annotated[str, Form()] = "filter",
    step_target: Annotated[str, Form()] = "",
    step_extra: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Add a step, preview, or save: each answers with the editor again, or the saved pipe."""
    text = definition
    try:
        if action == "add":
            text = with_step(text, step_kind, step_target, step_extra)
        if action == "save":
            run = pipes.edit_pipe(original, text) if original else pipes.create_pipe(text)
            return see_other(f"/pipes/{seg(run.pipe)}")
        preview = pipes.preview_pipe(text)
    except SfimportError as error:
        return _editor(
            request, text, original=original, error=error, status_code=400, step_kind=step_kind
        )
    return _editor(request, text, original=original, preview=preview, step_kind=step_kind)


@forms.post("/pipes/{name}/run", include_in_schema=False)
def run_pipe_form(name: str, pipes: PipesDep) -> RedirectResponse:
    run = pipes.run_pipe(name)
    return see_other(f"/pipes/{seg(run.pipe)}")


@forms.post("/pipes/{name}/delete", include_in_schema=False)
def delete_pipe_form(name: str, pipes: PipesDep) -> RedirectResponse:
    pipes.delete_pipe(name)
    return see_other("/pipes")


# --- JSON API ------------------------------------------------------------------------------


class PipeBody(BaseModel):
    definition: str = Field(description="The pipe's definition file (TOML): SQL or steps.")


class PreviewBody(PipeBody):
    limit: int = Field(20, ge=1, le=1000, description="Rows to show.")


class Deleted(BaseModel):
    removed: str


@api.get("/pipes", tags=["pipes"], summary="List pipes", **typed(Page[PipeInfo]))
def api_list(pipes: PipesDep, cursor: Cursor = None, limit: Limit = 100) -> Json:
    return paged(list(pipes.list_pipes()), cursor, limit)


@api.post(
    "/pipes/preview",
    tags=["pipes"],
    summary="Check a definition and show its SQL and first rows (saves nothing)",
    **typed(PipePreview),
)
def api_preview(body: PreviewBody, pipes: PipesDep) -> Json:
    return as_object(pipes.preview_pipe(body.definition, body.limit))


@api.post(
    "/pipes",
    tags=["pipes"],
    summary="Create a pipe and build its output",
    **typed(PipeRun, 201, "Created; the run says whether the first build succeeded"),
)
def api_create(body: PipeBody, pipes: PipesDep) -> Json:
    return as_object(pipes.create_pipe(body.definition))


@api.get("/pipes/{name}", tags=["pipes"], summary="One pipe", **typed(PipeDetail))
def api_get(name: str, pipes: PipesDep) -> Json:
    return as_object(pipes.get_pipe(name))


@api.put(
    "/pipes/{name}",
    tags=["pipes"],
    summary="Save a new version of a pipe and rebuild it",
    **typed(PipeRun),
)
def api_edit(name: str, body: PipeBody, pipes: PipesDep) -> Json:
    return as_object(pipes.edit_pipe(name, body.definition))


@api.post(
    "/pipes/{name}/run",
    tags=["pipes"],
    summary="Rebuild a pipe now, then the pipes that read it",
    **typed(PipeRun),
)
def api_run(name: str, pipes: PipesDep) -> Json:
    return as_object(pipes.run_pipe(name))


@api.delete(
    "/pipes/{name}", tags=["pipes"], summary="Delete a pipe and its output", **typed(Deleted)
)
def api_delete(name: str, pipes: PipesDep) -> Json:
    pipes.delete_pipe(name)
    return {"removed": name}


@api.get(
    "/lineage/{name}",
    tags=["pipes"],
    summary="Where a data set comes from and which pipes read it",
    **typed(Lineage),
)
def api_lineage(name: str, pipes: PipesDep) -> Json:
    return as_object(pipes.lineage(name))
