"""What the web app and the CLI ask of the application services, and the values they get back.

The web app and the CLI import from :mod:`sfimport.app` only (an import contract): the engine's
values they name are re-exported here. The services are Protocols, one per thing a
person does (connections, catalog, imports, runs, schedules, My Data; pipes, history, jobs);
``WorkspacePort`` is what the web pages use, ``CommandsPort`` all the CLI uses. mypy checks the
real :class:`~sfimport.app.workspace.Workspace` against them (the web app and the CLI are typed
on them), and the one in-memory fake of the page and command tests against ``WorkspacePort``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, overload

from sfimport.app.history import HistoryPort
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
    "CatalogPort",
    "CatalogReport",
    "Column",
    "CommandsPort",
    "Connected",
    "Connection",
    "ConnectionStatus",
    "ConnectionsPort",
    "DatasetInfo",
    "DeletionResult",
    "ErrorInfo",
    "FailedAttempt",
    "FieldSpec",
    "HistoryPort",
    "ImportPlan",
    "ImportSpec",
    "ImportsPort",
    "JobsPort",
    "Lineage",
    "MyDataPort",
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
    "RunsPort",
    "ScheduleInfo",
    "SchedulesPort",
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


# --- the services, split by what a person does -------------------------------------------
# Each port returns the engine's own frozen values, so the fake the page and command tests use
# (tests/fakes/services.py) is checked by mypy against the same shapes the real services return.


class ConnectionsPort(Protocol):
    """Connect to Salesforce, re-authorise, test and delete connections."""

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
    ) -> PendingAuthorization: ...
    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = ...,
        error_description: str | None = ...,
    ) -> Connected: ...
    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = ...,
        login_url: str | None = ...,
        reauthorize: bool = ...,
    ) -> Connected: ...
    def list_connections(self) -> Sequence[Connection]: ...
    def get_connection(self, name: str) -> Connection: ...
    def check_permissions(self, name: str) -> PermissionReport: ...
    def test_connection(self, name: str) -> Connection: ...
    def delete_connection(self, name: str) -> DeletionResult: ...


class CatalogPort(Protocol):
    """Browse what an org offers: objects, reports, fields, counts, what is concealed."""

    def list_objects(self, connection: str, search: str | None = ...) -> Sequence[ObjectEntry]: ...
    def list_reports(
        self, connection: str, search: str | None = ...
    ) -> Sequence[CatalogReport]: ...
    def list_fields(self, connection: str, sobject: str) -> Sequence[FieldSpec]: ...
    def record_counts(self, connection: str) -> dict[str, int]: ...
    def default_concealed_columns(self, connection: str, dataset: str) -> Sequence[str]: ...
    def default_concealment_reasons(self, connection: str, dataset: str) -> dict[str, str]: ...
    def conceal_sample(
        self, connection: str, dataset: str, columns: list[str] | None = ..., rows: int = ...
    ) -> Sequence[dict[str, tuple[str | None, str | None]]]: ...


class ImportsPort(Protocol):
    """Plan an import, run it (in this thread or in the background), refresh data sets."""

    def build_plan(self, spec: ImportSpec) -> ImportPlan: ...
    def start_import(self, plan: ImportPlan) -> str: ...
    def run_import(
        self, plan: ImportPlan, on_event: Callable[[ProgressEvent], None] | None = ...
    ) -> RunResult: ...
    def start_refresh(self, datasets: list[str]) -> str: ...
    def refresh(
        self,
        datasets: list[str] | None = ...,
        *,
        all: bool = ...,
        on_event: Callable[[ProgressEvent], None] | None = ...,
    ) -> RunResult: ...
    def wait(self, run_id: str, timeout: float | None = ...) -> RunInfo: ...


class RunsPort(Protocol):
    """Follow runs, resume the stopped ones, answer a failed field."""

    def get_run(self, run_id: str) -> RunInfo: ...
    def list_runs(self, dataset: str | None = ..., limit: int = ...) -> Sequence[RunInfo]: ...
    def run_events(self, run_id: str, after: int = ...) -> Sequence[ProgressEvent]: ...
    def run_log(self, run_id: str) -> str: ...
    def resume_waiting_runs(self, *, queue: bool = ...) -> Sequence[str]: ...
    def start_resume(self, run_id: str) -> str: ...
    def resume_run(self, run_id: str) -> RunResult: ...
    def work_queue(self, *, until_empty: bool = ...) -> list[str]: ...
    def resolve_field_error(self, run_id: str, action: str) -> str: ...


class SchedulesPort(Protocol):
    """Refresh on a schedule: set, remove, list, fire the due ones."""

    def set_schedule(self, dataset: str, every: str) -> ScheduleInfo: ...
    def set_connection_schedule(self, connection: str, every: str) -> ScheduleInfo: ...
    def remove_schedule(self, dataset_or_connection: str) -> None: ...
    def list_schedules(self) -> Sequence[ScheduleInfo]: ...
    def run_due_schedules(self, *, queue: bool = ...) -> Sequence[str]: ...
    def run_due(self) -> Sequence[RunInfo]: ...


class MyDataPort(Protocol):
    """Read what was imported: folders, data sets, previews, exports, queries."""

    def list_folders(self) -> Sequence[str]: ...
    def list_datasets(self, folder: str | None = ...) -> Sequence[DatasetInfo]: ...
    def get_dataset(self, name: str) -> DatasetInfo: ...
    def preview(self, name: str, limit: int = ...) -> PreviewResult: ...
    @overload
    def export(self, name: str, fmt: str, path: Path) -> Path: ...
    @overload
    def export(self, name: str, fmt: str, path: BinaryIO) -> BinaryIO: ...
    def query(
        self, sql: str, limit: int = ..., *, cancel: QueryCancel | None = ...
    ) -> PreviewResult: ...


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


class WorkspacePort(
    ConnectionsPort, CatalogPort, ImportsPort, RunsPort, SchedulesPort, MyDataPort, Protocol
):
    """Everything the web app and the CLI ask of one data folder's services."""

    #: What opening the data folder upgraded (one line each), for the CLI and the logs.
    schema_notes: list[str]

    def interrupt(self) -> None: ...
    def close(self, timeout: float = ...) -> None: ...


class JobsPort(Protocol):
    """Queue work for `sfimport worker`, and stop this process's runs for a shutdown."""

    def queue_import(self, plan: ImportPlan) -> str: ...
    def queue_refresh(self, datasets: list[str] | None = ..., *, all: bool = ...) -> list[str]: ...
    def queue_resume(self, run_id: str) -> str: ...
    def interrupt_for_shutdown(self) -> None: ...


class CommandsPort(WorkspacePort, JobsPort, PipesPort, HistoryPort, Protocol):
    """Everything the CLI's commands ask of one data folder's services."""
