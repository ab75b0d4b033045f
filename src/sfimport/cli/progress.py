"""Progress of a run as the engine reports it: Rich bars, plain lines, or nothing.

The engine calls ``on_event`` with a progress event per data set (possibly from several download
threads at once). On a terminal one Rich ``Progress`` shows a bar per data set (percent of the
COUNT the plan expected, rows with thousands separators, rows/s, time left); when stdout is not
a terminal a line is printed when a data set changes phase and at most every few seconds while
it downloads; with ``--json`` nothing is printed until the final JSON.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

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
    """``Lead: downloading 4,000/10,000 rows (40%, 1,234 rows/s, about 5 s left)``."""
    rows = f"{event.rows_done:,}"
    if event.rows_expected is not None:
        rows += f"/{event.rows_expected:,}"
    text = f"{event.dataset}: {event.phase} {rows} rows"
    details = []
    if event.phase == "downloading" and event.rows_expected:
        details.append(f"{percent(event.rows_done, event.rows_expected)}%")
    if event.rows_per_second:
        details.append(f"{event.rows_per_second:,.0f} rows/s")
    left = seconds_left(event)
    if event.phase == "downloading" and left is not None:
        details.append(f"about {duration(left)} left")
    if details:
        text += f" ({', '.join(details)})"
    if event.message:
        text += f" - {event.message}"
    return text


def percent(done: int, expected: int) -> int:
    """Whole percent of the COUNT the plan expected, never over 100 (rows can be added)."""
    return min(100, done * 100 // expected) if expected > 0 else 100


def seconds_left(event: ProgressEventLike) -> float | None:
    """The rest of the expected rows at the current speed (None when either is unknown)."""
    if not event.rows_expected or not event.rows_per_second:
        return None
    return max(0.0, (event.rows_expected - event.rows_done) / event.rows_per_second)


def duration(seconds: float) -> str:
    """``5 s``, ``3 min 20 s``, ``1 h 05 min``."""
    whole = math.ceil(seconds)  # never "0 s" while rows are still coming
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class RowsColumn(ProgressColumn):
    """``4,000/10,000`` with thousands separators (``4,000`` while the total is unknown)."""

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        if task.total is None:
            return Text(done)
        return Text(f"{done}/{int(task.total):,}")


class EtaColumn(ProgressColumn):
    """Time left from the engine's rows/s and the COUNT, as ``ETA 1 min 05 s``."""

    def render(self, task: Task) -> Text:
        left = task.fields.get("left")
        return Text(f"ETA {duration(left)}" if isinstance(left, float) else "")


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
                    event.dataset, total=event.rows_expected, status="", speed="", left=None
                )
                self._tasks[event.dataset] = task
        speed = f"{event.rows_per_second:,.0f} rows/s" if event.rows_per_second else ""
        left = seconds_left(event) if event.phase == "downloading" else None
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
            left=left,
        )


@contextmanager
def progress_listener(state: CliState) -> Iterator[Callable[[ProgressEventLike], None] | None]:
    """The ``on_event`` callback for a run in this invocation's output mode."""
    if state.json or state.quiet:
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
        TaskProgressColumn(),
        RowsColumn(),
        TextColumn("{task.fields[speed]}"),
        EtaColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=state.out,
        transient=False,
    )
    with progress:
        yield RichProgress(progress)
