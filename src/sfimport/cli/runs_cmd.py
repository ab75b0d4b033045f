"""Runs: `runs`, `resume` and `resolve`, and how a finished run is shown by every command that
runs one, with the exact commands that act on its error."""

from __future__ import annotations

import difflib
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfimport.cli.context import CliState
from sfimport.cli.ctrl_c import stop_runs_on_ctrl_c
from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import (
    EXIT_CODES_HELP,
    emit_json,
    exit_code_for_status,
    print_table,
    say,
    to_jsonable,
)
from sfimport.cli.progress import progress_listener
from sfimport.errors import UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import ErrorInfo, RunInfo

#: What a person reads for each run status.
_STATUS_TEXT = {
    "complete": "Complete",
    "partial": "Partial: some data sets did not finish",
    "waiting_for_limit": "Waiting for the org's daily API limit to reset",
    "interrupted": "Interrupted: it stopped after its last saved page",
    "running": "Still running",
    "queued": "Queued: waiting for a worker ('sfimport worker')",
    "failed": "Failed",
}

#: Seconds between two looks at a run started in the background (`resolve`).
POLL_INTERVAL = 0.1

RunId = Annotated[
    str, typer.Argument(metavar="RUN_ID", help="A run's id, as 'sfimport runs' lists it.")
]


class FieldAction(StrEnum):
    """What to do about a field that went away (the engine's action names, with hyphens)."""

    reimport = "reimport"
    continue_without_field = "continue-without-field"
    retry = "retry"


def register(app: typer.Typer) -> None:
    app.command("runs", epilog=EXIT_CODES_HELP)(runs)
    app.command("resume", epilog=EXIT_CODES_HELP)(resume)
    app.command("resolve", epilog=EXIT_CODES_HELP)(resolve)


def runs(
    ctx: typer.Context,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Only runs of this data set.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many runs, newest first.")] = 20,
    log: Annotated[
        str | None,
        typer.Option(
            "--log",
            metavar="RUN_ID",
            help="Print this run's log (oldest line first, tokens redacted) instead of the list.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List recent imports and refreshes, newest first.

    With --log RUN_ID, print that run's log instead.
    """
    state = command_state(ctx, as_json)
    if log is not None:
        _print_log(state, log)
        return
    items = state.workspace().list_runs(dataset=dataset, limit=limit)
    if dataset is not None and not items:
        _check_dataset_name(state, dataset)
    if state.json:
        emit_json(state, {"runs": [run_json(r) for r in items]})
        return
    print_table(
        state,
        ["Run", "Kind", "Status", "Started", "Finished", "Data sets", "Rows", "Next"],
        [
            (
                r.id,
                r.kind,
                # A running run names the worker holding it (host:pid).
                f"{r.status} on {r.worker}" if r.worker is not None else r.status,
                r.started_at,
                r.finished_at,
                ", ".join(d.name for d in r.datasets),
                f"{sum(d.rows for d in r.datasets):,}",
                "; ".join(next_commands(r)),
            )
            for r in items
        ],
        empty="No runs yet.",
    )


def _print_log(state: CliState, run_id: str) -> None:
    text = state.workspace().run_log(run_id)
    if state.json:
        emit_json(state, {"run_id": run_id, "log": text})
        return
    if not text:
        state.err.print(f"Run {run_id} has no log lines.", markup=False, highlight=False)
        return
    typer.echo(text, nl=not text.endswith("\n"))


def _check_dataset_name(state: CliState, dataset: str) -> None:
    """A data set with no runs must at least exist: a typo is bad usage, not "No runs yet"."""
    known = [d.qualified for d in state.workspace().list_datasets()]
    wanted = dataset.strip().lower()
    if any(wanted in (q.lower(), q.partition(".")[2].lower()) for q in known):
        return
    close = difflib.get_close_matches(dataset, known + [q.partition(".")[2] for q in known])
    hint = f" Did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
    raise UsageError(
        f"There is no data set {dataset!r} in My Data.{hint}",
        remedy="List data sets with 'sfimport datasets'; --dataset takes Folder.Name or Name.",
    )


def resume(
    ctx: typer.Context,
    run_id: RunId,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Put the resume on the job queue for a worker ('sfimport worker', or the one "
            "'serve' and 'demo' host) and print the run id at once, instead of running it here.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Resume a stopped run where it stopped (interrupted, or waiting for the API limit).

    Data sets already published are not read again; the others continue from their last saved
    page. Run it after fixing what stopped the run, e.g. re-authorising the connection.
    """
    state = command_state(ctx, as_json)
    if queue:
        queued = state.workspace().queue_resume(run_id)
        if state.json:
            emit_json(state, {"run_id": queued, "status": "queued"})
        else:
            say(state, f"Queued run {queued}; a worker resumes it ('sfimport runs' shows it).")
        return
    if not state.json:
        state.err.print(f"Resuming run {run_id}...", markup=False, highlight=False)
    with stop_runs_on_ctrl_c(state):
        result = state.workspace().resume_run(run_id)
    _finish(state, result.run)


def resolve(
    ctx: typer.Context,
    run_id: RunId,
    action: Annotated[
        FieldAction,
        typer.Option(
            "--action",
            help="reimport: import the data set afresh with the fields Salesforce has now; "
            "continue-without-field: keep refreshing without the missing field; retry: read "
            "it again once the field is back in Salesforce.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Act on a run stopped by a field that went away in Salesforce.

    Starts a new run and follows it to the end; its id is printed with its result.
    """
    state = command_state(ctx, as_json)
    workspace = state.workspace()
    new_run = workspace.resolve_field_error(run_id, action.value.replace("-", "_"))
    if not state.json:
        state.err.print(f"Started run {new_run} ({action.value}).", markup=False, highlight=False)
    _finish(state, follow_run(state, new_run))


def follow_run(state: CliState, run_id: str) -> RunInfo:
    """Show the progress of a run going on in the background until it stops running."""
    workspace = state.workspace()
    seen = 0
    with stop_runs_on_ctrl_c(state), progress_listener(state) as on_event:
        while True:
            # Read the status first: events emitted before it stopped are then all listed.
            run = workspace.get_run(run_id)
            for event in workspace.run_events(run_id, after=seen):
                seen = max(seen, event.seq)
                if on_event is not None:
                    on_event(event)
            if run.status != "running":
                return run
            time.sleep(POLL_INTERVAL)


def _finish(state: CliState, run: RunInfo) -> None:
    if state.json:
        emit_json(state, {"run": run_json(run)})
    else:
        print_run(state, run)
    raise typer.Exit(exit_code_for_status(run.status))


def run_json(run: RunInfo) -> Any:
    data = to_jsonable(run)
    if isinstance(data, dict):
        data["next_commands"] = next_commands(run)
    return data


def next_commands(run: RunInfo) -> list[str]:
    """The commands that act on a stopped run's errors, exactly as a person would type them."""
    if run.status in ("complete", "running"):
        return []
    errors = [run.error, *(d.error for d in run.datasets)]
    commands: list[str] = []
    for error in errors:
        if error is None:
            continue
        for action in error.actions:
            command = _command_for(run, error, action)
            if command and command not in commands:
                commands.append(command)
    return commands


def _command_for(run: RunInfo, error: ErrorInfo, action: str) -> str | None:
    if error.field and action in ("reimport", "retry", "continue_without_field"):
        return f"sfimport resolve {run.id} --action {action.replace('_', '-')}"
    if action == "reauthorize":
        # A new login for the same connection: its data sets, schedules and this run stay.
        return f"sfimport connect {_quoted(run.connection)} --reauthorize"
    if action in ("resume", "retry", "reimport"):
        # Resuming reads again every data set of the run that did not finish.
        return f"sfimport resume {run.id}"
    return None


def _quoted(text: str) -> str:
    safe = text and all(c.isalnum() or c in "-_.@" for c in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


def print_run(state: CliState, run: RunInfo) -> None:
    """A finished run: a row per data set, its status, any error with its remedy, and the
    commands that act on it."""
    if not state.quiet:
        _print_datasets(state, run)
    status = _STATUS_TEXT.get(run.status) or str(run.status)
    if run.status == "waiting_for_limit" and run.resume_at is not None:
        status += f" (resumes at {run.resume_at.isoformat(timespec='minutes')})"
    say(state, f"Run {run.id}: {status}.")
    _print_error(state, run)


def _print_datasets(state: CliState, run: RunInfo) -> None:
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
        if d.status == "superseded":
            say(state, f"  {d.name} was left as it is: a later run already brought it up to date.")
        elif d.incomplete_reason:
            say(state, f"  {d.name} is incomplete: {d.incomplete_reason}")
        elif d.status == "interrupted" and d.error is not None:
            say(state, f"  {d.name} was interrupted: {d.error.message}")


def _print_error(state: CliState, run: RunInfo) -> None:
    """The run's error and the commands that act on it, on stderr (also with -q)."""
    if run.error is not None:
        where = f"{run.error.dataset}: " if run.error.dataset else ""
        state.err.print(f"Error: {where}{run.error.message}", markup=False, highlight=False)
        if run.error.remedy:
            # Remedies name the run as RUN_ID; here it is known.
            remedy = run.error.remedy.replace("RUN_ID", run.id)
            state.err.print(f"Fix: {remedy}", markup=False, highlight=False)
    commands = next_commands(run)
    if commands:
        state.err.print("Next, one of:" if len(commands) > 1 else "Next:", markup=False)
        for command in commands:
            state.err.print(f"  {command}", markup=False, highlight=False)
