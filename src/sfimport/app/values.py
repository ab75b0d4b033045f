"""The values the services return to the web app and the CLI (frozen, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sfimport.errors import (
    NotFound,
    RunStopped,
)
from sfimport.extract.catalog import (
    is_supported_object,
)
from sfimport.salesforce.client import SalesforceClient
from sfimport.store.runs import FailedAttempt, RunInfo

ClientFactory = Callable[[str], SalesforceClient]


def is_unsupported_object(name: str) -> bool:
    return not is_supported_object(name)


@dataclass(frozen=True)
class ObjectEntry:
    name: str
    label: str
    custom: bool
    #: Unknown until the object is described.
    field_count: int | None = None


@dataclass(frozen=True)
class RunResult:
    """What a blocking run returns: the finished run and where its data sets landed."""

    run: RunInfo

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def status(self) -> str:
        return str(self.run.status)


@dataclass(frozen=True)
class Column:
    """One column of a data set, a preview or a query: the one shape every output uses
    (``{"name", "type"}`` in JSON, from the CLI and the API alike)."""

    name: str
    type: str

    def __iter__(self) -> Iterator[str]:
        # ``for name, type in columns`` (templates, scripts) keeps working.
        yield self.name
        yield self.type


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    folder: str
    name: str
    qualified: str
    kind: str
    source: str
    connection: str
    row_count: int
    concealed: tuple[str, ...]
    last_import_at: datetime
    status: str
    schedule: str | None
    start_date: date | None
    incomplete_reason: str | None
    columns: tuple[Column, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    cursor_field: str | None = None
    #: The latest attempt that did not complete it, when newer than the last success.
    last_failure: FailedAttempt | None = None
    #: (column, note) where sfimport chose what describe did not say (a fallback scale).
    column_notes: tuple[tuple[str, str], ...] = ()
    #: History mode keeps every version of every row (see ``sfimport history``).
    history_mode: bool = False
    #: How often formula columns are re-read ("always", "daily", "never"; None: the default).
    formulas_every: str | None = None
    #: When a refresh last re-read the formula columns (None: never since the import).
    formulas_refreshed_at: datetime | None = None


@dataclass(frozen=True)
class PreviewResult:
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def _stopping() -> RunStopped:
    return RunStopped("sfimport is shutting down, so the run stopped after its last saved page.")


def _no_report(ref: str) -> NotFound:
    return NotFound(
        f"Salesforce has no report {ref!r} that this user can run.",
        remedy="Check the report's name or id in the catalog, and that the user can see its "
        "folder in Salesforce.",
    )


def _preview(table: Any, *, truncated: bool) -> PreviewResult:
    columns = tuple(Column(field.name, str(field.type)) for field in table.schema)
    rows = [tuple(row.values()) for row in table.to_pylist()]
    return PreviewResult(columns=columns, rows=rows, truncated=truncated)
