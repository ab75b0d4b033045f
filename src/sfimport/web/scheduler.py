"""The background loop that runs due scheduled refreshes, resumes runs waiting for the API
limit and runs queued jobs (the embedded worker), while the web app is up."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sfimport.web.ports import WorkspacePort

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 30.0
#: Seconds between two looks at the job queue: a queued run starts within about this long.
QUEUE_INTERVAL_SECONDS = 1.0


class SchedulerLoop:
    """Calls the engine every ``interval`` seconds on a daemon thread until :meth:`stop`, and
    takes queued jobs more often (every ``QUEUE_INTERVAL_SECONDS``, at most ``interval``).

    ``queue``: a scheduler only (`sfimport scheduler --queue`): each due refresh and resume
    goes on the job queue for `sfimport worker`s, here or on other hosts, and this loop runs
    no job itself."""

    def __init__(
        self,
        workspace: WorkspacePort,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        *,
        queue: bool = False,
    ) -> None:
        self.workspace = workspace
        self.interval = interval
        self.queue = queue
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sfimport-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def tick(self) -> list[str]:
        """One pass: start (or queue) due schedules, resume (or queue) waiting runs, run
        queued jobs unless only queuing; returns the runs started or queued."""
        started: list[str] = []
        steps: tuple[Callable[[], Sequence[str]], ...] = (
            self.workspace.run_due_schedules,
            self.workspace.resume_waiting_runs,
            self.workspace.work_queue,
        )
        if self.queue:
            steps = (
                lambda: self.workspace.run_due_schedules(queue=True),
                lambda: self.workspace.resume_waiting_runs(queue=True),
            )
        for step in steps:
            try:
                started.extend(step())
            except Exception:
                # One failing pass must not end the loop; the runs record their own errors.
                log.exception("scheduler pass failed")
        return started

    def _loop(self) -> None:
        beat = min(self.interval, QUEUE_INTERVAL_SECONDS)
        due = time.monotonic() + self.interval
        while not self._stop.wait(beat):
            if time.monotonic() >= due:
                due = time.monotonic() + self.interval
                self.tick()
                continue
            if self.queue:
                continue
            try:
                self.workspace.work_queue()
            except Exception:
                log.exception("queue pass failed")
