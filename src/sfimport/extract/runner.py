"""The run: every data set of a plan downloaded concurrently (bounded), concealed in memory,
staged to Parquet and published into My Data one data set at a time, atomically.

Per data set: page bytes -> Arrow batches (explicit schema) -> conceal -> staged Parquet ->
publish. Nothing holds more than a page per data set, so memory stays flat as row counts grow,
and nothing half-done is visible: a killed run leaves My Data as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from sfimport.errors import DailyLimitExceeded, SfimportError
from sfimport.extract.conceal import Concealer, concealment_shapes
from sfimport.extract.cursor import start_of, watermark
from sfimport.extract.events import EventLog
from sfimport.extract.objects import Tally, object_batches
from sfimport.extract.plan import ImportPlan, PlannedDataset
from sfimport.extract.reports import ReportReader
from sfimport.extract.runs import ErrorInfo, RunInfo, RunLedger
from sfimport.extract.schema import arrow_schema
from sfimport.salesforce.client import SalesforceClient
from sfimport.store.mydata import MyData, Publication
from sfimport.store.staging import StagedData

logger = logging.getLogger(__name__)

#: Actions offered for a data set whose field went away since the last import.
FIELD_ERROR_ACTIONS = ("reimport", "continue_without_field")


@dataclass(frozen=True)
class DatasetOutcome:
    name: str
    status: str  # "complete" | "incomplete" | "failed" | "waiting"
    error: ErrorInfo | None = None


class Runner:
    """Executes import plans against one data folder's My Data and run history."""

    def __init__(
        self,
        *,
        mydata: MyData,
        ledger: RunLedger,
        concealer: Concealer,
        client_for: Callable[[str], SalesforceClient],
        concurrency: int,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
    ) -> None:
        self._mydata = mydata
        self._ledger = ledger
        self._concealer = concealer
        self._client_for = client_for
        self._concurrency = max(1, concurrency)
        self._clock = clock
        self._sleep = sleep

    def register(self, plan: ImportPlan, run_id: str, *, kind: str = "import") -> datetime:
        """Record the run as running before any download starts; returns its start time."""
        started = self._clock()
        self._ledger.create(
            run_id,
            kind=kind,
            connection=plan.spec.connection,
            folder=plan.spec.folder,
            spec_toml=plan.spec.to_toml(),
            datasets=[(d.name, d.kind, d.source, d.method, d.expected_rows) for d in plan.datasets],
            started_at=started,
        )
        return started

    def execute(
        self, plan: ImportPlan, run_id: str, events: EventLog, started_at: datetime
    ) -> RunInfo:
        """Download, conceal, stage and publish every data set; never raises for a data set's
        failure (it is recorded on the run); returns the finished run."""
        try:
            client = self._client_for(plan.spec.connection)
        except SfimportError as error:
            info = ErrorInfo.from_error(error, actions=("reauthorize",))
            for planned in plan.datasets:
                self._ledger.update_dataset(run_id, planned.name, status="failed", error=info)
                events.emit(planned.name, "failed", message=error.message)
            self._ledger.finish(run_id, "failed", error=info)
            return self._ledger.get(run_id)
        workers = min(self._concurrency, max(1, len(plan.datasets)))
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix=f"run-{run_id}") as pool:
                outcomes = list(
                    pool.map(
                        lambda d: self._dataset(plan, d, client, run_id, events, started_at),
                        plan.datasets,
                    )
                )
        finally:
            self._mydata.discard_run(run_id)
        self._finish(run_id, outcomes)
        return self._ledger.get(run_id)

    # --- one data set ---------------------------------------------------------------------------

    def _dataset(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        run_id: str,
        events: EventLog,
        started_at: datetime,
    ) -> DatasetOutcome:
        tally = Tally(method=planned.method)
        began = time.monotonic()

        def progress(phase: str, message: str = "") -> None:
            elapsed = time.monotonic() - began
            events.emit(
                planned.name,
                phase,
                rows_done=tally.rows,
                rows_expected=planned.expected_rows,
                pages=tally.pages,
                api_calls=tally.api_calls,
                rows_per_second=tally.rows / elapsed if elapsed > 0 and tally.rows else None,
                message=message,
            )

        def on_page(current: Tally) -> None:
            self._ledger.update_dataset(
                run_id,
                planned.name,
                status="running",
                rows=current.rows,
                pages=current.pages,
                api_calls=current.api_calls,
                method=current.method or planned.method,
                checkpoint=current.checkpoint,
            )
            progress("downloading")

        self._ledger.update_dataset(run_id, planned.name, status="running")
        progress("downloading", f"Reading {planned.name} ({planned.method}).")
        try:
            staged, incomplete, count_mismatch, _ = self._download(
                plan, planned, client, run_id, tally, on_page
            )
            progress("publishing")
            mark = watermark(started_at) if planned.cursor_field else None
            self._mydata.publish(
                staged,
                Publication(
                    folder=plan.spec.folder,
                    name=planned.name,
                    connection=plan.spec.connection,
                    source=planned.source,
                    kind="report" if planned.kind == "report" else "object",
                    concealed=tuple(planned.concealed),
                    skipped=tuple(planned.skipped_fields),
                    start_date=plan.spec.start_date if planned.start_date_applies else None,
                    cursor_field=planned.cursor_field,
                    high_water_mark=mark,
                    incomplete_reason=incomplete,
                ),
            )
        except DailyLimitExceeded as error:
            info = ErrorInfo.from_error(error, dataset=planned.name)
            self._record_end(run_id, planned.name, "waiting", tally, error=info)
            progress("waiting", error.message)
            return DatasetOutcome(planned.name, "waiting", info)
        except SfimportError as error:
            actions: tuple[str, ...] = (
                FIELD_ERROR_ACTIONS if error.kind == "field_unavailable" else ()
            )
            if error.kind == "connection":
                actions = ("reauthorize",)
            info = ErrorInfo.from_error(error, dataset=planned.name, actions=actions)
            logger.warning("Data set %s failed: %s", planned.name, error.message)
            self._record_end(run_id, planned.name, "failed", tally, error=info)
            progress("failed", error.message)
            return DatasetOutcome(planned.name, "failed", info)
        except Exception as error:  # a bug must not leave the run "running" forever
            logger.exception("Data set %s failed unexpectedly", planned.name)
            info = ErrorInfo(
                kind="internal",
                message=f"{planned.name} failed unexpectedly ({type(error).__name__}).",
                remedy="Try again; if it keeps failing, report it with the log.",
                actions=("reimport",),
                dataset=planned.name,
            )
            self._record_end(run_id, planned.name, "failed", tally, error=info)
            progress("failed", info.message)
            return DatasetOutcome(planned.name, "failed", info)
        status = "incomplete" if incomplete else "complete"
        self._record_end(
            run_id,
            planned.name,
            status,
            tally,
            count_mismatch=count_mismatch,
            watermark=watermark(started_at) if planned.cursor_field else None,
            incomplete_reason=incomplete,
        )
        progress("done", incomplete or "")
        return DatasetOutcome(planned.name, status)

    def _download(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        run_id: str,
        tally: Tally,
        on_page: Callable[[Tally], None],
    ) -> tuple[StagedData, str | None, int | None, pa.Schema]:
        """Stage one data set; returns (staged, incomplete reason, count mismatch, schema)."""
        if planned.kind == "report":
            describe = client.reports.describe(planned.source)
            tally.api_calls += 1
            reader = ReportReader(client, planned.source, describe, tally, on_page)
            schema = reader.schema
            batches = reader.batches()
        else:
            schema = arrow_schema(planned.field_specs)
            start = (
                start_of(plan.spec.start_date)
                if planned.start_date_applies and plan.spec.start_date
                else None
            )
            batches = object_batches(
                client,
                planned,
                schema,
                start=start,
                tally=tally,
                on_page=on_page,
                sleep=self._sleep,
                known_fields=planned.fields,
            )
            reader = None
        shapes = concealment_shapes(schema, planned.concealed)
        with self._mydata.stage(run_id, plan.spec.folder, planned.name, schema) as writer:
            for batch in batches:
                # Conceal before the batch reaches the writer: raw values never touch disk.
                writer.write(self._concealer.conceal_batch(batch, shapes))
        staged = writer.close()
        incomplete: str | None = None
        mismatch: int | None = None
        if reader is not None and reader.outcome is not None:
            incomplete = reader.outcome.incomplete_reason
            mismatch = reader.outcome.count_mismatch
        elif planned.expected_rows is not None:
            # The COUNT() was taken at planning; rows changed since then show as a difference.
            mismatch = tally.rows - planned.expected_rows
        return staged, incomplete, mismatch, schema

    def _record_end(
        self,
        run_id: str,
        name: str,
        status: str,
        tally: Tally,
        *,
        error: ErrorInfo | None = None,
        **values: object,
    ) -> None:
        self._ledger.update_dataset(
            run_id,
            name,
            status=status,
            rows=tally.rows,
            added=tally.rows if status in ("complete", "incomplete") else 0,
            pages=tally.pages,
            api_calls=tally.api_calls,
            method=tally.method,
            error=error,
            **values,
        )

    def _finish(self, run_id: str, outcomes: list[DatasetOutcome]) -> None:
        statuses = {o.status for o in outcomes}
        first_error = next((o.error for o in outcomes if o.error is not None), None)
        if "waiting" in statuses:
            # Salesforce does not say when the rolling 24-hour allowance frees up: try hourly.
            resume = self._clock().replace(microsecond=0)
            self._ledger.finish(
                run_id,
                "waiting_for_limit",
                error=first_error,
                resume_at=resume + timedelta(hours=1),
            )
        elif statuses <= {"complete"}:
            self._ledger.finish(run_id, "complete")
        elif statuses & {"complete", "incomplete"}:
            self._ledger.finish(run_id, "partial", error=first_error)
        else:
            self._ledger.finish(run_id, "failed", error=first_error)
