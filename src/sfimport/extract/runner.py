"""The run: every data set of a plan downloaded concurrently (bounded), concealed in memory,
staged page by page into a staging table of the run in My Data and published one data set at a
time, atomically.

Per data set: page bytes -> Arrow batches (explicit schema) -> conceal -> appended to the run's
staging table with the page's checkpoint -> publish (a rename: a full read) or merge by Id (an
incremental one). Nothing holds more than a page per data set, and nothing half-done is visible:
an interrupted run leaves the published data sets as they were and resumes at the page where it
stopped.

How a data set's failure ends (see :func:`sfimport.extract.objects.resumable`):

- the daily API limit, or the run's own API budget: "waiting"; the run waits for the limit;
- network loss, 5xx and timeouts the client's retries did not overcome: retried here from
  the checkpoint a few times, then "interrupted" and resumed automatically a little later;
- an expired query locator or a vanished Bulk job: read again from the start, at once;
- a dead connection (revoked token, blocked app): "interrupted", the connection marked as
  needing re-authorisation; the run resumes once it is re-authorised;
- the workspace closing (``should_stop``): "interrupted" after the last saved page, due for a
  resume at once (the next process picks it up);
- anything else (a field gone, API disabled, ...): "failed", its staged pages dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sfimport.errors import (
    ConnectionFailed,
    DailyLimitExceeded,
    QueryLocatorExpired,
    RunStopped,
    SfimportError,
    StoppedByUser,
    StoreBusy,
    TransientError,
)
from sfimport.extract import runlog
from sfimport.extract.conceal import Concealer, concealment_shapes, person_row_gates
from sfimport.extract.cursor import count_soql, start_of
from sfimport.extract.events import EventLog, ProgressEvent
from sfimport.extract.formulas import run_column_pass
from sfimport.extract.objects import RestartRead, Tally, object_batches
from sfimport.extract.outcomes import outcome_of
from sfimport.extract.plan import ImportPlan, PlannedDataset
from sfimport.extract.reports import ReportReader, report_schema
from sfimport.extract.resume import Checkpoint, PageStaging, planned_to_json
from sfimport.extract.runlog import RUN_LOGGER, log_file, logging_to
from sfimport.extract.schema import FieldSpec, arrow_schema
from sfimport.salesforce.client import SalesforceClient
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.mydata import MyData, Publication
from sfimport.store.names import quote
from sfimport.store.runs import EXECUTING, ErrorInfo, RunInfo, RunLedger

logger = redacting_logger(__name__)
#: The run's own lines, kept in the run's log file (see :mod:`sfimport.extract.runlog`).
run_logger = redacting_logger(RUN_LOGGER)

#: Actions offered for a data set whose field went away since the last import.
#: Salesforce does not say when the rolling 24-hour allowance frees up: try again hourly.
LIMIT_RETRY = timedelta(hours=1)
#: A run interrupted by the network resumes by itself after this pause.
INTERRUPTED_RETRY = timedelta(minutes=5)
#: Attempts of one data set within a run before it is left to a later resume.
ATTEMPTS = 3
#: Dataset statuses after which the data set's pages are kept for a resume.
RESUMABLE = frozenset({"waiting", "interrupted"})
#: Dataset statuses that count as done for the run's status.
DONE = frozenset({"complete", "superseded"})

_IS_DELETED = FieldSpec("IsDeleted", "Deleted", "boolean", soap_type="xsd:boolean")


class _PageLines:
    """A run's progress as log lines: one per page saved and per change of phase (the
    row-by-row progress events would flood the log)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, int]] = {}

    def __call__(self, event: ProgressEvent) -> None:
        key = (event.phase, event.pages)
        if self._seen.get(event.dataset) == key:
            return
        self._seen[event.dataset] = key
        note = f": {event.message}" if event.message else ""
        run_logger.info(
            "%s %s: page %s, %s rows%s",
            event.dataset,
            event.phase,
            event.pages,
            f"{event.rows_done:,}",
            note,
        )


@dataclass(frozen=True)
class DatasetOutcome:
    name: str
    status: str  # "complete" | "incomplete" | "failed" | "waiting" | "interrupted"
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
        on_connection_failed: Callable[[str], None] | None = None,
        budget: Callable[[ImportPlan], AbstractContextManager[None]] | None = None,
        should_stop: Callable[[], bool] | None = None,
        stop_error: Callable[[], RunStopped] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        #: Where each run's log file goes (None: runs keep no log file).
        self._log_dir = log_dir
        self._mydata = mydata
        self._ledger = ledger
        self._concealer = concealer
        self._client_for = client_for
        self._concurrency = max(1, concurrency)
        self._clock = clock
        self._sleep = sleep
        self._on_connection_failed = on_connection_failed
        self._budget = budget
        self._should_stop = should_stop or (lambda: False)
        #: Why runs stop when ``should_stop`` says so: a shutdown, or the person (Ctrl-C).
        self._stop_error = stop_error or _stopped

    def register(
        self, plan: ImportPlan, run_id: str, *, kind: str = "import", trigger: str = "manual"
    ) -> datetime:
        """Record the run as running before any download starts; returns its start time,
        which is also the frozen upper bound of every incremental read of the run."""
        started = self._clock()
        self._ledger.create(
            run_id,
            kind=kind,
            connection=plan.spec.connection,
            folder=plan.spec.folder,
            spec_toml=plan.spec.to_toml(),
            datasets=[(d.name, d.kind, d.source, d.method, d.expected_rows) for d in plan.datasets],
            started_at=started,
            trigger=trigger,
        )
        for planned in plan.datasets:
            upper = started.isoformat() if planned.mode == "incremental" else None
            checkpoint = Checkpoint(plan=planned_to_json(planned), upper=upper)
            self._ledger.update_dataset(run_id, planned.name, checkpoint=checkpoint.to_json())
        return started

    def execute(
        self, plan: ImportPlan, run_id: str, events: EventLog, started_at: datetime
    ) -> RunInfo:
        """Download, conceal, stage and publish every data set of ``plan`` not done yet in run
        ``run_id`` (a resumed run continues where it stopped); never raises for a data set's
        failure (it is recorded on the run); returns the run as it ended."""
        path = log_file(self._log_dir, run_id) if self._log_dir is not None else None
        listener = _PageLines()
        events.listeners.append(listener)
        try:
            with logging_to(path):
                return self._logged(plan, run_id, events)
        finally:
            events.listeners.remove(listener)
            # Whatever ended the run (even a crash of this thread), it no longer executes here.
            EXECUTING.discard(run_id)

    def _logged(self, plan: ImportPlan, run_id: str, events: EventLog) -> RunInfo:
        before = self._ledger.get(run_id)
        resumed = any(d.pages or d.status != "pending" for d in before.datasets)
        run_logger.info(
            "%s run %s of %s (%s): %s",
            "Resuming" if resumed else "Starting",
            run_id,
            plan.spec.connection,
            plan.spec.folder,
            ", ".join(d.name for d in plan.datasets),
        )
        try:
            info = self._execute(plan, run_id, events)
        except BaseException:
            run_logger.exception("Run %s stopped by an unexpected error", run_id)
            raise
        for dataset in info.datasets:
            run_logger.info(
                "%s: %s, %s rows, %s pages, %s API calls%s",
                dataset.name,
                dataset.status.value,
                f"{dataset.rows:,}",
                dataset.pages,
                dataset.api_calls,
                f" ({dataset.error.message})" if dataset.error else "",
            )
        run_logger.info("Run %s ended: %s", run_id, info.status.value)
        return info

    def _execute(self, plan: ImportPlan, run_id: str, events: EventLog) -> RunInfo:
        done = {d.name for d in self._ledger.get(run_id).datasets if d.status in DONE}
        todo = [d for d in plan.datasets if d.name not in done]
        try:
            client = self._client_for(plan.spec.connection)
        except SfimportError as error:
            info = ErrorInfo.from_error(error, actions=outcome_of(error).actions)
            for planned in todo:
                self._ledger.update_dataset(run_id, planned.name, status="interrupted", error=info)
                events.emit(planned.name, "failed", message=error.message)
            return self._finish(run_id)
        workers = min(self._concurrency, max(1, len(todo)))
        guard = self._budget(plan) if self._budget is not None else nullcontext()
        # The run's threads write to its log file too.
        with (
            guard,
            ThreadPoolExecutor(
                workers,
                thread_name_prefix=f"run-{run_id}",
                initializer=runlog.enter,
                initargs=(runlog.current(),),
            ) as pool,
        ):
            list(pool.map(lambda d: self._dataset(plan, d, client, run_id, events), todo))
        return self._finish(run_id)

    def wait_for_budget(self, run_id: str, error: SfimportError) -> RunInfo:
        """Record a registered run that may not start yet (over its budget) as waiting."""
        info = ErrorInfo.from_error(error)
        for dataset in self._ledger.get(run_id).datasets:
            self._ledger.update_dataset(run_id, dataset.name, status="waiting", error=info)
        EXECUTING.discard(run_id)
        return self._finish(run_id)

    # --- one data set ---------------------------------------------------------------------------

    def _dataset(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        run_id: str,
        events: EventLog,
    ) -> DatasetOutcome:
        if planned.error is not None:
            self._ledger.update_dataset(run_id, planned.name, status="failed", error=planned.error)
            events.emit(planned.name, "failed", message=planned.error.message)
            return DatasetOutcome(planned.name, "failed", planned.error)
        if self._should_stop():
            # Closing before this data set began: it keeps whatever an earlier attempt staged.
            info = ErrorInfo.from_error(
                self._stop_error(), dataset=planned.name, actions=("resume",)
            )
            self._ledger.update_dataset(run_id, planned.name, status="interrupted", error=info)
            events.emit(planned.name, "failed", message=info.message)
            return DatasetOutcome(planned.name, "interrupted", info)
        saved = Checkpoint.from_json(self._ledger.checkpoint(run_id, planned.name))
        checkpoint = saved or Checkpoint(plan=planned_to_json(planned))
        prior = next(d for d in self._ledger.get(run_id).datasets if d.name == planned.name)
        tally = Tally(
            rows=checkpoint.rows,
            pages=checkpoint.pages,
            api_calls=prior.api_calls,
            method=planned.method,
        )
        began = time.monotonic()
        stager = PageStaging(
            self._mydata,
            run_id,
            plan.spec.folder,
            planned.name,
            _stored_schema(planned),
            checkpoint,
            lambda c: self._ledger.update_dataset(
                run_id,
                planned.name,
                checkpoint=c.to_json(),
                rows=tally.rows,
                pages=tally.pages,
                api_calls=tally.api_calls,
                method=tally.method or planned.method,
            ),
        )

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

        # A Bulk page holds up to 100,000 rows: show them arriving, not once per page.
        tally.on_rows = lambda _: progress("downloading")
        self._ledger.update_dataset(run_id, planned.name, status="running", error=None)
        what = "changes" if planned.mode == "incremental" else planned.method
        progress("downloading", f"Reading {planned.name} ({what}).")
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._read_and_publish(
                    plan, planned, client, run_id, stager, tally, progress
                )
            except (RestartRead, QueryLocatorExpired) as restart:
                # The saved cursor is gone: read the data set again from its first page.
                logger.info("Reading %s again from the start: %s", planned.name, restart)
                stager.reset()
                tally.rows = tally.pages = 0
                if attempt < ATTEMPTS:
                    continue
                error: SfimportError = TransientError(
                    f"The query cursor of {planned.name} kept expiring."
                )
                return self._stop(run_id, planned, stager, tally, error, progress)
            except RunStopped as stopped:
                return self._stop(run_id, planned, stager, tally, stopped, progress)
            except DailyLimitExceeded as limit:
                return self._stop(run_id, planned, stager, tally, limit, progress)
            except TransientError as transient:
                stager.abandon_page()
                if attempt < ATTEMPTS:
                    logger.warning(
                        "%s: %s; resuming from page %d",
                        planned.name,
                        transient,
                        stager.checkpoint.pages,
                    )
                    try:
                        self._sleep(2.0**attempt)
                    except RunStopped as stopped:
                        return self._stop(run_id, planned, stager, tally, stopped, progress)
                    continue
                return self._stop(run_id, planned, stager, tally, transient, progress)
            except ConnectionFailed as dead:
                if self._on_connection_failed is not None:
                    self._on_connection_failed(plan.spec.connection)
                return self._stop(run_id, planned, stager, tally, dead, progress)
            except StoreBusy as busy:
                # My Data stayed locked (another process publishing or exporting): the pages
                # read so far are kept and the run resumes, without downloading them again.
                return self._stop(run_id, planned, stager, tally, busy, progress)
            except SfimportError as failure:
                return self._stop(run_id, planned, stager, tally, failure, progress)
            except Exception as bug:  # a bug must not leave the run "running" forever
                logger.exception("Data set %s failed unexpectedly", planned.name)
                info = ErrorInfo(
                    kind="internal",
                    message=f"{planned.name} failed unexpectedly ({type(bug).__name__}).",
                    remedy="Try again; if it keeps failing, report it with the log.",
                    actions=("reimport",),
                    dataset=planned.name,
                )
                stager.reset()
                self._ledger.update_dataset(run_id, planned.name, status="failed", error=info)
                progress("failed", info.message)
                return DatasetOutcome(planned.name, "failed", info)

    def _read_and_publish(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        run_id: str,
        stager: PageStaging,
        tally: Tally,
        progress: Callable[..., None],
    ) -> DatasetOutcome:
        checkpoint = stager.checkpoint
        shapes = concealment_shapes(stager.schema, planned.concealed)
        gates = person_row_gates(stager.schema, planned.concealed_in_person_rows)
        deleted: list[str] = []

        def on_page(current: Tally) -> None:
            stager.end_page(current.position, deleted_ids=tuple(deleted))
            deleted.clear()
            progress("downloading")
            if self._should_stop():
                # The page just staged is in the checkpoint: a resume continues after it.
                raise self._stop_error()

        if not checkpoint.read_done:
            if planned.kind == "report":
                if checkpoint.pages:
                    # Report runs have no cursor to continue: a report is read again whole.
                    stager.reset()
                    tally.rows = tally.pages = 0
                describe = client.reports.describe(planned.source)
                tally.api_calls += 1

                def on_wait(message: str) -> None:
                    progress("downloading", message)
                    if self._should_stop():
                        raise _stopped()

                reader = ReportReader(
                    client,
                    planned.source,
                    describe,
                    tally,
                    on_page,
                    sleep=self._sleep,
                    on_wait=on_wait,
                )
                for batch in reader.batches():
                    stager.write(self._concealer.conceal_batch(batch, shapes, gates))
                outcome = reader.outcome
                stager.finish_reading(
                    None if outcome is None else [outcome.incomplete_reason, outcome.count_mismatch]
                )
            else:
                query_fields = planned.field_specs + (
                    (_IS_DELETED,) if planned.deleted_flag else ()
                )
                known = self._known_versions(plan, planned)
                batches = object_batches(
                    client,
                    planned,
                    arrow_schema(query_fields),
                    start=_lower_bound(plan, planned),
                    upper=checkpoint.upper_bound,
                    tally=tally,
                    on_page=on_page,
                    sleep=self._sleep,
                    position=checkpoint.position,
                )
                for batch in batches:
                    if planned.deleted_flag:
                        batch = _split_deleted(batch, deleted)
                    if known is not None:
                        batch = _drop_unchanged(batch, planned.cursor_field, known)
                    stager.write(self._concealer.conceal_batch(batch, shapes, gates))
                stager.finish_reading()
        progress("publishing")
        return self._publish(plan, planned, client, run_id, stager, tally, progress)

    def _publish(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        run_id: str,
        stager: PageStaging,
        tally: Tally,
        progress: Callable[..., None],
    ) -> DatasetOutcome:
        checkpoint = stager.checkpoint
        incomplete: str | None = None
        mismatch: int | None = None
        if checkpoint.report_outcome is not None:
            incomplete, mismatch = checkpoint.report_outcome
        if self._superseded(plan, planned, run_id):
            stager.reset()
            self._ledger.update_dataset(
                run_id,
                planned.name,
                status="superseded",
                incomplete_reason="A later run already brought this data set up to date.",
            )
            progress("done", "A later run already brought this data set up to date.")
            return DatasetOutcome(planned.name, "superseded")
        publication = Publication(
            folder=plan.spec.folder,
            name=planned.name,
            connection=plan.spec.connection,
            source=planned.source,
            kind="report" if planned.kind == "report" else "object",
            concealed=tuple(planned.concealed),
            skipped=tuple(planned.skipped_fields),
            start_date=plan.spec.start_date if planned.start_date_applies else None,
            cursor_field=planned.cursor_field,
            # None: the store records the newest cursor value of the data set, so the next
            # refresh starts from Salesforce's own time, whatever this computer's clock says.
            high_water_mark=None,
            incomplete_reason=incomplete,
            # The change log and history date this run's changes at its frozen upper bound.
            run_id=run_id,
            changed_at=_aware(self._ledger.get(run_id).started_at),
        )
        if planned.mode == "incremental" and (planned.backfill or planned.formulas):
            progress("publishing", "Reading the formula and new columns of every row.")
            run_column_pass(
                client,
                planned,
                mydata=self._mydata,
                concealer=self._concealer,
                publication=publication,
                run_id=run_id,
                upper=checkpoint.upper_bound,
                tally=tally,
                sleep=self._sleep,
            )
        staged = stager.staged()
        if planned.mode == "incremental":
            counts = self._mydata.merge(
                staged, publication, deleted_ids=tuple(checkpoint.deleted_ids)
            )
            added, updated, removed, row_count = (
                counts.added,
                counts.updated,
                counts.removed,
                counts.row_count,
            )
        else:
            before = self._row_count(plan.spec.folder, planned.name)
            dataset = self._mydata.publish(staged, publication)
            row_count = dataset.row_count
            # A whole read replaces the data set: the change is reported as its net effect.
            added = row_count if before is None else max(row_count - before, 0)
            updated = 0
            removed = 0 if before is None else max(before - row_count, 0)
        if planned.kind == "object":
            mismatch = self._count_mismatch(plan, planned, client, tally, row_count)
        status = "incomplete" if incomplete else "complete"
        self._ledger.update_dataset(
            run_id,
            planned.name,
            status=status,
            rows=tally.rows,
            added=added,
            updated=updated,
            removed=removed,
            pages=tally.pages,
            api_calls=tally.api_calls,
            method=tally.method or planned.method,
            count_mismatch=mismatch,
            watermark=self._high_water_mark(plan.spec.folder, planned.name),
            incomplete_reason=incomplete,
            error=None,
        )
        message = incomplete or ""
        if mismatch:
            message = (
                f"{planned.name} has {row_count:,} rows but Salesforce counts "
                f"{row_count - mismatch:,}."
            )
        progress("done", message)
        return DatasetOutcome(planned.name, status)

    def _known_versions(self, plan: ImportPlan, planned: PlannedDataset) -> pa.Array | None:
        """Id and cursor of the rows My Data holds inside the overlap an incremental read
        re-reads, so that rows read again unchanged are not counted as updated."""
        if planned.mode != "incremental" or planned.since is None or not planned.cursor_field:
            return None
        try:
            dataset = self._mydata.get_dataset(plan.spec.folder, planned.name)
            cursor = quote(planned.cursor_field)
            result = self._mydata.query(
                f"SELECT \"Id\" || '|' || epoch_ms({cursor}) AS version FROM {dataset.table} "
                f"WHERE {cursor} >= TIMESTAMPTZ '{planned.since.isoformat()}'",
                limit=1_000_000,
            )
        except SfimportError:
            return None
        return result.table.column("version").combine_chunks()

    def _count_mismatch(
        self,
        plan: ImportPlan,
        planned: PlannedDataset,
        client: SalesforceClient,
        tally: Tally,
        row_count: int,
    ) -> int | None:
        """My Data's rows less Salesforce's COUNT() with the same filter (0 when equal)."""
        start = (
            start_of(plan.spec.start_date)
            if planned.start_date_applies and plan.spec.start_date
            else None
        )
        try:
            counted = client.rest.count(count_soql(planned.source, planned.cursor_field, start))
        except SfimportError as error:
            # The data is published; a count that cannot be taken is no reason to fail it.
            logger.info("COUNT() check of %s skipped: %s", planned.name, error)
            return None
        tally.api_calls += 1
        return row_count - counted

    def _stop(
        self,
        run_id: str,
        planned: PlannedDataset,
        stager: PageStaging,
        tally: Tally,
        error: SfimportError,
        progress: Callable[..., None],
    ) -> DatasetOutcome:
        outcome = outcome_of(error)
        status = outcome.status.value
        info = ErrorInfo.from_error(error, dataset=planned.name, actions=outcome.actions)
        if status in RESUMABLE:
            stager.abandon_page()
        else:
            stager.reset()
        logger.warning("Data set %s stopped (%s): %s", planned.name, status, error.message)
        self._ledger.update_dataset(
            run_id,
            planned.name,
            status=status,
            rows=tally.rows,
            pages=tally.pages,
            api_calls=tally.api_calls,
            method=tally.method or planned.method,
            error=info,
        )
        progress("waiting" if status == "waiting" else "failed", error.message)
        return DatasetOutcome(planned.name, status, info)

    def _superseded(self, plan: ImportPlan, planned: PlannedDataset, run_id: str) -> bool:
        """True when a run started after this one already published the data set: publishing
        this (older) read over it would bring back older values."""
        try:
            current = self._mydata.get_dataset(plan.spec.folder, planned.name)
        except SfimportError:
            return False
        started = self._ledger.get(run_id).started_at
        return current.last_import > started and self._ledger.published_after(
            plan.spec.folder, planned.name, started, run_id
        )

    def _row_count(self, folder: str, name: str) -> int | None:
        try:
            return self._mydata.get_dataset(folder, name).row_count
        except SfimportError:
            return None

    def _high_water_mark(self, folder: str, name: str) -> datetime | None:
        try:
            return self._mydata.get_dataset(folder, name).high_water_mark
        except SfimportError:
            return None

    def _finish(self, run_id: str) -> RunInfo:
        """The run's status from its data sets': waiting beats everything, then complete only
        when every data set is, partial when some are, failed otherwise."""
        run = self._ledger.get(run_id)
        statuses = {d.status for d in run.datasets}
        errors = [d.error for d in run.datasets if d.error is not None]
        waiting = next((d.error for d in run.datasets if d.status == "waiting"), None)
        now = self._clock().replace(microsecond=0)
        if "waiting" in statuses:
            self._ledger.finish(
                run_id, "waiting_for_limit", error=waiting, resume_at=now + LIMIT_RETRY
            )
        else:
            interrupted = [d for d in run.datasets if d.status == "interrupted"]
            # A dead connection resumes once re-authorised, not by the clock; a run stopped by
            # a shutdown at once, by the next process.
            kinds = {d.error.kind if d.error is not None else "" for d in interrupted}
            # A run the person stopped resumes when they say so, never by the clock.
            by_clock = interrupted and not kinds & {"connection", StoppedByUser.kind}
            delay = timedelta(0) if kinds == {RunStopped.kind} else INTERRUPTED_RETRY
            resume_at = now + delay if by_clock else None
            first = interrupted[0].error if interrupted else (errors[0] if errors else None)
            if statuses <= DONE:
                self._ledger.finish(run_id, "complete")
            elif kinds == {StoppedByUser.kind} and statuses <= DONE | {"interrupted"}:
                # Stopped on purpose: interrupted, not failed (nothing went wrong).
                self._ledger.finish(run_id, "interrupted", error=first, resume_at=None)
            elif statuses & (DONE | {"incomplete"}):
                self._ledger.finish(run_id, "partial", error=first, resume_at=resume_at)
            else:
                self._ledger.finish(run_id, "failed", error=first, resume_at=resume_at)
        if not statuses & RESUMABLE:
            self._mydata.discard_run(run_id)
        return self._ledger.get(run_id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stopped() -> RunStopped:
    return RunStopped("sfimport was shutting down, so the run stopped after its last saved page.")


def _stored_schema(planned: PlannedDataset) -> pa.Schema:
    if planned.kind == "report":
        return report_schema(planned.report_columns)
    return arrow_schema(planned.field_specs)


def _lower_bound(plan: ImportPlan, planned: PlannedDataset) -> datetime | None:
    start = (
        start_of(plan.spec.start_date)
        if planned.start_date_applies and plan.spec.start_date
        else None
    )
    if planned.since is None:
        return start
    since = planned.since if planned.since.tzinfo else planned.since.replace(tzinfo=UTC)
    return since if start is None else max(start, since)


def _drop_unchanged(batch: pa.RecordBatch, cursor: str | None, known: pa.Array) -> pa.RecordBatch:
    """Leave out rows whose Id and cursor value equal a row My Data already holds."""
    if cursor is None or not len(known) or not batch.num_rows:
        return batch
    stamps = pc.cast(pc.cast(batch.column(cursor), pa.timestamp("ms")), pa.int64())
    version = pc.binary_join_element_wise(batch.column("Id"), pc.cast(stamps, pa.string()), "|")
    return batch.filter(pc.invert(pc.fill_null(pc.is_in(version, value_set=known), False)))


def _split_deleted(batch: pa.RecordBatch, deleted: list[str]) -> pa.RecordBatch:
    """Take the rows queryAll marks deleted out of ``batch`` (their ids go to ``deleted``) and
    drop the IsDeleted column the data set does not keep."""
    flags = pc.fill_null(batch.column("IsDeleted"), False)
    if pc.any(flags).as_py():
        deleted.extend(str(i) for i in batch.column("Id").filter(flags).to_pylist())
        batch = batch.filter(pc.invert(flags))
    return batch.drop_columns(["IsDeleted"])
