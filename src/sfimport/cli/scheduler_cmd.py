"""`sfimport scheduler`: fire due schedules and resume due runs, as a service of its own.

`serve` and `demo` host the same loop; this command runs it without the web app (e.g. under
systemd next to a `serve` with scheduling left to it). Several schedulers on one data folder are
safe: each due schedule fires once, and a stopped run is resumed by one of them only. With
``--queue`` it only schedules: each due refresh and resume becomes one job for `sfimport worker`.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from sfimport.cli.options import command_state
from sfimport.cli.output import EXIT_CODES_HELP, say


def register(app: typer.Typer) -> None:
    app.command("scheduler", epilog=EXIT_CODES_HELP)(scheduler)


def scheduler(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds between two passes (default 30)."),
    ] = 30.0,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Put each due refresh and resume on the job queue for 'sfimport worker' "
            "(on this host or another) instead of running it here.",
        ),
    ] = False,
) -> None:
    """Fire due schedules and resume due runs until stopped (Ctrl-C or SIGTERM).

    Example: sfimport scheduler --queue (next to one or more 'sfimport worker')"""
    from sfimport.web.scheduler import SchedulerLoop

    state = command_state(ctx, False)
    workspace = state.workspace()
    loop = SchedulerLoop(workspace, interval, queue=queue)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    say(state, f"sfimport scheduler: a pass every {interval:g} s (Ctrl-C to stop)")
    try:
        while not stop.is_set():
            for run_id in loop.tick():
                say(state, f"{'queued' if queue else 'started'} run {run_id}")
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        say(state, "sfimport scheduler: stopping; running runs stop at their next page")
