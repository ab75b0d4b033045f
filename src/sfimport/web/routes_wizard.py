"""The import wizard: Select data, Obfuscate data, Review, Import data.

Each step is a GET that renders from the session's wizard state and a POST that validates,
stores the choice on the server and 303-redirects to the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.datastructures import FormData

from sfimport.app.ports import (
    ImportSpec,
    ObjectChoice,
    parse_start_date,
    unknown_conceal_target,
)
from sfimport.errors import SfimportError, UsageError
from sfimport.web.dependencies import (
    CsrfChecked,
    FieldCountsDep,
    SessionDep,
    WorkspaceDep,
    render,
)
from sfimport.web.field_counts import FieldCounts
from sfimport.web.ports import WorkspacePort
from sfimport.web.routes_connections import see_other, seg
from sfimport.web.sessions import WizardState

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])

NEW_FOLDER = "__new__"


def wizard_spec(connection: str, state: WizardState) -> ImportSpec:
    """The import spec the wizard's choices describe (UsageError when incomplete)."""
    if not state.folder:
        raise UsageError("Choose a directory on Select data first.")
    return ImportSpec(
        connection=connection,
        folder=state.folder,
        start_date=state.start_date,
        objects=tuple(ObjectChoice(name) for name in state.objects),
        reports=tuple(state.reports),
        conceal={name: None for name in state.concealed if name in state.datasets},
    )


@router.get(
    "/import/{connection}/select",
    response_class=HTMLResponse,
    include_in_schema=False,
    response_model=None,
)
def select_data(
    request: Request,
    connection: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    field_counts: FieldCountsDep,
    q: str = "",
) -> HTMLResponse:
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    search = q.strip() or None
    return render(
        request,
        "wizard_select.html",
        tab="data",
        title="Select data",
        step="select",
        connection=info,
        q=q,
        folders=workspace.list_folders(),
        default_folder=_default_folder(state, workspace.list_folders()),
        state=state,
        error=None,
        **_catalog(workspace, field_counts, info.name, search),
    )


@forms.post("/import/{connection}/select", include_in_schema=False, response_model=None)
async def save_selection(
    request: Request,
    connection: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    field_counts: FieldCountsDep,
) -> RedirectResponse | HTMLResponse:
    form = await request.form()
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    # Items shown on this page replace their earlier choice; items a search hid keep theirs.
    shown_objects = set(_texts(form, "shown_object"))
    shown_reports = set(_texts(form, "shown_report"))
    state.objects = _merge(state.objects, shown_objects, _texts(form, "object"))
    state.reports = _merge(state.reports, shown_reports, _texts(form, "report"))
    folder_choice = str(form.get("folder") or "")
    new_folder = str(form.get("new_folder") or "").strip()
    start = str(form.get("start_date") or "").strip()
    q = str(form.get("q") or "")
    try:
        folder = new_folder if folder_choice == NEW_FOLDER or not folder_choice else folder_choice
        state.folder = folder
        state.start_date = parse_start_date(start) if start else None
        if form.get("search") is not None:
            return see_other(f"/import/{seg(info.name)}/select?" + urlencode({"q": q}))
        if not state.datasets:
            raise UsageError(
                "Nothing is selected yet.",
                remedy="Tick at least one object or report in the list (search to find one), "
                "then click Next.",
            )
        if not folder:
            raise UsageError(
                "No directory is chosen.",
                remedy="Pick an existing folder in Directory or type a new folder name.",
            )
    except SfimportError as error:
        return render(
            request,
            "wizard_select.html",
            status_code=400,
            tab="data",
            title="Select data",
            step="select",
            connection=info,
            q=q,
            folders=workspace.list_folders(),
            default_folder=_default_folder(state, workspace.list_folders()),
            state=state,
            error=error,
            **_catalog(workspace, field_counts, info.name, q.strip() or None),
        )
    state.plan = None
    return see_other(f"/import/{seg(info.name)}/obfuscate")


def _default_folder(state: WizardState, folders: Sequence[str]) -> str:
    """The directory shown: the one chosen before, else the first existing folder."""
    if state.folder:
        return state.folder
    return folders[0] if folders else ""


@forms.post("/import/{connection}/cancel", include_in_schema=False)
def cancel_wizard(
    connection: str, workspace: WorkspaceDep, session: SessionDep
) -> RedirectResponse:
    """Cancel on any step: the wizard's choices for this connection are forgotten."""
    info = workspace.get_connection(connection)
    session.wizards.pop(info.name, None)
    session.notify("Import cancelled: nothing was imported.", "info")
    return see_other("/data")


def _catalog(
    workspace: WorkspacePort, counts: FieldCounts, connection: str, search: str | None
) -> dict[str, Any]:
    """The objects with the field counts known (described when a search leaves few), and the
    reports, or why there are none: objects stay importable when the Reports API fails (a
    user without Run Reports, an org without Reports)."""
    objects = workspace.list_objects(connection, search)
    catalog: dict[str, Any] = {
        "objects": objects,
        "field_counts": counts.counts(workspace, connection, objects, describe=search is not None),
        "describe_limit": counts.limit,
        "record_counts": counts.records(workspace, connection),
    }
    try:
        catalog |= {"reports": workspace.list_reports(connection, search), "reports_error": None}
    except SfimportError as error:
        catalog |= {"reports": [], "reports_error": error}
    return catalog


def _texts(form: FormData, key: str) -> list[str]:
    return [value for value in form.getlist(key) if isinstance(value, str)]


def _merge(previous: list[str], shown: set[str], ticked: list[str]) -> list[str]:
    kept = [name for name in previous if name not in shown]
    return kept + [name for name in ticked if name not in kept]


@router.get(
    "/import/{connection}/obfuscate",
    response_class=HTMLResponse,
    include_in_schema=False,
    response_model=None,
)
def obfuscate_data(
    request: Request, connection: str, workspace: WorkspaceDep, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    if not state.datasets:
        return see_other(f"/import/{seg(info.name)}/select")
    previews = []
    for name in state.datasets:
        reasons = workspace.default_concealment_reasons(info.name, name)
        columns = list(reasons)
        sample: Sequence[Any] = []
        sample_error: SfimportError | None = None
        if columns:
            try:
                sample = workspace.conceal_sample(info.name, name, columns)
            except SfimportError as error:
                # The sample is an illustration: without it the page still says which
                # columns will be concealed, and the person can still choose.
                sample_error = error
        previews.append(
            {
                "name": name,
                "columns": columns,
                "reasons": reasons,
                "sample": _sample_rows(sample),
                "sample_error": sample_error,
            }
        )
    return render(
        request,
        "wizard_obfuscate.html",
        tab="data",
        title="Obfuscate data",
        step="obfuscate",
        connection=info,
        state=state,
        previews=previews,
    )


def _sample_rows(sample: Any) -> list[dict[str, tuple[str, str]]]:
    """Sample rows as column -> (a made-up value, how it is stored once concealed)."""
    rows: list[dict[str, tuple[str, str]]] = []
    for row in sample:
        shown: dict[str, tuple[str, str]] = {}
        for column, value in dict(row).items():
            example, concealed = value if isinstance(value, tuple) else (None, value)
            shown[str(column)] = (
                "" if example is None else str(example),
                "" if concealed is None else str(concealed),
            )
        rows.append(shown)
    return rows


@forms.post("/import/{connection}/obfuscate", include_in_schema=False)
def save_obfuscation(
    connection: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    conceal: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    chosen = conceal or []
    for name in chosen:
        if name not in state.datasets:
            # A tampered or stale form must not import a data set unconcealed silently.
            raise unknown_conceal_target(name, state.datasets, "data set in this import")
    state.concealed = list(chosen)
    state.plan = None
    return see_other(f"/import/{seg(info.name)}/review")


@router.get(
    "/import/{connection}/review",
    response_class=HTMLResponse,
    include_in_schema=False,
    response_model=None,
)
def review(
    request: Request, connection: str, workspace: WorkspaceDep, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    if not state.datasets or not state.folder:
        return see_other(f"/import/{seg(info.name)}/select")
    plan = workspace.build_plan(wizard_spec(info.name, state))
    state.plan = plan
    return render(
        request,
        "wizard_review.html",
        tab="data",
        title="Review",
        step="review",
        connection=info,
        state=state,
        plan=plan,
    )


@router.get("/import/{connection}/spec.toml", include_in_schema=False)
def download_spec(connection: str, session: SessionDep) -> PlainTextResponse:
    """The wizard's choices as a spec file for ``sfimport import --spec``."""
    spec = wizard_spec(connection, session.wizard(connection))
    return PlainTextResponse(
        spec.to_toml(),
        media_type="application/toml",
        headers={"Content-Disposition": 'attachment; filename="import.toml"'},
    )


@forms.post("/import/{connection}/start", include_in_schema=False)
def start_import(connection: str, workspace: WorkspaceDep, session: SessionDep) -> RedirectResponse:
    info = workspace.get_connection(connection)
    state = session.wizard(info.name)
    plan = state.plan or workspace.build_plan(wizard_spec(info.name, state))
    run_id = workspace.start_import(plan)
    session.wizards.pop(info.name, None)
    return see_other(f"/runs/{seg(run_id)}?follow=1")
