"""Queued work: put an import on the job queue, and run the queue's jobs (the worker of
`sfimport worker`, and the one `serve`, `demo` and `sfimport scheduler` host)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sfimport.app.runs import RunsService
from sfimport.errors import SfimportError, UsageError
from sfimport.extract.outcomes import before_start
from sfimport.extract.plan import ImportPlan
from sfimport.jobs.port import Job, JobKind
from sfimport.jobs.worker import JobEnd, Worker
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.runs import ErrorInfo, RunStatus

logger = redacting_logger(__name__)

#: Seconds between two looks at the queue while a one-pass worker waits for its jobs.
ONCE_POLL_SECONDS = 0.2


class JobsService(RunsService):
    """Queued work: put an import on the job queue, and run the queue's jobs."""

    _job_worker: Worker | None = None

    def queue_import(self, plan: ImportPlan) -> str:
        """Record an import and put it on the job queue for a worker (here or on another
        host); returns its run id at once. BudgetExceeded (nothing queued) over its budget."""
        self._check_budget(plan)
        return self._enqueue(plan, "import")

    def queue_refresh(self, datasets: list[str] | None = None, *, all: bool = False) -> list[str]:
        """Plan refreshes (one run per connection and folder) and put them on the job queue;
        returns their run ids at once. A refresh that cannot even be planned (a revoked
        token) is recorded as a failed run, as a manual refresh is, and its error raised."""
        plans = self._plan_or_record(datasets, all=all, trigger="manual")
        for plan in plans:
            self._check_budget(plan)
        return [self._enqueue(plan, "refresh") for plan in plans]

    def queue_resume(self, run_id: str) -> str:
        """Put a stopped run on the job queue for a worker to resume where it stopped;
        returns its id at once. UsageError when there is nothing to resume."""
        run = self._ledger.get(run_id)
        if not self._ledger.queue_stopped(run_id, due=False):
            raise UsageError(f"Run {run_id} is {run.status}; there is nothing to resume.")
        self._queue.enqueue(JobKind.RUN, run_id)
        return run_id

    def work_queue(self, *, until_empty: bool = False) -> list[str]:
        """Take queued jobs while this process has free worker slots, and run each in a
        background thread (a job whose worker died is taken over and resumed from its last
        checkpoint). ``until_empty``: keep going until the queue has nothing to claim and
        every job taken has ended (one pass of `sfimport worker --once`). Returns the runs."""
        worker = self._worker()
        taken: list[str] = []
        while not self._closing.is_set():
            started = [job.run_id for job in worker.run_once()]
            taken += started
            if not until_empty:
                break
            if not started and worker.busy() == 0:
                # Idle now: one more look, since the last jobs may have ended just after the
                # queue was read with every slot busy.
                started = [job.run_id for job in worker.run_once()]
                taken += started
                if not started:
                    break
            worker.wait_idle(ONCE_POLL_SECONDS)
        return taken

    def _worker(self) -> Worker:
        with self._lock:
            if self._job_worker is None:
                self._job_worker = Worker(
                    self._queue,
                    self._run_job,
                    owner=self._owner,
                    concurrency=self.settings.workers,
                    spawn=self._spawn_job,
                )
            return self._job_worker

    def _spawn_job(self, run_id: str, target: Callable[[], None]) -> None:
        self._track(run_id, threading.Thread(target=target, name=f"run-{run_id}"))

    def _run_job(self, job: Job, lost: threading.Event) -> JobEnd:
        """Execute the run of a job in this (the job's) thread. A run another process holds
        or that already ended needs nothing more; one stopped by this process shutting down
        goes back on the queue, to be resumed by the next worker."""
        try:
            taken = self._resume(job.run_id, background=False, replacing=job.replaced, lost=lost)
        except UsageError:
            if self._closing.is_set():
                return JobEnd.RELEASE
            raise
        except SfimportError as error:
            # Every attempt is a run: a queued run that cannot start (a revoked connection)
            # says why on the run itself, with the remedy the outcome table offers.
            logger.warning("Queued run %s could not start: %s", job.run_id, error.message)
            if self._ledger.get(job.run_id).status is RunStatus.QUEUED:
                info = ErrorInfo.from_error(error, actions=before_start(error).actions)
                self._ledger.finish(job.run_id, RunStatus.FAILED.value, error=info)
            raise
        if not taken:
            logger.info(
                "Run %s is held elsewhere or ended; job %s has nothing to do", job.run_id, job.id
            )
            return JobEnd.DONE
        run = self._ledger.get(job.run_id)
        if self._closing.is_set() and run.status is not RunStatus.COMPLETE:
            return JobEnd.RELEASE
        return JobEnd.DONE
