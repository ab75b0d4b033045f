"""Imports and refreshes: run a plan in this thread or start it in the background."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sfimport.app.planning import PlanningService
from sfimport.app.values import RunResult
from sfimport.errors import NotFound, SfimportError, UsageError
from sfimport.extract.events import ProgressEvent
from sfimport.extract.outcomes import before_start
from sfimport.extract.plan import (
    ImportPlan,
)
from sfimport.jobs.port import JobKind
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.mydata import Dataset, new_run_id
from sfimport.store.runs import ErrorInfo, RunInfo

logger = redacting_logger(__name__)


class ImportsService(PlanningService):
    """Imports and refreshes: run a plan in this thread or start it in the background."""

    def run_import(
        self, plan: ImportPlan, on_event: Callable[[ProgressEvent], None] | None = None
    ) -> RunResult:
        """Run an import to its end in this thread; data set failures are on the result."""
        self._check_budget(plan)
        runner, run_id, log, started = self._prepare(plan, "import", on_event)
        return RunResult(self._execute(runner, plan, run_id, log, started))

    def start_import(self, plan: ImportPlan) -> str:
        """Start an import in a background thread; returns its run id at once."""
        self._check_budget(plan)
        return self._start(plan, "import")

    def _start(self, plan: ImportPlan, kind: str, trigger: str = "manual") -> str:
        if self._closing.is_set():
            raise UsageError("sfimport is shutting down; no run starts now.")
        runner, run_id, log, started = self._prepare(plan, kind, None, trigger)
        thread = threading.Thread(
            target=self._execute, args=(runner, plan, run_id, log, started), name=f"run-{run_id}"
        )
        self._track(run_id, thread)
        return run_id

    def _enqueue(self, plan: ImportPlan, kind: str, trigger: str = "manual") -> str:
        """Record a run and put it on the job queue, for a worker here or on another host."""
        run_id = new_run_id()
        self._runner().register(plan, run_id, kind=kind, trigger=trigger)
        self._ledger.to_queue(run_id)
        self._queue.enqueue(JobKind.RUN, run_id)
        return run_id

    def wait(self, run_id: str, timeout: float | None = None) -> RunInfo:
        """Block until a run started here finishes (tests and the CLI)."""
        with self._lock:
            thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)
        return self._ledger.get(run_id)

    def refresh(
        self,
        datasets: list[str] | None = None,
        *,
        all: bool = False,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> RunResult:
        """Bring data sets up to date: changes since the last import for objects with a cursor,
        whole for reports and cursorless objects. One run per connection and folder; returns
        the last one. BudgetExceeded (nothing started) when a run would cross its budget."""
        plans = self._plan_or_record(datasets, all=all, trigger="manual")
        for plan in plans:
            self._check_budget(plan)
        result: RunResult | None = None
        for plan in plans:
            runner, run_id, log, started = self._prepare(plan, "refresh", on_event)
            result = RunResult(self._execute(runner, plan, run_id, log, started))
        assert result is not None
        return result

    def start_refresh(self, datasets: list[str]) -> str:
        """Start refreshes in the background; returns the first run's id."""
        plans = self._plan_or_record(datasets, all=False, trigger="manual")
        for plan in plans:
            self._check_budget(plan)
        run_ids = [self._start(plan, "refresh") for plan in plans]
        return run_ids[0]

    def _plan_or_record(
        self,
        datasets: list[str] | None,
        *,
        all: bool,
        trigger: str,
        recorded: list[str] | None = None,
    ) -> list[ImportPlan]:
        """Plan refreshes; when planning fails for a reason other than bad input (a revoked
        token, the API disabled, the daily limit), the attempt is recorded as a failed run of
        the data sets before the error is raised."""
        try:
            return self.plan_refreshes(datasets, all=all)
        except (UsageError, NotFound):
            raise
        except SfimportError as error:
            try:
                chosen = (
                    self._mydata.list_datasets()
                    if all
                    else [self._dataset(name) for name in datasets or []]
                )
            except SfimportError:
                raise error from None
            run_ids = self._record_failed_attempt(chosen, "refresh", error, trigger)
            if recorded is not None:
                recorded.extend(run_ids)
            raise

    def _record_failed_attempt(
        self, datasets: list[Dataset], kind: str, error: SfimportError, trigger: str
    ) -> list[str]:
        """Every attempt is a run: one that failed before its first page (while planning: a
        revoked token, the API disabled, a permission gone) is recorded as a failed run per
        connection and folder, with the error, its remedy and the actions the outcome table
        offers; My Data shows it beside the data set's last success."""
        outcome = before_start(error)
        groups: dict[tuple[str, str], list[Dataset]] = {}
        for dataset in datasets:
            groups.setdefault((dataset.connection, dataset.folder), []).append(dataset)
        run_ids = []
        for (connection, folder), members in groups.items():
            run_id = new_run_id()
            info = ErrorInfo.from_error(error, actions=outcome.actions)
            self._ledger.create(
                run_id,
                kind=kind,
                connection=connection,
                folder=folder,
                spec_toml="",
                datasets=[(d.name, d.kind, d.source, "", None) for d in members],
                started_at=self._clock(),
                trigger=trigger,
            )
            for dataset in members:
                self._ledger.update_dataset(
                    run_id, dataset.name, status=outcome.status.value, error=info
                )
            self._ledger.finish(run_id, "failed", error=info)
            logger.warning(
                "%s of %s.%s failed before it started: %s",
                kind.capitalize(),
                folder,
                ", ".join(d.name for d in members),
                error.message,
            )
            run_ids.append(run_id)
        return run_ids
