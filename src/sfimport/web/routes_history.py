"""What changed and history mode on the web: a data set's "What changed" tab, its history
settings form, and the same in the JSON API (/api/datasets/{name}/changes, /history, /as-of)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from sfimport.app.history import FORMULA_SCHEDULES, DatasetHistory, HistoryPort, changes_json
from sfimport.app.ports import PreviewResult
from sfimport.errors import UsageError
from sfimport.web.dependencies import CsrfChecked, render
from sfimport.web.problems import documented
from sfimport.web.routes_api import ERROR_STATUSES, Json, as_object, typed
from sfimport.web.routes_connections import see_other, seg
from sfimport.web.security import require_same_origin_json

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])
api = APIRouter(
    prefix="/api",
    dependencies=[Depends(require_same_origin_json)],
    responses=documented(*ERROR_STATUSES),
)

#: Changed rows shown on the "What changed" tab (the CLI and the API can ask for more).
PAGE_CHANGES = 2000


def get_history(request: Request) -> HistoryPort:
    # The workspace serves history too (sfimport.app.history.HistoryService).
    return cast(HistoryPort, request.app.state.workspace)


HistoryDep = Annotated[HistoryPort, Depends(get_history)]


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{text!r} is not a date.", remedy="Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get(
    "/mydata/{name}/changes",
    response_class=HTMLResponse,
    include_in_schema=False,
    response_model=None,
)
def changes_page(
    request: Request, name: str, history: HistoryDep, since: str | None = None
) -> HTMLResponse:
    dataset = history.get_dataset(name)
    runs = history.changes(dataset.qualified, _since(since), PAGE_CHANGES)
    return render(
        request,
        "dataset_changes.html",
        tab="mydata",
        title=f"{dataset.qualified}: what changed",
        dataset=dataset,
        runs=runs,
        since=since or "",
        settings=history.dataset_history(dataset.qualified),
        formula_schedules=FORMULA_SCHEDULES,
        limit=PAGE_CHANGES,
    )


@forms.post("/mydata/{name}/history", include_in_schema=False)
def set_history(
    name: str,
    history: HistoryDep,
    mode: Annotated[str, Form()] = "off",
    formulas: Annotated[str, Form()] = "default",
) -> RedirectResponse:
    dataset = history.get_dataset(name)
    history.set_history_mode(dataset.qualified, mode == "on")
    history.set_formula_schedule(dataset.qualified, formulas)
    return see_other(f"/mydata/{seg(dataset.qualified)}/changes")


class HistoryBody(BaseModel):
    history: bool | None = Field(
        default=None, description="Keep every version of every row (true), or stop (false)."
    )
    formulas: str | None = Field(
        default=None, description="Re-read formula columns: always, daily, never or default."
    )


class ColumnChangeAnswer(BaseModel):
    """One column of an updated row: its value before and after, as text (null is null)."""

    name: str
    old: str | None
    new: str | None


class UpdatedRowAnswer(BaseModel):
    """One updated row and the columns that changed."""

    id: str
    columns: list[ColumnChangeAnswer]


class RunChangesAnswer(BaseModel):
    """What one refresh changed in the data set."""

    run_id: str | None
    changed_at: str = Field(description="When the refresh started (ISO 8601).")
    added: list[str]
    removed: list[str]
    columns_added: list[str]
    updated: list[UpdatedRowAnswer]


class ChangesAnswer(BaseModel):
    """The change log, newest refresh first."""

    dataset: str
    changes: list[RunChangesAnswer]


@api.get(
    "/datasets/{name}/changes",
    tags=["datasets"],
    summary="What each refresh changed: Ids added, updated, removed, old and new values",
    response_model=ChangesAnswer,
)
def changes_api(
    name: str,
    history: HistoryDep,
    since: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 10_000,
) -> Json:
    dataset = history.get_dataset(name)
    runs = history.changes(dataset.qualified, _since(since), limit)
    return {"dataset": dataset.qualified, "changes": changes_json(runs)}


@api.get(
    "/datasets/{name}/history",
    tags=["datasets"],
    summary="History mode and formulas",
    **typed(DatasetHistory),
)
def history_api(name: str, history: HistoryDep) -> Json:
    return as_object(history.dataset_history(name))


@api.put(
    "/datasets/{name}/history",
    tags=["datasets"],
    summary="Set history mode, formulas",
    **typed(DatasetHistory),
)
def set_history_api(name: str, body: HistoryBody, history: HistoryDep) -> Json:
    if body.history is not None:
        history.set_history_mode(name, body.history)
    if body.formulas is not None:
        history.set_formula_schedule(name, body.formulas)
    return as_object(history.dataset_history(name))


@api.get(
    "/datasets/{name}/as-of",
    tags=["datasets"],
    summary="Rows as they were at a date",
    **typed(PreviewResult),
)
def as_of_api(
    name: str,
    history: HistoryDep,
    at: str,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Json:
    moment = _since(at)
    if moment is None:
        raise UsageError("Give ?at= a date.", remedy="Write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
    return as_object(history.as_of(name, moment, limit))
