"""The background loop that runs due scheduled refreshes and resumes runs waiting for the API
limit, while the web app is up."""

from __future__ import annotations

import logging
import threading

from sfimport.web.ports import WorkspacePort

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 30.0


class SchedulerLoop:
    """Calls the engine every ``interval`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(
        self, workspace: WorkspacePort, interval: float = DEFAULT_INTERVAL_SECONDS
    ) -> None:
        self.workspace = workspace
        self.interval = interval
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
        """One pass: start due schedules, resume waiting runs; returns the runs started."""
        started: list[str] = []
        for step in (self.workspace.run_due_schedules, self.workspace.resume_waiting_runs):
            try:
                started.extend(step())
            except Exception:
                # One failing pass must not end the loop; the runs record their own errors.
                log.exception("scheduler pass failed")
        return started

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
