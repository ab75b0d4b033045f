"""Run pages: live progress of an import or refresh, and the recovery buttons of a stopped run
(re-import fresh, retry, continue without a field, resume, re-authorise)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sfimport.errors import SfimportError, UsageError
from sfimport.web.dependencies import CsrfChecked, WorkspaceDep, render
from sfimport.web.error_pages import ACTION_LABELS
from sfimport.web.ports import WorkspacePort
from sfimport.web.routes_connections import see_other, seg

logger = logging.getLogger(__name__)

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

#: Statuses after which a run changes no more (unless a person resumes it).
FINAL_STATUSES = frozenset({"complete", "partial", "failed"})
#: Actions that start a new run through ``resolve_field_error``.
FIELD_ACTIONS = ("reimport", "retry", "continue_without_field")
#: How long a Resume press waits for the run to be picked up before showing its page.
RESUME_PICKUP_SECONDS = 5.0


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
    )


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
    """Resume a stopped run on a thread of its own and return once it is running.

    ``Workspace.resume_run`` blocks until the run ends, so it cannot run in the request; the
    wait for the pickup keeps the run page from showing the old, final state (and then never
    polling). An error before the pickup (nothing to resume, the connection still revoked) is
    raised here, so the person sees it as a page."""
    before = workspace.get_run(run_id).status
    if before == "running":
        return
    failure: list[SfimportError] = []

    def resume() -> None:
        try:
            workspace.resume_run(run_id)
        except SfimportError as error:
            failure.append(error)
            logger.warning("Run %s was not resumed: %s", run_id, error.message)

    worker = threading.Thread(target=resume, name=f"resume-{run_id}")
    worker.start()
    deadline = time.monotonic() + RESUME_PICKUP_SECONDS
    while worker.is_alive() and time.monotonic() < deadline:
        if workspace.get_run(run_id).status != before:
            return
        time.sleep(0.02)
    if failure:
        raise failure[0]
