"""My Data: folders, data sets, preview, export, SQL, delete."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Literal, cast, overload

from sfimport.app.core import Core
from sfimport.app.values import Column, DatasetInfo, PreviewResult, _preview
from sfimport.errors import (
    UsageError,
)
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.history import DatasetOptions
from sfimport.store.mydata import Dataset, QueryCancel
from sfimport.store.runs import FailedAttempt

logger = redacting_logger(__name__)


class MyDataService(Core):
    """My Data: folders, data sets, preview, export, SQL, delete."""

    def list_folders(self) -> list[str]:
        return self._mydata.list_folders()

    def list_datasets(self, folder: str | None = None) -> list[DatasetInfo]:
        schedules = {s.dataset.lower(): s.every for s in self._schedules.all()}
        failures = self._ledger.last_failures()
        options = self._mydata.all_options()
        return [
            self._info(d, schedules, failures, options.get(d.id))
            for d in self._mydata.list_datasets(folder)
        ]

    def get_dataset(self, name: str) -> DatasetInfo:
        schedules = {s.dataset.lower(): s.every for s in self._schedules.all()}
        found = self._dataset(name)
        options = self._mydata.all_options().get(found.id)
        return self._info(found, schedules, self._ledger.last_failures(), options)

    def preview(self, name: str, limit: int = 100) -> PreviewResult:
        found = self._dataset(name)
        table = self._mydata.preview(found.folder, found.name, limit)
        return _preview(table, truncated=False)

    @overload
    def export(self, name: str, fmt: str, path: Path) -> Path: ...
    @overload
    def export(self, name: str, fmt: str, path: BinaryIO) -> BinaryIO: ...
    def export(self, name: str, fmt: str, path: Path | BinaryIO) -> Path | BinaryIO:
        """Write a data set to a file, or to a binary stream (the CLI's stdout)."""
        if fmt not in ("csv", "parquet"):
            raise UsageError(f"Unknown export format {fmt!r}: use csv or parquet.")
        found = self._dataset(name)
        return self._mydata.export(
            found.folder, found.name, path, cast(Literal["csv", "parquet"], fmt)
        )

    def query(
        self, sql: str, limit: int = 1000, *, cancel: QueryCancel | None = None
    ) -> PreviewResult:
        """A read-only query, interrupted after ``settings.query_timeout`` seconds."""
        result = self._mydata.query(
            sql, limit=limit, timeout=self.settings.query_timeout or None, cancel=cancel
        )
        return _preview(result.table, truncated=result.truncated)

    def delete_dataset(self, name: str) -> None:
        found = self._dataset(name)
        self._mydata.delete_dataset(found.folder, found.name)
        self._schedules.remove(f"{found.folder}.{found.name}")

    @staticmethod
    def _info(
        dataset: Dataset,
        schedules: dict[str, str],
        failures: dict[tuple[str, str], FailedAttempt],
        options: DatasetOptions | None = None,
    ) -> DatasetInfo:
        options = options or DatasetOptions()
        qualified = f"{dataset.folder}.{dataset.name}"
        failure = failures.get((dataset.folder.lower(), dataset.name.lower()))
        return DatasetInfo(
            id=dataset.id,
            folder=dataset.folder,
            name=dataset.name,
            qualified=qualified,
            kind=dataset.kind,
            source=dataset.source,
            connection=dataset.connection,
            row_count=dataset.row_count,
            concealed=dataset.concealed,
            last_import_at=dataset.last_import,
            status=dataset.status,
            schedule=schedules.get(qualified.lower()),
            start_date=dataset.start_date,
            incomplete_reason=dataset.incomplete_reason,
            columns=tuple(Column(c.name, c.type) for c in dataset.columns),
            skipped=dataset.skipped,
            cursor_field=dataset.cursor_field,
            last_failure=failure,
            column_notes=tuple((c.name, c.note) for c in dataset.columns if c.note),
            history_mode=options.history,
            formulas_every=options.formulas_every,
            formulas_refreshed_at=options.formulas_refreshed_at,
        )
