"""Progress of a run as the engine reports it: Rich bars, plain lines, or nothing.

The engine calls ``on_event`` with a progress event per data set (possibly from several download
threads at once). On a terminal one Rich ``Progress`` shows a bar per data set (rows of expected,
rows/s); when stdout is not a terminal a line is printed when a data set changes phase and at most
every few seconds while it downloads; with ``--json`` nothing is printed until the final JSON.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sfimport.cli.context import CliState


class ProgressEventLike(Protocol):
    """The fields of the engine's ProgressEvent this module reads."""

    @property
    def dataset(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def rows_done(self) -> int: ...
    @property
    def rows_expected(self) -> int | None: ...
    @property
    def rows_per_second(self) -> float | None: ...
    @property
    def message(self) -> str: ...
    @property
    def at(self) -> datetime: ...


#: Seconds between two "downloading" lines of one data set in plain mode.
PLAIN_INTERVAL = 5.0


class PlainProgress:
    """One line per phase change, and a throttled line while a data set downloads."""

    def __init__(
        self, write: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._write = write
        self._clock = clock
        self._lock = threading.Lock()
        self._phase: dict[str, str] = {}
        self._last_line: dict[str, float] = {}

    def __call__(self, event: ProgressEventLike) -> None:
        with self._lock:
            now = self._clock()
            changed = self._phase.get(event.dataset) != event.phase
            due = now - self._last_line.get(event.dataset, -PLAIN_INTERVAL) >= PLAIN_INTERVAL
            if not changed and not due:
                return
            self._phase[event.dataset] = event.phase
            self._last_line[event.dataset] = now
            self._write(describe_event(event))


def describe_event(event: ProgressEventLike) -> str:
    """``Lead: downloading 4,000/10,000 rows (1,234 rows/s)`` and similar."""
    rows = f"{event.rows_done:,}"
    if event.rows_expected is not None:
        rows += f"/{event.rows_expected:,}"
    text = f"{event.dataset}: {event.phase} {rows} rows"
    if event.rows_per_second:
        text += f" ({event.rows_per_second:,.0f} rows/s)"
    if event.message:
        text += f" - {event.message}"
    return text


class RichProgress:
    """A bar per data set inside one Rich ``Progress``."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEventLike) -> None:
        with self._lock:
            task = self._tasks.get(event.dataset)
            if task is None:
                task = self._progress.add_task(
                    event.dataset, total=event.rows_expected, status="", speed=""
                )
                self._tasks[event.dataset] = task
        speed = f"{event.rows_per_second:,.0f} rows/s" if event.rows_per_second else ""
        status = event.phase if not event.message else f"{event.phase}: {event.message}"
        total = event.rows_expected
        if event.phase == "done" and total is None:
            total = event.rows_done
        self._progress.update(
            task,
            completed=event.rows_done,
            total=total,
            status=status,
            speed=speed,
        )


@contextmanager
def progress_listener(state: CliState) -> Iterator[Callable[[ProgressEventLike], None] | None]:
    """The ``on_event`` callback for a run in this invocation's output mode."""
    if state.json:
        yield None
        return
    if not state.is_terminal:
        out = state.out.file

        def write(line: str) -> None:
            out.write(line + "\n")
            out.flush()

        yield PlainProgress(write)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[speed]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=state.out,
        transient=False,
    )
    with progress:
        yield RichProgress(progress)
