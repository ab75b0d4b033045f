"""Run pages: live progress of an import or refresh, and the recovery buttons of a stopped run
(re-import fresh, retry, continue without a field, resume, re-authorise)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from sfimport.errors import UsageError
from sfimport.web.dependencies import CsrfChecked, WorkspaceDep, render
from sfimport.web.error_pages import ACTION_LABELS
from sfimport.web.ports import WorkspacePort
from sfimport.web.routes_connections import see_other, seg

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

#: Statuses after which a run changes no more (unless a person resumes it).
FINAL_STATUSES = frozenset({"complete", "partial", "interrupted", "failed"})
#: Actions that start a new run through ``resolve_field_error``.
FIELD_ACTIONS = ("reimport", "retry", "continue_without_field")


@router.get("/runs", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def runs(request: Request, workspace: WorkspaceDep) -> HTMLResponse:
    return render(request, "runs.html", tab="runs", title="Runs", runs=workspace.list_runs())


@router.get(
    "/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False, response_model=None
)
def run_page(
    request: Request, run_id: str, workspace: WorkspaceDep, follow: int = 0
) -> HTMLResponse:
    """``follow`` (set right after a start) moves on to My Data once the run is complete."""
    # Everything shown comes from the engine's run history, so a reload loses nothing.
    run = workspace.get_run(run_id)
    events = workspace.run_events(run_id)
    latest = {getattr(e, "dataset", ""): e for e in events}
    return render(
        request,
        "run.html",
        tab="runs",
        title="Import progress",
        run=run,
        latest=latest,
        last_seq=events[-1].seq if events else 0,
        final=run.status in FINAL_STATUSES,
        follow=bool(follow),
        log=workspace.run_log(run_id),
    )


@router.get("/runs/{run_id}/log.txt", include_in_schema=False, response_model=None)
def run_log_file(run_id: str, workspace: WorkspaceDep) -> PlainTextResponse:
    """The run's log as a text file to download."""
    text = workspace.run_log(run_id)
    disposition = f'attachment; filename="sfimport-run-{seg(run_id)}.log"'
    return PlainTextResponse(text, headers={"Content-Disposition": disposition})


@forms.post("/runs/{run_id}/resolve", include_in_schema=False)
def resolve(
    run_id: str, workspace: WorkspaceDep, action: Annotated[str, Form()] = ""
) -> RedirectResponse:
    if action == "resume":
        resume_in_background(workspace, run_id)
        return see_other(f"/runs/{seg(run_id)}?follow=1")
    if action not in FIELD_ACTIONS:
        choices = (*FIELD_ACTIONS, "resume")
        raise UsageError(
            f"Unknown action '{action}'; choose one of: "
            + ", ".join(ACTION_LABELS[a] for a in choices)
            + "."
        )
    new_run = workspace.resolve_field_error(run_id, action)
    return see_other(f"/runs/{seg(new_run)}?follow=1")


def resume_in_background(workspace: WorkspacePort, run_id: str) -> None:
    """Resume a stopped run in the engine's background (``Workspace.start_resume``): it returns
    once the run is recorded as running, so the run page that follows polls it. An error before
    the start (nothing to resume) is raised here, so the person sees it as a page."""
    if workspace.get_run(run_id).status == "running":
        return
    workspace.start_resume(run_id)
