"""Progress events of import runs: one ordered, thread-safe log per run that the web app polls
and the CLI renders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

#: What a data set is doing; "waiting" means paused until the org's API allowance resets.
PHASES = ("counting", "downloading", "publishing", "done", "failed", "waiting")


@dataclass(frozen=True)
class ProgressEvent:
    """A snapshot of one data set's progress, numbered within its run (``seq`` from 1)."""

    run_id: str
    seq: int
    dataset: str
    phase: str
    rows_done: int
    rows_expected: int | None
    pages: int
    api_calls: int
    rows_per_second: float | None
    message: str
    at: datetime


Listener = Callable[[ProgressEvent], None]


@dataclass
class EventLog:
    """The events of one run, kept in memory; listeners are called outside the lock."""

    run_id: str
    clock: Callable[[], datetime]
    listeners: list[Listener] = field(default_factory=list)
    _events: list[ProgressEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def emit(
        self,
        dataset: str,
        phase: str,
        *,
        rows_done: int = 0,
        rows_expected: int | None = None,
        pages: int = 0,
        api_calls: int = 0,
        rows_per_second: float | None = None,
        message: str = "",
    ) -> ProgressEvent:
        with self._lock:
            event = ProgressEvent(
                run_id=self.run_id,
                seq=len(self._events) + 1,
                dataset=dataset,
                phase=phase,
                rows_done=rows_done,
                rows_expected=rows_expected,
                pages=pages,
                api_calls=api_calls,
                rows_per_second=rows_per_second,
                message=message,
                at=self.clock(),
            )
            self._events.append(event)
            listeners = list(self.listeners)
        for listener in listeners:
            listener(event)
        return event

    def after(self, seq: int = 0) -> list[ProgressEvent]:
        """Events with a sequence number above ``seq`` (0: all of them)."""
        with self._lock:
            return self._events[seq:]

    def latest(self) -> dict[str, ProgressEvent]:
        """The last event of each data set."""
        with self._lock:
            return {e.dataset: e for e in self._events}
