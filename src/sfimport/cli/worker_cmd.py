"""`sfimport worker`: run the queued imports of a data folder, as a service of its own.

Any number of workers (on one host or many, sharing the metadata database) take jobs from the
queue; each job goes to one of them. A worker holds a lease on each run it works on and renews
it; when a worker dies, its runs are resumed from their last saved page by the next worker to
claim them once the lease lapses (SFIMPORT_LEASE_SECONDS). SIGTERM stops it gracefully: its
runs stop after their current page and go back on the queue, resumable.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, say


def register(app: typer.Typer) -> None:
    app.command("worker", epilog=EXIT_CODES_HELP)(worker)


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Runs this worker executes at once (default SFIMPORT_WORKERS, 2).",
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="One pass: run what the queue holds now (and what frees up meanwhile), then "
            "exit; for cron or a systemd timer.",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(min=0.05, help="Seconds between two looks at the queue (default 1)."),
    ] = 1.0,
    as_json: JsonFlag = False,
) -> None:
    """Run queued imports until stopped; a run whose worker died is resumed here.

    Stops on Ctrl-C or SIGTERM: running runs stop after their current page and go back on the
    queue, resumable. Example: sfimport worker --concurrency 2"""
    state = command_state(ctx, as_json)
    if concurrency is not None:
        state.settings = state.get_settings().model_copy(update={"workers": concurrency})
    workspace = state.workspace()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        # Runs stop after their current page and their jobs go back on the queue.
        workspace.interrupt_for_shutdown()

    previous = signal.signal(signal.SIGTERM, _stop)
    taken: list[str] = []
    try:
        if once:
            taken = workspace.work_queue(until_empty=True)
        else:
            say(state, f"sfimport worker: looking for queued runs every {interval:g} s")
            while not stop.is_set():
                for run_id in workspace.work_queue():
                    taken.append(run_id)
                    say(state, f"took run {run_id}")
                stop.wait(interval)
    except KeyboardInterrupt:
        workspace.interrupt_for_shutdown()
    finally:
        signal.signal(signal.SIGTERM, previous)
        say(state, "sfimport worker: stopping; running runs stop at their next page")
        workspace.close()
    if state.json:
        runs = [workspace.get_run(run_id) for run_id in dict.fromkeys(taken)]
        emit_json(state, {"runs": [{"id": r.id, "status": r.status.value} for r in runs]})
