"""What changed and history mode: `changes` and `history`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from sfimport.app.history import ChangeKind, DatasetHistory, changes_json
from sfimport.cli.context import CliState
from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_table, say
from sfimport.errors import UsageError

DatasetName = Annotated[
    str, typer.Argument(metavar="DATASET", help="A data set, as Folder.Name or a unique Name.")
]


def register(app: typer.Typer) -> None:
    for name, command in (("changes", changes), ("history", history)):
        app.command(name, epilog=EXIT_CODES_HELP)(command)


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date.",
            remedy=f"Write {option} as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC unless an offset "
            "is given).",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def changes(
    ctx: typer.Context,
    dataset: DatasetName,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only refreshes at or after this date (UTC)."),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="At most this many changed rows, newest refresh first.")
    ] = 10_000,
    as_json: JsonFlag = False,
) -> None:
    """Show what each refresh changed in a data set: Ids added, updated, removed, old and new."""
    state = command_state(ctx, as_json)
    runs = state.workspace().changes(dataset, _moment(since, "--since"), limit)
    if state.json:
        emit_json(state, {"dataset": dataset, "changes": changes_json(runs)})
        return
    rows: list[tuple[object, ...]] = []
    for run in runs:
        for record in run.records:
            if record.kind is ChangeKind.UPDATED:
                for column in record.columns:
                    change = (record.record_id, "updated", column.column, column.old, column.new)
                    rows.append((run.changed_at, *change))
            elif record.kind is ChangeKind.COLUMN_ADDED:
                for column in record.columns:
                    rows.append((run.changed_at, "", "column added", column.column, "", ""))
            else:
                rows.append((run.changed_at, record.record_id, str(record.kind), "", "", ""))
    print_table(
        state,
        ["Refresh", "Id", "Change", "Column", "Old", "New"],
        rows,
        empty=f"No refresh has changed {dataset} (or the change log's retention dropped it).",
    )


def history(
    ctx: typer.Context,
    dataset: DatasetName,
    on: Annotated[
        bool | None,
        typer.Option(
            "--on/--off",
            help="Keep every version of every row (--on), or stop and drop the versions (--off).",
        ),
    ] = None,
    formulas: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="Re-read formula columns: always, daily, never, or default (every refresh "
            "up to 50,000 rows, daily above).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Show the rows as they were at DATE."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows (--as-of).")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Show or set a data set's history mode and formula refresh; query it as of a date."""
    state = command_state(ctx, as_json)
    workspace = state.workspace()
    if on is not None:
        workspace.set_history_mode(dataset, on)
    if formulas is not None:
        workspace.set_formula_schedule(dataset, formulas)
    moment = _moment(as_of, "--as-of")
    if moment is not None:
        result = workspace.as_of(dataset, moment, limit)
        if state.json:
            emit_json(state, {"dataset": dataset, "as_of": moment, "result": result})
            return
        print_table(state, [c.name for c in result.columns], result.rows)
        return
    _print_settings(state, workspace.dataset_history(dataset))


def _print_settings(state: CliState, info: DatasetHistory) -> None:
    if state.json:
        emit_json(state, info)
        return
    options = info.options
    say(state, f"{info.qualified}: history mode {'on' if options.history else 'off'}.")
    if info.history_table:
        say(state, f"Every version: {info.history_table} (valid_from, valid_to, is_current).")
    say(state, f"Formula columns refreshed: {options.formulas_every or 'default'}.")
    if options.formulas_refreshed_at:
        say(state, f"Formulas last refreshed {options.formulas_refreshed_at:%Y-%m-%d %H:%M} UTC.")
    kept = f"{info.retention_days} days" if info.retention_days else "forever"
    say(state, f"The change log keeps {kept}.")
