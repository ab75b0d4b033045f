"""`sfimport pipe create|list|show|run|edit|delete`: pipes from definition files (TOML) that can
live in git; `pipe show NAME --definition` prints the file back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_pairs, print_table, say
from sfimport.errors import PipeFailed, UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import PipeRun
    from sfimport.cli.context import CliState

pipe_app = typer.Typer(
    help="Pipes: data sets derived from others by SQL or a chain of steps, rebuilt whenever "
    "a source is imported or refreshed.",
    no_args_is_help=True,
)

PipeName = Annotated[str, typer.Argument(help="The pipe, as Folder.Name (its output data set).")]
DefinitionFile = Annotated[
    Path,
    typer.Argument(
        help="The pipe's definition, a TOML file ('-' reads standard input); see the README.",
        allow_dash=True,
    ),
]
PreviewFlag = Annotated[
    bool,
    typer.Option(
        "--preview",
        help="Check the definition and show its SQL and first rows; save nothing.",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(pipe_app, name="pipe", epilog=EXIT_CODES_HELP)


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(
            f"Cannot read the pipe file {path}: {error.strerror or error}.",
            remedy="Check the path.",
        ) from error


@pipe_app.command("create", epilog=EXIT_CODES_HELP)
def create(
    ctx: typer.Context,
    file: DefinitionFile,
    preview: PreviewFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Save a new pipe from a definition file and build its output."""
    state = command_state(ctx, as_json)
    text = _read(file)
    if preview:
        _preview(state, text)
        return
    _report_run(state, state.workspace().create_pipe(text), "Created")


@pipe_app.command("edit", epilog=EXIT_CODES_HELP)
def edit(
    ctx: typer.Context,
    name: PipeName,
    file: DefinitionFile,
    preview: PreviewFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Save a new version of a pipe from a definition file and rebuild it."""
    state = command_state(ctx, as_json)
    text = _read(file)
    if preview:
        _preview(state, text)
        return
    _report_run(state, state.workspace().edit_pipe(name, text), "Saved")


@pipe_app.command("list", epilog=EXIT_CODES_HELP)
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the pipes, what they read and how their last run went."""
    state = command_state(ctx, as_json)
    pipes = state.workspace().list_pipes()
    if state.json:
        emit_json(state, {"pipes": pipes})
        return
    print_table(
        state,
        ["Pipe", "Version", "Reads", "Rows", "Last run", "Status"],
        [
            (
                p.qualified,
                p.version,
                p.sources,
                p.row_count,
                p.last_run.finished_at if p.last_run else None,
                p.last_run.status if p.last_run else "",
            )
            for p in pipes
        ],
        empty="No pipes. Create one with 'sfimport pipe create FILE'.",
    )


@pipe_app.command("show", epilog=EXIT_CODES_HELP)
def show(
    ctx: typer.Context,
    name: PipeName,
    definition: Annotated[
        bool,
        typer.Option("--definition", help="Print only the definition file (to keep in git)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show a pipe: its definition, SQL, columns, lineage, versions and recent runs."""
    state = command_state(ctx, as_json)
    detail = state.workspace().get_pipe(name)
    if state.json:
        emit_json(state, {"pipe": detail})
        return
    if definition:
        state.out.file.write(detail.definition)
        return
    info = detail.info
    print_pairs(
        state,
        [
            ("Pipe", info.qualified),
            ("Version", info.version),
            ("Reads", info.sources),
            ("Read by", detail.lineage.downstream),
            ("Rows", info.row_count),
            ("Schedule", info.every or "after each publish of a source"),
        ],
    )
    say(state, "\nSQL:\n" + detail.sql)
    if detail.columns:
        print_table(
            state,
            ["Column", "Type", "Concealed"],
            [(c.name, c.type, c.note or c.concealed) for c in detail.columns],
            title="Columns",
        )
    print_table(
        state,
        ["Started", "Trigger", "Cause", "Status", "Rows", "Error"],
        [
            (r.started_at, r.trigger, r.cause, r.status, r.rows, r.error.message if r.error else "")
            for r in detail.runs
        ],
        title="Runs",
        empty="No runs yet.",
    )


@pipe_app.command("run", epilog=EXIT_CODES_HELP)
def run(ctx: typer.Context, name: PipeName, as_json: JsonFlag = False) -> None:
    """Rebuild a pipe now, then every pipe that reads it."""
    state = command_state(ctx, as_json)
    _report_run(state, state.workspace().run_pipe(name), "Rebuilt")


@pipe_app.command("delete", epilog=EXIT_CODES_HELP)
def delete(ctx: typer.Context, name: PipeName, as_json: JsonFlag = False) -> None:
    """Delete a pipe and its output (refused while other pipes read it)."""
    state = command_state(ctx, as_json)
    state.workspace().delete_pipe(name)
    if state.json:
        emit_json(state, {"deleted": name})
        return
    say(state, f"Deleted pipe {name} and its output.")


def _preview(state: CliState, text: str) -> None:
    preview = state.workspace().preview_pipe(text)
    if state.json:
        emit_json(state, {"preview": preview})
        return
    say(state, f"{preview.qualified} reads {', '.join(preview.sources)}.\n\nSQL:\n{preview.sql}\n")
    print_table(
        state,
        [c.name + (" (concealed)" if c.concealed else "") for c in preview.columns],
        preview.rows,
        title="First rows",
        empty="No rows.",
    )


def _report_run(state: CliState, run: PipeRun, verb: str) -> None:
    if run.error is not None:
        raise PipeFailed(
            run.error.message,
            pipe=run.pipe,
            remedy=run.error.remedy,
            step=run.error.step,
            column=run.error.column,
        )
    if state.json:
        emit_json(state, {"run": run})
        return
    say(state, f"{verb} pipe {run.pipe} (version {run.version}): {run.rows:,} rows.")
