"""Refresh schedules: `schedule`, `schedules` and `unschedule`, per data set or per connection.

A schedule's name is the data set's ``Folder.Name``, or ``connection:NAME`` for one that
refreshes every data set of a connection; `schedules` lists those names and `unschedule` takes
them back. Schedules fire while `sfimport serve` or `sfimport demo` is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_table, say
from sfimport.errors import NotFound, UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import ScheduleInfo

#: Schedule names of a whole connection carry this prefix (the engine's key).
CONNECTION_PREFIX = "connection:"

ConnectionOption = Annotated[
    str | None,
    typer.Option(
        "--connection",
        "-c",
        metavar="NAME",
        help="Every data set imported from this connection, instead of one data set.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("schedule", epilog=EXIT_CODES_HELP)(schedule)
    app.command("schedules", epilog=EXIT_CODES_HELP)(schedules)
    app.command("unschedule", epilog=EXIT_CODES_HELP)(unschedule)


def schedule(
    ctx: typer.Context,
    dataset: Annotated[
        str | None,
        typer.Argument(metavar="[DATASET]", help="A data set, as Folder.Name or a unique Name."),
    ] = None,
    every: Annotated[
        str,
        typer.Option(
            "--every",
            metavar="1h|1d|CRON",
            help="How often: an interval such as 30m, 1h or 1d, or a cron expression in UTC "
            "('0 6 * * 1-5'). Refreshes run while 'sfimport serve' or 'demo' is running.",
        ),
    ] = "",
    connection: ConnectionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Refresh a data set, or every data set of a connection, on a schedule.

    Examples: sfimport schedule Sales.Lead --every 1h; sfimport schedule --connection prod
    --every '0 6 * * *'. Setting a schedule again replaces it.
    """
    state = command_state(ctx, as_json)
    if (dataset is None) == (connection is None):
        raise UsageError(
            "Name a data set or pass --connection NAME (not both).",
            remedy="List data sets with 'sfimport datasets' and connections with "
            "'sfimport connections'.",
        )
    if not every.strip():
        raise UsageError(
            "Say how often with --every, e.g. --every 1h, --every 1d or --every '0 6 * * *'."
        )
    workspace = state.workspace()
    if connection is not None:
        info = workspace.set_connection_schedule(connection, every)
    else:
        assert dataset is not None
        info = workspace.set_schedule(dataset, every)
    if state.json:
        emit_json(state, {"schedule": schedule_json(info)})
        return
    say(
        state,
        f"Scheduled {_describe(info.dataset)} every {info.every}; next run "
        f"{info.next_run_at.isoformat(sep=' ', timespec='minutes')} UTC.",
    )
    say(state, "Scheduled refreshes run while 'sfimport serve' (or 'sfimport demo') is running.")


def schedules(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the refresh schedules and when each runs next."""
    state = command_state(ctx, as_json)
    items = sorted(state.workspace().list_schedules(), key=lambda s: s.next_run_at)
    if state.json:
        emit_json(state, {"schedules": [schedule_json(s) for s in items]})
        return
    print_table(
        state,
        ["Schedule", "Refreshes", "Every", "Next run (UTC)"],
        [(s.dataset, _describe(s.dataset), s.every, s.next_run_at) for s in items],
        empty="No schedules. Add one with 'sfimport schedule DATASET --every 1d'.",
    )


def unschedule(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="The schedule's name as 'sfimport schedules' lists it: a data set "
            "(Folder.Name or a unique Name) or connection:NAME.",
        ),
    ] = None,
    connection: ConnectionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Stop refreshing a data set or a connection on a schedule."""
    state = command_state(ctx, as_json)
    if (name is None) == (connection is None):
        raise UsageError(
            "Name the schedule to remove, or pass --connection NAME (not both).",
            remedy="List schedules with 'sfimport schedules'.",
        )
    workspace = state.workspace()
    key = f"{CONNECTION_PREFIX}{connection}" if connection is not None else str(name)
    existing = {s.dataset for s in workspace.list_schedules()}
    if key not in existing and connection is None:
        # A data set may be named without its folder: the schedule is kept under Folder.Name.
        key = workspace.get_dataset(key).qualified
    if key not in existing:
        raise NotFound(
            f"There is no schedule for {_describe(key)}.",
            remedy="List schedules with 'sfimport schedules'.",
        )
    workspace.remove_schedule(key)
    if state.json:
        emit_json(state, {"removed": key})
        return
    say(state, f"Removed the schedule of {_describe(key)}.")


def schedule_json(info: ScheduleInfo) -> dict[str, Any]:
    connection = _connection_of(info.dataset)
    return {
        "name": info.dataset,
        "dataset": None if connection is not None else info.dataset,
        "connection": connection,
        "every": info.every,
        "next_run_at": info.next_run_at.isoformat(),
    }


def _connection_of(key: str) -> str | None:
    return key[len(CONNECTION_PREFIX) :] if key.startswith(CONNECTION_PREFIX) else None


def _describe(key: str) -> str:
    connection = _connection_of(key)
    if connection is not None:
        return f"every data set of connection '{connection}'"
    return key
