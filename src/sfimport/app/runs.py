"""Runs: their history and events, resuming stopped runs, acting on a field that went away."""

from __future__ import annotations

import threading

from sfimport.app.imports import ImportsService
from sfimport.app.values import RunResult
from sfimport.errors import (
    UsageError,
)
from sfimport.extract.events import EventLog, ProgressEvent
from sfimport.extract.plan import (
    ImportPlan,
)
from sfimport.extract.resume import Checkpoint, planned_from_json
from sfimport.extract.runlog import read_log
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.jobs.port import JobKind
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.runs import RunInfo

logger = redacting_logger(__name__)


class RunsService(ImportsService):
    """Runs: their history and events, resuming stopped runs, acting on a field that went away."""

    def get_run(self, run_id: str) -> RunInfo:
        return self._ledger.get(run_id)

    def run_log(self, run_id: str) -> str:
        """The run's log, oldest line first, tokens redacted ("" when it logged nothing);
        raises like :meth:`get_run` for an unknown run."""
        self._ledger.get(run_id)
        return read_log(self.run_log_dir, run_id)

    def list_runs(self, dataset: str | None = None, limit: int = 50) -> list[RunInfo]:
        """Recent runs, newest first; ``dataset`` as "Folder.Name" or a bare name."""
        return self._ledger.recent(dataset=dataset, limit=limit)

    def run_events(self, run_id: str, after: int = 0) -> list[ProgressEvent]:
        with self._lock:
            log = self._logs.get(run_id)
        if log is not None:
            return log.after(after)
        # A run of another process: one event per data set, from its recorded progress.
        run = self._ledger.get(run_id)
        phases = {"complete": "done", "incomplete": "done", "superseded": "done"}
        phases["waiting"] = "waiting"
        events = [
            ProgressEvent(
                run_id=run_id,
                seq=index + 1,
                dataset=d.name,
                phase=phases.get(
                    d.status, "failed" if d.status in ("failed", "interrupted") else "downloading"
                ),
                rows_done=d.rows,
                rows_expected=d.rows_expected,
                pages=d.pages,
                api_calls=d.api_calls,
                rows_per_second=None,
                message=d.incomplete_reason or (d.error.message if d.error else ""),
                at=run.finished_at or run.started_at,
            )
            for index, d in enumerate(run.datasets)
        ]
        return events[after:]

    def resume_waiting_runs(self, *, queue: bool = False) -> list[str]:
        """Resume, where they stopped, the runs whose resume time has come: runs waiting for
        the API limit, and runs interrupted by the network or by a process that ended.
        ``queue``: put each on the job queue for `sfimport worker` instead (one job per run,
        however many schedulers pass at once)."""
        self._ledger.mark_abandoned()
        resumed = []
        for run in self._ledger.due_for_resume(self._clock()):
            if queue:
                if self._ledger.queue_stopped(run.id, due=True):
                    self._queue.enqueue(JobKind.RUN, run.id)
                    resumed.append(run.id)
            elif self._resume(run.id, background=True):
                resumed.append(run.id)
        return resumed

    def resume_run(self, run_id: str) -> RunResult:
        """Resume a stopped run now, in this thread, until it ends (e.g. after re-authorising
        a connection)."""
        self._resume_now(run_id, background=False)
        return RunResult(self._ledger.get(run_id))

    def start_resume(self, run_id: str) -> str:
        """Resume a stopped run in a background thread, tracked like :meth:`start_import`;
        returns its id once the run is recorded as running again. UsageError when there is
        nothing to resume."""
        self._resume_now(run_id, background=True)
        return run_id

    def _resume_now(self, run_id: str, *, background: bool) -> None:
        run = self._ledger.get(run_id)
        if run.status in ("running", "complete"):
            raise UsageError(f"Run {run_id} is {run.status}; there is nothing to resume.")
        if not self._resume(run_id, background=background):
            raise UsageError(f"Run {run_id} could not be resumed (another process took it).")

    def _stored_plan(self, run_id: str) -> ImportPlan:
        """The plan of a recorded run, rebuilt from its spec and its data sets' checkpoints
        (what a resume, or a worker taking a queued run, executes)."""
        spec = ImportSpec.from_toml(self._ledger.spec_toml(run_id))
        run = self._ledger.get(run_id)
        datasets = []
        for item in run.datasets:
            checkpoint = Checkpoint.from_json(self._ledger.checkpoint(run_id, item.name))
            if checkpoint is None:
                logger.warning("Run %s cannot resume %s: no checkpoint", run_id, item.name)
                continue
            datasets.append(planned_from_json(checkpoint.plan))
        client = self.client(spec.connection)
        return ImportPlan(
            spec=spec,
            datasets=tuple(datasets),
            api_calls_total=sum(d.api_calls for d in datasets),
            api_remaining=None,
            api_max=None,
            budget_calls=None,
            within_budget=True,
            budget_percent=spec.budget_percent or self.settings.api_budget_percent,
            instance_url=client.instance_url,
        )

    def _resume(
        self,
        run_id: str,
        *,
        background: bool,
        replacing: str | None = None,
        lost: threading.Event | None = None,
    ) -> bool:
        """Claim a recorded run (one conditional UPDATE) and execute it from its checkpoints,
        here or in a tracked thread; False when another process holds it or took it first.
        ``replacing``/``lost``: the job holder whose lapsed lease a worker took over, and the
        event set if the worker loses that job's lease in turn."""
        if background and self._closing.is_set():
            raise UsageError("sfimport is shutting down; no run starts now.")
        plan = self._stored_plan(run_id)
        if not self._ledger.claim(run_id, self._owner, replacing=replacing):
            return False
        started = self._ledger.get(run_id).started_at
        run_lost = threading.Event()
        runner = self._runner(run_lost, *([lost] if lost is not None else []))
        log = EventLog(run_id, self._clock, [])
        with self._lock:
            self._logs[run_id] = log
            self._lost[run_id] = run_lost
        if not background:
            self._execute(runner, plan, run_id, log, started)
            return True
        thread = threading.Thread(
            target=self._execute, args=(runner, plan, run_id, log, started), name=f"run-{run_id}"
        )
        self._track(run_id, thread)
        return True

    def resolve_field_error(self, run_id: str, action: str) -> str:
        """Act on a field that went away: "reimport" the data set fresh (every field available
        now), "retry" once it is restored in Salesforce, or "continue_without_field"."""
        if action not in ("reimport", "retry", "continue_without_field"):
            raise UsageError(
                f"Unknown action {action!r}: use reimport, retry or continue_without_field."
            )
        run = self._ledger.get(run_id)
        failed = [d for d in run.datasets if d.error is not None and d.error.field]
        if not failed:
            raise UsageError(f"Run {run_id} has no data set stopped by a missing field.")
        names = [f"{run.folder}.{d.name}" for d in failed]
        if action == "retry":
            plans = self.plan_refreshes(names)
        elif action == "continue_without_field":
            without = {
                d.name: frozenset({d.error.field}) for d in failed if d.error and d.error.field
            }
            plans = self.plan_refreshes(names, without=without)
        else:
            gone = {d.name: d.error.field for d in failed if d.error and d.error.field}
            plans = self._reimport_plans(run, gone)
        run_ids = []
        for plan in plans:
            self._check_budget(plan)
            run_ids.append(self._start(plan, "import" if action == "reimport" else "refresh"))
        return run_ids[0]

    def _reimport_plans(self, run: RunInfo, gone: dict[str, str]) -> list[ImportPlan]:
        """A fresh import of each data set with every field Salesforce offers now."""
        datasets = [self._dataset(f"{run.folder}.{name}") for name in gone]
        objects = tuple(ObjectChoice(d.source) for d in datasets if d.kind == "object")
        conceal: dict[str, tuple[str, ...] | None] = {}
        for d in datasets:
            kept = tuple(c for c in d.concealed if c != gone[d.name])
            if kept:
                conceal[d.source] = kept
        spec = ImportSpec(
            connection=run.connection,
            folder=run.folder,
            start_date=next((d.start_date for d in datasets if d.start_date), None),
            objects=objects,
            conceal=conceal,
        )
        return [self.build_plan(spec)]
