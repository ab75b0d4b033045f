"""The worker: claims jobs from a queue up to its concurrency and runs each in its own thread,
holding the job's lease (renewed by a keeper) until the job ends or is handed back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum

from sfimport.jobs.lease import LeaseKeeper
from sfimport.jobs.port import Job, JobQueue

logger = logging.getLogger(__name__)

#: Renewals per lease term: a holder misses two beats before its lease can lapse.
BEATS_PER_LEASE = 3


class JobEnd(StrEnum):
    """How a job's work ended, as the worker tells the queue."""

    #: Finished (the run records its own outcome: complete, partial, failed, waiting).
    DONE = "done"
    #: Stopped unfinished by a graceful shutdown: handed back for the next claim to resume.
    RELEASE = "release"


#: Runs one job; the event is set when its lease was lost (the work must stop at once).
Execute = Callable[[Job, threading.Event], JobEnd]
#: Starts a job's thread: (name, target); the services track these threads to wait on them.
Spawn = Callable[[str, Callable[[], None]], None]


def _thread(name: str, target: Callable[[], None]) -> None:
    threading.Thread(target=target, name=name).start()


class Worker:
    """Takes jobs while it has free slots; several workers (threads, processes, hosts) may
    share one queue, since each claim goes to exactly one of them."""

    def __init__(
        self,
        queue: JobQueue,
        execute: Execute,
        *,
        owner: str,
        concurrency: int = 1,
        spawn: Spawn = _thread,
    ) -> None:
        self._queue = queue
        self._execute = execute
        self.owner = owner
        self.concurrency = max(1, concurrency)
        self._spawn = spawn
        self._lock = threading.Lock()
        self._active: dict[str, Job] = {}
        self._idle = threading.Condition(self._lock)

    def busy(self) -> int:
        with self._lock:
            return len(self._active)

    def run_once(self) -> list[Job]:
        """Claim jobs until every slot is busy or none is left; start each. Returns them."""
        started = []
        while self.busy() < self.concurrency:
            job = self._queue.claim(self.owner)
            if job is None:
                break
            if job.replaced is not None:
                logger.warning(
                    "Took over job %s of run %s: the lease of %s lapsed",
                    job.id,
                    job.run_id,
                    job.replaced,
                )
            with self._lock:
                self._active[job.id] = job
            self._spawn(f"job-{job.run_id}", lambda job=job: self._run(job))  # type: ignore[misc]
            started.append(job)
        return started

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job of this worker runs; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._active, timeout)

    def _run(self, job: Job) -> None:
        every = self._queue.lease_seconds / BEATS_PER_LEASE
        keeper = LeaseKeeper(
            lambda: self._queue.renew(job.id, self.owner), every, name=f"job-{job.id}"
        ).start()
        try:
            try:
                end = self._execute(job, keeper.lost)
            except Exception as error:
                logger.exception("Job %s of run %s failed", job.id, job.run_id)
                keeper.stop()
                if not keeper.lost.is_set():
                    self._queue.fail(job.id, self.owner, f"{error.__class__.__name__}: {error}")
                return
            keeper.stop()
            if keeper.lost.is_set():
                logger.warning("Job %s of run %s was taken over elsewhere", job.id, job.run_id)
            elif end is JobEnd.RELEASE:
                self._queue.release(job.id, self.owner)
            else:
                self._queue.complete(job.id, self.owner)
        finally:
            # A BaseException (the process being torn down) leaves the job to lapse.
            keeper.stop()
            with self._idle:
                self._active.pop(job.id, None)
                self._idle.notify_all()
