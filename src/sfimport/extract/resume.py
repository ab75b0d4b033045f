"""Where an unfinished data set stands: its pages staged so far, one Parquet file per result
page, and the checkpoint in run history that says which pages are done and where Salesforce
continues (a Bulk job and locator, or a REST ``nextRecordsUrl``).

A page becomes part of the checkpoint only once its file is closed, and a page written but not
yet recorded is deleted on resume, so a crash at any point resumes without losing or doubling a
row. The planned data set itself is saved with the checkpoint: a resumed run reads exactly what
the interrupted one was reading, with the same frozen cursor bounds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from sfimport.extract.plan import PlannedDataset, ReportColumn
from sfimport.extract.schema import FieldSpec
from sfimport.store.runs import ErrorInfo
from sfimport.store.staging import StagedData, StagingWriter

_PAGE_PREFIX = "page-"


@dataclass
class Checkpoint:
    """The resumable state of one data set of a run (saved as JSON after every page)."""

    plan: dict[str, Any]
    #: The cursor's frozen upper bound (the run's start), ISO text; None for whole reads.
    upper: str | None = None
    pages: int = 0
    rows: int = 0
    #: Where Salesforce continues after the last recorded page; None before the first page.
    position: dict[str, Any] | None = None
    #: Every page has been read; only publishing is left.
    read_done: bool = False
    #: Ids Salesforce reported deleted (queryAll rows with IsDeleted) when the data set does
    #: not import IsDeleted itself.
    deleted_ids: list[str] = field(default_factory=list)
    #: Set by a report read once finished: (incomplete reason, count mismatch).
    report_outcome: list[Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Checkpoint | None:
        if not data or "plan" not in data:
            return None
        return cls(
            plan=dict(data["plan"]),
            upper=data.get("upper"),
            pages=int(data.get("pages") or 0),
            rows=int(data.get("rows") or 0),
            position=data.get("position"),
            read_done=bool(data.get("read_done")),
            deleted_ids=list(data.get("deleted_ids") or []),
            report_outcome=data.get("report_outcome"),
        )

    @property
    def upper_bound(self) -> datetime | None:
        return datetime.fromisoformat(self.upper) if self.upper else None


def planned_to_json(planned: PlannedDataset) -> dict[str, Any]:
    """A planned data set as plain JSON values (for the checkpoint)."""
    data = asdict(planned)
    data["since"] = planned.since.isoformat() if planned.since else None
    data["error"] = None if planned.error is None else planned.error.to_json()
    return data


def planned_from_json(data: Mapping[str, Any]) -> PlannedDataset:
    """The planned data set saved by :func:`planned_to_json`."""
    values = dict(data)
    values["fields"] = tuple(values["fields"])
    values["skipped_fields"] = tuple(tuple(pair) for pair in values["skipped_fields"])
    values["concealed"] = tuple(values["concealed"])
    values["field_specs"] = tuple(
        FieldSpec(**{**spec, "reference_to": tuple(spec.get("reference_to") or ())})
        for spec in values.get("field_specs") or ()
    )
    values["report_columns"] = tuple(
        ReportColumn(**column) for column in values.get("report_columns") or ()
    )
    values["since"] = datetime.fromisoformat(values["since"]) if values.get("since") else None
    values["backfill"] = tuple(values.get("backfill") or ())
    values["formulas"] = tuple(values.get("formulas") or ())
    values["error"] = ErrorInfo.from_json(values.get("error"))
    return PlannedDataset(**values)


class PageStaging:
    """The staged pages of one data set: a Parquet file per page under the data set's staging
    directory, recorded in the checkpoint as each page completes."""

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        checkpoint: Checkpoint,
        save: Callable[[Checkpoint], None],
    ) -> None:
        self.directory = directory
        self.schema = schema
        self.checkpoint = checkpoint
        self._save = save
        self._writer: StagingWriter | None = None
        self._drop_unrecorded()

    # --- writing ---------------------------------------------------------------------------

    def write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            page_dir = self.directory / f"{_PAGE_PREFIX}{self.checkpoint.pages:06d}"
            shutil.rmtree(page_dir, ignore_errors=True)
            self._writer = StagingWriter(page_dir, self.schema)
        self._writer.write(batch)

    def end_page(
        self, position: dict[str, Any] | None, *, deleted_ids: tuple[str, ...] = ()
    ) -> None:
        """Close the page being written (if any) and record where Salesforce continues."""
        rows = 0
        if self._writer is not None:
            rows = self._writer.close().rows
            self._writer = None
            self.checkpoint.pages += 1
        self.checkpoint.rows += rows
        self.checkpoint.position = position
        self.checkpoint.deleted_ids.extend(deleted_ids)
        self._save(self.checkpoint)

    def finish_reading(self, report_outcome: list[Any] | None = None) -> None:
        self.end_page(self.checkpoint.position)
        self.checkpoint.read_done = True
        self.checkpoint.report_outcome = report_outcome
        self._save(self.checkpoint)

    def abandon_page(self) -> None:
        """Drop the page being written (its read failed part-way); recorded pages stay."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def reset(self) -> None:
        """Start the data set over: every staged page goes, the checkpoint returns to zero."""
        self.abandon_page()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.checkpoint = replace(
            self.checkpoint,
            pages=0,
            rows=0,
            position=None,
            read_done=False,
            deleted_ids=[],
            report_outcome=None,
        )
        self._save(self.checkpoint)

    # --- reading back ----------------------------------------------------------------------

    def staged(self) -> StagedData:
        """Everything recorded so far, as one staged data set (an empty file when no rows)."""
        files = [
            file
            for page in range(self.checkpoint.pages)
            for file in sorted(
                (self.directory / f"{_PAGE_PREFIX}{page:06d}").glob("part-*.parquet")
            )
        ]
        if not files:
            empty = StagingWriter(self.directory / f"{_PAGE_PREFIX}empty", self.schema)
            files = list(empty.close().files)
        return StagedData(self.directory, tuple(files), self.schema, self.checkpoint.rows)

    def _drop_unrecorded(self) -> None:
        """Remove pages a crash left behind after the last recorded one; restart when a
        recorded page is missing."""
        if not self.directory.exists():
            if self.checkpoint.pages:
                self.reset()
            return
        recorded = {f"{_PAGE_PREFIX}{page:06d}" for page in range(self.checkpoint.pages)}
        for child in self.directory.iterdir():
            if child.name not in recorded:
                shutil.rmtree(child, ignore_errors=True)
        for name in recorded:
            if not any((self.directory / name).glob("part-*.parquet")):
                self.reset()
                return
