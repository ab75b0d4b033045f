"""Ctrl-C during a run: the first one stops the run after its current page (recorded as
interrupted, with the command that resumes it); a second one quits at once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from sfimport.cli.context import CliState


@contextmanager
def stop_runs_on_ctrl_c(state: CliState) -> Iterator[None]:
    """While the block runs (a run in this process), Ctrl-C asks the workspace to stop."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread; nothing to install elsewhere
        return
    workspace = state.workspace()
    pressed = threading.Event()

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()
        state.err.print(
            "Stopping after the current page (press Ctrl-C again to quit at once)...",
            markup=False,
            highlight=False,
        )
        workspace.interrupt()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
