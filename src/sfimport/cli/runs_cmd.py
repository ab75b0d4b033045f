"""Run history: `sfimport runs`, and how a finished run is shown by `import` and `refresh`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfimport.cli.context import CliState
from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_table, say, to_jsonable

if TYPE_CHECKING:
    from sfimport.extract.runs import RunInfo

#: What a person reads for each run status.
_STATUS_TEXT = {
    "complete": "Complete",
    "partial": "Partial: some data sets did not finish",
    "waiting_for_limit": "Waiting for the org's daily API limit to reset",
    "running": "Still running",
    "failed": "Failed",
}


def register(app: typer.Typer) -> None:
    app.command("runs", epilog=EXIT_CODES_HELP)(runs)


def runs(
    ctx: typer.Context,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Only runs of this data set.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many runs, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """List recent imports and refreshes, newest first."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_runs(dataset=dataset, limit=limit)
    if state.json:
        emit_json(state, {"runs": [run_json(r) for r in items]})
        return
    print_table(
        state,
        ["Run", "Kind", "Status", "Started", "Finished", "Data sets", "Rows"],
        [
            (
                r.id,
                r.kind,
                r.status,
                r.started_at,
                r.finished_at,
                ", ".join(d.name for d in r.datasets),
                f"{sum(d.rows for d in r.datasets):,}",
            )
            for r in items
        ],
        empty="No runs yet.",
    )


def run_json(run: RunInfo) -> Any:
    return to_jsonable(run)


def print_run(state: CliState, run: RunInfo) -> None:
    """A finished run: a row per data set, then its status and any error with its remedy."""
    print_table(
        state,
        ["Data set", "Status", "Rows", "Expected", "Added", "Updated", "Removed", "API calls"],
        [
            (
                d.name,
                d.status,
                f"{d.rows:,}",
                "" if d.rows_expected is None else f"{d.rows_expected:,}",
                f"{d.added:,}",
                f"{d.updated:,}",
                f"{d.removed:,}",
                f"{d.api_calls:,}",
            )
            for d in run.datasets
        ],
    )
    for d in run.datasets:
        if d.incomplete_reason:
            say(state, f"  {d.name} is incomplete: {d.incomplete_reason}")
    status = _STATUS_TEXT.get(run.status, run.status)
    if run.status == "waiting_for_limit" and run.resume_at is not None:
        status += f" (resumes at {run.resume_at.isoformat(timespec='minutes')})"
    say(state, f"Run {run.id}: {status}.")
    if run.error is not None:
        where = f" ({run.error.dataset})" if run.error.dataset else ""
        state.err.print(f"Error{where}: {run.error.message}", markup=False, highlight=False)
        if run.error.remedy:
            state.err.print(f"Fix: {run.error.remedy}", markup=False, highlight=False)
