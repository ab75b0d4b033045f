"""What changed and history mode: the change log of each refresh, a data set's options, and
its rows as they were on a date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sfimport.app.core import Core
from sfimport.app.values import DatasetInfo, PreviewResult, _preview
from sfimport.errors import UsageError
from sfimport.store.changes import ChangeKind, ColumnChange, RecordChange, RunChanges
from sfimport.store.history import HISTORY_SUFFIX, DatasetOptions

__all__ = [
    "ChangeKind",
    "ColumnChange",
    "DatasetHistory",
    "DatasetOptions",
    "HistoryPort",
    "HistoryService",
    "RecordChange",
    "RunChanges",
    "changes_json",
]

#: What "refresh formulas" may be set to (see :mod:`sfimport.extract.formulas`).
FORMULA_SCHEDULES = ("default", "always", "daily", "never")


@dataclass(frozen=True)
class DatasetHistory:
    """A data set's history settings as the page and the CLI show them."""

    qualified: str
    options: DatasetOptions
    #: The table of every version when history mode is on, for SQL and pipes.
    history_table: str | None
    retention_days: int | None


class HistoryPort(Protocol):
    """What the web app and the CLI call for the change log and history mode."""

    def get_dataset(self, name: str) -> DatasetInfo: ...
    def changes(
        self, name: str, since: datetime | None = ..., limit: int = ...
    ) -> list[RunChanges]: ...
    def dataset_history(self, name: str) -> DatasetHistory: ...
    def set_history_mode(self, name: str, on: bool) -> DatasetHistory: ...
    def set_formula_schedule(self, name: str, every: str) -> DatasetHistory: ...
    def as_of(self, name: str, at: datetime, limit: int = ...) -> PreviewResult: ...


class HistoryService(Core):
    """What changed and history mode, per data set."""

    def changes(
        self, name: str, since: datetime | None = None, limit: int = 100_000
    ) -> list[RunChanges]:
        """What each refresh changed in data set ``name`` (newest first), since ``since``."""
        found = self._dataset(name)
        return self._mydata.changes(found.folder, found.name, _aware(since), limit)

    def dataset_history(self, name: str) -> DatasetHistory:
        found = self._dataset(name)
        options = self._mydata.options(found.folder, found.name)
        table = f'"{found.folder}"."{found.name}{HISTORY_SUFFIX}"' if options.history else None
        return DatasetHistory(
            qualified=f"{found.folder}.{found.name}",
            options=options,
            history_table=table,
            retention_days=self.settings.change_retention_days or None,
        )

    def set_history_mode(self, name: str, on: bool) -> DatasetHistory:
        """Turn history mode on (every current row becomes its first version) or off (the
        versions kept so far are dropped)."""
        found = self._dataset(name)
        options = self._mydata.options(found.folder, found.name)
        self._mydata.set_options(found.folder, found.name, replace(options, history=on))
        return self.dataset_history(name)

    def set_formula_schedule(self, name: str, every: str) -> DatasetHistory:
        """How often a refresh re-reads the data set's formula columns."""
        if every not in FORMULA_SCHEDULES:
            raise UsageError(
                f"Unknown formula schedule {every!r}: use one of {', '.join(FORMULA_SCHEDULES)}."
            )
        found = self._dataset(name)
        options = self._mydata.options(found.folder, found.name)
        chosen = None if every == "default" else every
        self._mydata.set_options(found.folder, found.name, replace(options, formulas_every=chosen))
        return self.dataset_history(name)

    def as_of(self, name: str, at: datetime, limit: int = 1000) -> PreviewResult:
        """The rows of data set ``name`` as they were at ``at`` (history mode must be on)."""
        found = self._dataset(name)
        moment = _aware(at)
        assert moment is not None
        table = self._mydata.as_of(found.folder, found.name, moment, limit + 1)
        return _preview(table.slice(0, limit), truncated=table.num_rows > limit)


def changes_json(runs: list[RunChanges]) -> list[dict[str, Any]]:
    """The change log as JSON (the CLI's ``--json`` and the API answer the same)."""
    return [
        {
            "run_id": run.run_id,
            "changed_at": run.changed_at.isoformat(),
            "added": list(run.ids(ChangeKind.ADDED)),
            "removed": list(run.ids(ChangeKind.REMOVED)),
            "columns_added": [
                c.column
                for r in run.records
                if r.kind is ChangeKind.COLUMN_ADDED
                for c in r.columns
            ],
            "updated": [
                {
                    "id": record.record_id,
                    "columns": [
                        {"name": c.column, "old": c.old, "new": c.new} for c in record.columns
                    ],
                }
                for record in run.records
                if record.kind is ChangeKind.UPDATED
            ],
        }
        for run in runs
    ]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
