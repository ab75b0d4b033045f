"""Where an unfinished data set stands: its pages staged so far, in the run's staging table in
My Data, and the checkpoint that says which pages are done and where Salesforce continues (a
Bulk job and locator, or a REST ``nextRecordsUrl``).

A page's rows and the checkpoint after them commit in one My Data transaction, and the
checkpoint is then saved in run history; on resume the newer of the two wins, so a crash at any
point resumes without losing or doubling a row. The planned data set itself is saved with the
checkpoint: a resumed run reads exactly what the interrupted one was reading, with the same
frozen cursor bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from sfimport.extract.plan import PlannedDataset, ReportColumn
from sfimport.extract.schema import FieldSpec
from sfimport.store.mydata import MyData
from sfimport.store.runs import ErrorInfo
from sfimport.store.staging import StagedData


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
    """The staged pages of one data set: each page's rows are appended to the run's staging
    table in My Data together with the checkpoint that follows them, in one transaction, as the
    page completes (then the checkpoint is saved in run history too)."""

    def __init__(
        self,
        mydata: MyData,
        run_id: str,
        folder: str,
        name: str,
        schema: pa.Schema,
        checkpoint: Checkpoint,
        save: Callable[[Checkpoint], None],
    ) -> None:
        self._mydata = mydata
        self._where = (run_id, folder, name)
        self.schema = schema
        self.checkpoint = checkpoint
        self._save = save
        #: The batches of the page being read; None before its first batch.
        self._page: list[pa.RecordBatch] | None = None
        self._reconcile()

    # --- writing ---------------------------------------------------------------------------

    def write(self, batch: pa.RecordBatch) -> None:
        if self._page is None:
            self._page = []
        if batch.num_rows:
            self._page.append(batch)

    def end_page(
        self, position: dict[str, Any] | None, *, deleted_ids: tuple[str, ...] = ()
    ) -> None:
        """Stage the page being read (if any) and record where Salesforce continues."""
        page, self._page = self._page, None
        following = replace(
            self.checkpoint,
            position=position,
            deleted_ids=[*self.checkpoint.deleted_ids, *deleted_ids],
        )
        if page is not None:
            rows = pa.Table.from_batches(page, schema=self.schema)
            following = replace(
                following,
                pages=following.pages + 1,
                rows=following.rows + rows.num_rows,
            )
            # The rows and the checkpoint after them commit together in My Data.
            self._mydata.append_staged(*self._where, rows, following.to_json())
            del rows, page
            # The page's buffers go back to the system before the next page is parsed, so the
            # peak stays about one page per data set whatever the row count.
            pa.default_memory_pool().release_unused()
        self.checkpoint = following
        self._save(self.checkpoint)

    def finish_reading(self, report_outcome: list[Any] | None = None) -> None:
        self.end_page(self.checkpoint.position)
        self.checkpoint.read_done = True
        self.checkpoint.report_outcome = report_outcome
        self._save(self.checkpoint)

    def abandon_page(self) -> None:
        """Drop the page being read (its read failed part-way); staged pages stay."""
        self._page = None

    def reset(self) -> None:
        """Start the data set over: every staged page goes, the checkpoint returns to zero."""
        self.abandon_page()
        self._mydata.drop_staged(*self._where)
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
        """Everything staged so far, as one staged data set."""
        return self._mydata.staged_table(*self._where, self.schema, self.checkpoint.rows)

    def _reconcile(self) -> None:
        """Make the checkpoint agree with the staged pages after a kill: the staging table's
        own checkpoint wins when it is ahead (killed after the page's commit but before run
        history saved it); a staged page missing means reading again from the start."""
        stored = Checkpoint.from_json(self._mydata.staged_checkpoint(*self._where))
        staged_pages = stored.pages if stored is not None else 0
        if stored is not None and staged_pages > self.checkpoint.pages:
            self.checkpoint = replace(
                stored, plan=self.checkpoint.plan, upper=self.checkpoint.upper
            )
            self._save(self.checkpoint)
        elif staged_pages < self.checkpoint.pages:
            self.reset()
