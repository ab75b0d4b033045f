"""My Data: `datasets`, `preview`, `export`, `sql` and `refresh`."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
)
from sfimport.cli.progress import progress_listener
from sfimport.cli.runs_cmd import print_run, run_json
from sfimport.errors import UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import DatasetInfo, PreviewResult

DatasetName = Annotated[
    str, typer.Argument(metavar="DATASET", help="A data set, as Folder.Name or a unique Name.")
]


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def register(app: typer.Typer) -> None:
    for name, command in (
        ("datasets", datasets),
        ("preview", preview),
        ("export", export),
        ("sql", sql),
        ("refresh", refresh),
    ):
        app.command(name, epilog=EXIT_CODES_HELP)(command)


def datasets(
    ctx: typer.Context,
    folder: Annotated[str | None, typer.Option("--folder", "-f", help="Only this folder.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the data sets in My Data with row counts, source, concealed columns and status."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_datasets(folder)
    if state.json:
        emit_json(state, {"datasets": items})
        return
    print_table(
        state,
        ["Data set", "Kind", "Source", "Connection", "Rows", "Concealed", "Last import", "Status"],
        [
            (
                d.qualified,
                d.kind,
                d.source,
                d.connection,
                f"{d.row_count:,}",
                ", ".join(d.concealed),
                d.last_import_at,
                _status(d),
            )
            for d in items
        ],
        empty="My Data is empty. Import something with 'sfimport import'.",
    )


def _status(dataset: DatasetInfo) -> str:
    """The data set's status, and its last failed attempt when newer than its last success."""
    text = dataset.status
    if dataset.incomplete_reason:
        text = f"{text}: {dataset.incomplete_reason}"
    failure = dataset.last_failure
    if failure is not None:
        why = failure.error.message if failure.error else failure.status
        fix = f" Fix: {failure.error.remedy}" if failure.error and failure.error.remedy else ""
        text = f"{text}; last attempt {failure.at:%Y-%m-%d %H:%M} UTC failed: {why}{fix}"
    return text


def preview(
    ctx: typer.Context,
    dataset: DatasetName,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many rows.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Show the first rows of a data set and its column types."""
    state = command_state(ctx, as_json)
    result = state.workspace().preview(dataset, limit=limit)
    _print_result(state, result, {"dataset": dataset})


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="SQL", help="A read-only SQL query.")],
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Run a read-only SQL query over My Data (folders are schemas: "Sales"."Lead")."""
    state = command_state(ctx, as_json)
    result = state.workspace().query(query, limit=limit)
    _print_result(state, result, {"sql": query})


def export(
    ctx: typer.Context,
    dataset: DatasetName,
    output: Annotated[
        str,
        typer.Option(
            "--output", "-O", metavar="FILE", help="The file to write; '-' writes to stdout."
        ),
    ],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="csv or parquet (default: from the file's extension; csv for stdout).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the file if it already exists.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Export a data set to a CSV or Parquet file.

    Example: sfimport export Sales.Lead -O - | head (CSV on stdout, for pipes).
    """
    state = command_state(ctx, as_json)
    if output == "-":
        _export_to_stdout(state, dataset, "csv" if fmt is None else fmt.value)
        return
    path = Path(output)
    chosen = fmt.value if fmt is not None else _format_from_suffix(path)
    _check_output(path, force)
    written = state.workspace().export(dataset, chosen, path)
    if state.json:
        emit_json(state, {"dataset": dataset, "format": chosen, "path": written})
        return
    say(state, f"Exported {dataset} to {written} ({chosen}).")


def _export_to_stdout(state: CliState, dataset: str, chosen: str) -> None:
    if state.json:
        raise UsageError(
            "--json and '--output -' both want stdout.",
            remedy="Leave out --json, or write the export to a file.",
        )
    if chosen == "parquet" and state.is_terminal:
        raise UsageError(
            "Parquet is binary: it is not written to a terminal.",
            remedy="Pipe or redirect stdout (sfimport export ... -O - > out.parquet), "
            "or use --format csv.",
        )
    text = state.out.file
    text.flush()
    binary = getattr(text, "buffer", None)
    if binary is None:  # a stdout with no byte layer (rare): fall back to the process's
        binary = sys.stdout.buffer
    state.workspace().export(dataset, chosen, binary)
    binary.flush()


def _check_output(path: Path, force: bool) -> None:
    """The output path can be written: no folder or file in the way, no silent overwrite."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder.", remedy="Give --output a file name, e.g. lead.csv.")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(
                    f"Cannot write {path}: {parent} is a file, not a folder.",
                    remedy="Choose an --output inside a folder.",
                )
            break
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists.",
            remedy="Pass --force to replace it, or choose another --output.",
        )


def refresh(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[DATASET]...", help="Data sets to refresh."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Refresh every data set.")] = False,
    due: Annotated[
        bool,
        typer.Option(
            "--due",
            help="One scheduler pass, for cron or a systemd timer: run the schedules that are "
            "due and resume the runs whose time came, then exit (each schedule fires once even "
            "with several schedulers).",
        ),
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Put the refreshes on the job queue for a worker ('sfimport worker', or the one "
            "'serve' and 'demo' host) and print their run ids at once.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Bring data sets up to date with Salesforce (only what changed since the last import)."""
    state = command_state(ctx, as_json)
    if due:
        if names or all_ or queue:
            raise UsageError(
                "--due runs what the schedules say: name no data set, no --all, no --queue."
            )
        _refresh_due(state)
        return
    if bool(names) == all_:
        raise UsageError(
            "Name the data sets to refresh, or pass --all (not both).",
            remedy="List data sets with 'sfimport datasets'.",
        )
    if queue:
        run_ids = state.workspace().queue_refresh(names or None, all=all_)
        if state.json:
            emit_json(state, {"run_ids": run_ids, "status": "queued"})
        for run_id in run_ids:
            say(state, f"Queued run {run_id}; a worker runs it ('sfimport runs' shows it).")
        return
    with stop_runs_on_ctrl_c(state), progress_listener(state) as on_event:
        result = state.workspace().refresh(names or None, all=all_, on_event=on_event)
    if state.json:
        emit_json(state, {"run": run_json(result.run)})
    else:
        print_run(state, result.run)
    raise typer.Exit(exit_code_for_status(result.status))


def _refresh_due(state: CliState) -> None:
    runs = state.workspace().run_due()
    if state.json:
        emit_json(state, {"runs": [run_json(run) for run in runs]})
    elif not runs:
        say(state, "Nothing is due.")
    for run in runs if not state.json else ():
        print_run(state, run)
    codes = {exit_code_for_status(run.status) for run in runs}
    failed, partial = exit_code_for_status("failed"), exit_code_for_status("partial")
    raise typer.Exit(failed if failed in codes else partial if partial in codes else 0)


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "parquet"):
        return suffix
    if suffix == "pq":
        return "parquet"
    raise UsageError(
        f"Cannot tell the format of {path.name!r} from its extension.",
        remedy="Pass --format csv or --format parquet.",
    )


def _print_result(state: CliState, result: PreviewResult, about: dict[str, object]) -> None:
    columns = list(result.columns)
    if state.json:
        emit_json(
            state,
            {
                **about,
                "columns": [{"name": n, "type": t} for n, t in columns],
                "rows": [list(r) for r in result.rows],
            },
        )
        return
    headers = [n for n, _ in columns]
    if state.is_terminal:
        print_table(state, [f"{n}\n{t}" for n, t in columns], result.rows, empty="No rows.")
        say(state, f"{len(result.rows):,} rows.")
        return
    # Not a terminal: CSV, so the output can be piped into other tools as it is.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([_csv_value(v) for v in row] for row in result.rows)
    state.out.file.write(buffer.getvalue())


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
