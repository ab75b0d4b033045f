"""What handlers receive: the Workspace, the session, and page rendering, as Annotated aliases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from sfimport.app.ports import concealment_reason
from sfimport.settings import Settings
from sfimport.web.error_pages import ACTION_HINTS, ACTION_LABELS
from sfimport.web.field_counts import FieldCounts
from sfimport.web.ports import WorkspacePort
from sfimport.web.security import require_csrf, session_of
from sfimport.web.sessions import Session

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


#: What each status of a connection, run or data set means, shown as its tooltip.
STATUS_HINTS = {
    "active": "The connection works.",
    "needs_reauth": "Salesforce no longer accepts this connection: re-authorise it.",
    "queued": "Waiting on the job queue for a worker to take it.",
    "running": "The run is in progress.",
    "pending": "Waiting for its turn in this run.",
    "complete": "Every row Salesforce returned is in My Data.",
    "partial": "Some data sets of this run finished; the others stopped.",
    "incomplete": "Published, but not every row could be fetched; see the reason.",
    "failed": "Stopped; My Data still holds the previous copy.",
    "waiting_for_limit": "Paused until the org's daily API allowance resets; resumes by itself.",
    "waiting": "Paused until the org's daily API allowance resets; resumes by itself.",
    "interrupted": "Stopped part way (network, a restart or a revoked connection); it can "
    "resume where it stopped.",
    "superseded": "Not published: a newer import of this data set finished first.",
    "no_api_access": "The Salesforce user cannot use the API: enable API Enabled, then try again.",
    "missing_permissions": "The Salesforce user lacks a permission sfimport needs.",
}


#: Words for statuses whose code name reads badly.
STATUS_LABELS = {
    "needs_reauth": "needs re-authorisation",
    "no_api_access": "no API access",
    "missing_permissions": "permission missing",
    "waiting_for_limit": "waiting for API limit",
}


def _when(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC" if value.tzinfo else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _count(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _short_id(value: object) -> str:
    """A run id short enough for a table: run ids start with their start time, which the
    table shows anyway, so the random end is what tells runs apart."""
    text = str(value)
    return text[-8:] if len(text) > 8 else text


def _path_segment(value: object) -> str:
    """A name as one URL path segment (a connection called "A/B" must not add a level)."""
    return quote(str(value), safe="")


def build_templates() -> Jinja2Templates:
    # Autoescape everywhere: names, labels and record values from Salesforce are never markup.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["count"] = _count
    env.filters["seg"] = _path_segment
    env.filters["short_id"] = _short_id
    env.globals["action_labels"] = ACTION_LABELS
    env.globals["action_hints"] = ACTION_HINTS
    env.globals["status_hints"] = STATUS_HINTS
    env.globals["status_labels"] = STATUS_LABELS
    env.filters["conceal_reason"] = concealment_reason
    return Jinja2Templates(env=env)


def get_workspace(request: Request) -> WorkspacePort:
    workspace: WorkspacePort = request.app.state.workspace
    return workspace


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_field_counts(request: Request) -> FieldCounts:
    counts: FieldCounts = request.app.state.field_counts
    return counts


WorkspaceDep = Annotated[WorkspacePort, Depends(get_workspace)]
FieldCountsDep = Annotated[FieldCounts, Depends(get_field_counts)]
SessionDep = Annotated[Session, Depends(session_of)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CsrfChecked = Depends(require_csrf)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the session's CSRF token, its notices and the active tab."""
    session = session_of(request)
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("tab", "")
    context.setdefault("title", "sfimport")
    context["csrf_token"] = session.csrf_token
    context["notices"] = session.pop_notices()
    return templates.TemplateResponse(request, template, context, status_code=status_code)
