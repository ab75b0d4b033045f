"""What the web app and the CLI ask of the application services, and the values they get back.

The web app and the CLI import from :mod:`sfimport.app` only (an import contract): the engine's
values they name are re-exported here. The web side is written as Protocols so that mypy checks
the real :class:`~sfimport.app.workspace.Workspace` against what the pages use, and so that page
tests can run on a small in-memory stand-in. Only the attributes the handlers read in Python are
listed; templates read the rest of each engine value by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, overload

from sfimport.app.pipe_values import (
    Lineage,
    PipeColumn,
    PipeDetail,
    PipeError,
    PipeInfo,
    PipePreview,
    PipeRun,
    PipeRunStatus,
    PipeVersion,
)
from sfimport.app.values import Column, DatasetInfo, ObjectEntry, PreviewResult, RunResult
from sfimport.extract.catalog import CatalogReport
from sfimport.extract.conceal import concealment_reason, unknown_conceal_target
from sfimport.extract.connections import Connected, DeletionResult, PendingAuthorization
from sfimport.extract.events import ProgressEvent
from sfimport.extract.permissions import PermissionItem, PermissionReport
from sfimport.extract.plan import ImportPlan, PlannedDataset
from sfimport.extract.schedule import connection_key, connection_of
from sfimport.extract.schema import FieldSpec
from sfimport.extract.spec import ImportSpec, ObjectChoice, parse_start_date
from sfimport.pipes.definition import STEP_KINDS, with_step
from sfimport.settings import Settings
from sfimport.store.metadata import Connection, ConnectionStatus
from sfimport.store.mydata import QueryCancel as QueryCancel  # re-exported for the web app
from sfimport.store.runs import ErrorInfo, FailedAttempt, RunDatasetInfo, RunInfo, ScheduleInfo

__all__ = [
    "STEP_KINDS",
    "CatalogReport",
    "Column",
    "Connected",
    "Connection",
    "ConnectionStatus",
    "DatasetInfo",
    "DeletionResult",
    "ErrorInfo",
    "FailedAttempt",
    "FieldSpec",
    "ImportPlan",
    "ImportSpec",
    "Lineage",
    "ObjectChoice",
    "ObjectEntry",
    "PendingAuthorization",
    "PermissionItem",
    "PermissionReport",
    "PipeColumn",
    "PipeDetail",
    "PipeError",
    "PipeInfo",
    "PipePreview",
    "PipeRun",
    "PipeRunStatus",
    "PipeVersion",
    "PipesPort",
    "PlannedDataset",
    "PreviewResult",
    "ProgressEvent",
    "RunDatasetInfo",
    "RunInfo",
    "RunResult",
    "ScheduleInfo",
    "WorkspacePort",
    "concealment_reason",
    "connection_key",
    "connection_of",
    "parse_start_date",
    "unknown_conceal_target",
    "with_step",
]


class PendingAuthorizationView(Protocol):
    @property
    def authorize_url(self) -> str: ...
    @property
    def state(self) -> str: ...


class ConnectionView(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def login_url(self) -> str: ...
    @property
    def is_sandbox(self) -> bool: ...


class AuthorizedView(Protocol):
    """A connection just authorised: a new one, or an existing one re-authorised."""

    @property
    def name(self) -> str: ...
    @property
    def reauthorized(self) -> bool: ...


class PermissionReportView(Protocol):
    @property
    def items(self) -> Sequence[Any]: ...
    @property
    def missing(self) -> Sequence[Any]: ...


class DeleteResultView(Protocol):
    @property
    def revoked(self) -> bool: ...
    @property
    def message(self) -> str: ...


class ObjectView(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...


class ReportView(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class FieldView(Protocol):
    @property
    def name(self) -> str: ...


class PlannedDatasetView(Protocol):
    @property
    def name(self) -> str: ...


class PlanView(Protocol):
    @property
    def spec(self) -> ImportSpec: ...
    @property
    def datasets(self) -> Sequence[PlannedDatasetView]: ...


class EventView(Protocol):
    @property
    def seq(self) -> int: ...


class RunDatasetView(Protocol):
    @property
    def name(self) -> str: ...


class RunView(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def folder(self) -> str: ...
    @property
    def connection(self) -> str: ...
    @property
    def datasets(self) -> Sequence[RunDatasetView]: ...


class DatasetView(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def folder(self) -> str: ...
    @property
    def qualified(self) -> str: ...
    @property
    def connection(self) -> str: ...
    @property
    def column_notes(self) -> Sequence[tuple[str, str]]: ...


class PreviewView(Protocol):
    @property
    def columns(self) -> Sequence[Column]: ...
    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...


class ScheduleView(Protocol):
    @property
    def dataset(self) -> str: ...  # "Folder.Name", or "connection:<name>" for a whole connection
    @property
    def every(self) -> str: ...
    @property
    def next_run_at(self) -> datetime: ...


class WorkspacePort(Protocol):
    """What the web app asks of the engine; names and parameters follow the engine contract."""

    @property
    def settings(self) -> Settings: ...

    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = ...,
        login_url: str | None = ...,
        redirect_uri: str | None = ...,
        reauthorize: bool = ...,
    ) -> PendingAuthorizationView: ...
    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = ...,
        error_description: str | None = ...,
    ) -> AuthorizedView: ...
    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = ...,
        login_url: str | None = ...,
        reauthorize: bool = ...,
    ) -> AuthorizedView: ...
    def list_connections(self) -> Sequence[ConnectionView]: ...
    def get_connection(self, name: str) -> ConnectionView: ...
    def check_permissions(self, name: str) -> PermissionReportView: ...
    def test_connection(self, name: str) -> ConnectionView: ...
    def delete_connection(self, name: str) -> DeleteResultView: ...

    def list_objects(self, connection: str, search: str | None = ...) -> Sequence[ObjectView]: ...
    def list_reports(self, connection: str, search: str | None = ...) -> Sequence[ReportView]: ...
    def list_fields(self, connection: str, sobject: str) -> Sequence[FieldView]: ...
    def record_counts(self, connection: str) -> dict[str, int]: ...
    def default_concealed_columns(self, connection: str, dataset: str) -> Sequence[str]: ...
    def default_concealment_reasons(self, connection: str, dataset: str) -> dict[str, str]: ...
    def conceal_sample(
        self, connection: str, dataset: str, columns: list[str] | None = ..., rows: int = ...
    ) -> Sequence[Any]: ...

    def build_plan(self, spec: ImportSpec) -> PlanView: ...
    def start_import(self, plan: Any) -> str: ...
    def start_refresh(self, datasets: list[str]) -> str: ...
    def get_run(self, run_id: str) -> RunView: ...
    def list_runs(self, dataset: str | None = ..., limit: int = ...) -> Sequence[RunView]: ...
    def run_events(self, run_id: str, after: int = ...) -> Sequence[EventView]: ...
    def resume_waiting_runs(self) -> Sequence[str]: ...
    def start_resume(self, run_id: str) -> str: ...
    def set_schedule(self, dataset: str, every: str) -> ScheduleView: ...
    def set_connection_schedule(self, connection: str, every: str) -> ScheduleView: ...
    def remove_schedule(self, dataset_or_connection: str) -> None: ...
    def list_schedules(self) -> Sequence[ScheduleView]: ...
    def run_due_schedules(self) -> Sequence[str]: ...
    def work_queue(self, *, until_empty: bool = ...) -> Sequence[str]: ...
    def resolve_field_error(self, run_id: str, action: str) -> str: ...

    def list_folders(self) -> Sequence[str]: ...
    def list_datasets(self, folder: str | None = ...) -> Sequence[DatasetView]: ...
    def get_dataset(self, name: str) -> DatasetView: ...
    def preview(self, name: str, limit: int = ...) -> PreviewView: ...
    @overload
    def export(self, name: str, fmt: str, path: Path) -> Path: ...
    @overload
    def export(self, name: str, fmt: str, path: BinaryIO) -> BinaryIO: ...
    def query(
        self, sql: str, limit: int = ..., *, cancel: QueryCancel | None = ...
    ) -> PreviewView: ...


class PipesPort(Protocol):
    """What the web app, the API and the CLI ask of pipes (see :mod:`sfimport.app.pipes`)."""

    def preview_pipe(self, text: str, limit: int = ...) -> PipePreview: ...
    def create_pipe(self, text: str) -> PipeRun: ...
    def edit_pipe(self, name: str, text: str) -> PipeRun: ...
    def delete_pipe(self, name: str) -> None: ...
    def list_pipes(self) -> Sequence[PipeInfo]: ...
    def get_pipe(self, name: str) -> PipeDetail: ...
    def pipe_runs(self, name: str | None = ..., limit: int = ...) -> Sequence[PipeRun]: ...
    def lineage(self, dataset: str) -> Lineage: ...
    def run_pipe(self, name: str, *, trigger: str = ...) -> PipeRun: ...
    def run_due_pipes(self) -> Sequence[PipeRun]: ...
    def enable_sample_pipes(self) -> Sequence[str]: ...
