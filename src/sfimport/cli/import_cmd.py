"""`sfimport import`: select data, conceal, review and import, from flags or a spec file.

The flags build the same :class:`ImportSpec` the web wizard saves, so `--save-spec FILE` writes a
file the wizard's users can read and `--spec FILE` reproduces an import the wizard planned.
`--dry-run` prints the review (rows, fields, concealed columns, API calls against the remaining
allowance) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfimport.app.ports import ImportSpec, ObjectChoice, parse_start_date
from sfimport.cli.context import CliState
from sfimport.cli.ctrl_c import stop_runs_on_ctrl_c
from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import (
    EXIT_CODES_HELP,
    cell,
    emit_json,
    exit_code_for_status,
    print_table,
    say,
)
from sfimport.cli.progress import progress_listener
from sfimport.cli.runs_cmd import print_run, run_json
from sfimport.errors import BudgetExceeded, UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import ImportPlan

DEFAULT_FOLDER = "Salesforce"


def register(app: typer.Typer) -> None:
    app.command("import", epilog=EXIT_CODES_HELP)(import_data)


def import_data(
    ctx: typer.Context,
    connection: Annotated[
        str | None,
        typer.Argument(help="The connection to import from (not needed with --spec)."),
    ] = None,
    objects: Annotated[
        list[str] | None,
        typer.Option("--object", "-o", help="An object to import, e.g. Lead; repeat for more."),
    ] = None,
    reports: Annotated[
        list[str] | None,
        typer.Option("--report", "-r", help="A report to import, by id or name; repeatable."),
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option(
            "--folder", "-f", help=f"The My Data folder to import into (default: {DEFAULT_FOLDER})."
        ),
    ] = None,
    start_date: Annotated[
        str | None,
        typer.Option(
            "--start-date",
            help="Only records modified on or after this date (YYYY-MM-DD); objects with no "
            "modification date are imported whole.",
        ),
    ] = None,
    conceal: Annotated[
        list[str] | None,
        typer.Option(
            "--conceal",
            help="Conceal a data set's personal-data columns (names, emails, phones...); "
            "repeatable.",
        ),
    ] = None,
    conceal_column: Annotated[
        list[str] | None,
        typer.Option(
            "--conceal-column",
            metavar="DATASET.COLUMN",
            help="Conceal exactly this column (instead of the data set's defaults); repeatable.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the review and change nothing."),
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            metavar="PERCENT",
            help="API budget: the org's usage may reach at most PERCENT of the org's daily API "
            "maximum while this import runs (default SFIMPORT_API_BUDGET_PERCENT, 80); "
            "planning calls count too.",
        ),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            metavar="FILE",
            help="An import spec (TOML) saved by the web wizard or written by hand.",
        ),
    ] = None,
    save_spec: Annotated[
        Path | None,
        typer.Option("--save-spec", metavar="FILE", help="Also write this import as a spec file."),
    ] = None,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Put the import on the job queue for a worker ('sfimport worker', or the one "
            "'serve' and 'demo' host) and print its run id at once, instead of running it here.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import objects and reports into a My Data folder, with a progress bar per data set.

    Example: sfimport import prod -o Lead -o Account -r Pipeline -f Sales --start-date 2024-01-01
    --conceal Contact --conceal-column Lead.Email
    """
    state = command_state(ctx, as_json)
    if spec_file is not None:
        given = [
            flag
            for flag, value in (
                ("CONNECTION", connection),
                ("--object", objects),
                ("--report", reports),
                ("--folder", folder),
                ("--start-date", start_date),
                ("--conceal", conceal),
                ("--conceal-column", conceal_column),
            )
            if value
        ]
        if given:
            raise UsageError(
                f"--spec cannot be combined with {', '.join(given)}.",
                remedy="Edit the spec file instead, or pass the choices as flags without --spec.",
            )
        spec = ImportSpec.from_toml(spec_file)
        if budget is not None:
            spec = _with_budget(spec, budget)
    else:
        spec = spec_from_flags(
            connection,
            objects or [],
            reports or [],
            folder,
            start_date,
            conceal or [],
            conceal_column or [],
            budget,
        )
    if save_spec is not None:
        save_spec.write_text(spec.to_toml(), encoding="utf-8")
        if not state.json:
            state.err.print(f"Saved the import spec to {save_spec}.", markup=False)

    workspace = state.workspace()
    plan = workspace.build_plan(spec)
    if dry_run:
        if state.json:
            emit_json(state, {"dry_run": True, "plan": plan_json(plan)})
        else:
            print_review(state, plan)
            say(state, "Dry run: nothing was imported.")
        return
    if not state.json and not state.quiet:
        print_review(state, plan)
    if not plan.within_budget:
        # The Review's verdict, as the web app's Import button would refuse it: nothing starts.
        raise BudgetExceeded(
            f"This import needs {plan.api_calls_total:,} API calls; its budget "
            f"({plan.budget_summary()}) is smaller."
        )
    if queue:
        run_id = workspace.queue_import(plan)
        if state.json:
            emit_json(state, {"run_id": run_id, "status": "queued"})
        else:
            say(state, f"Queued run {run_id}; a worker runs it ('sfimport runs' shows it).")
        return
    with stop_runs_on_ctrl_c(state), progress_listener(state) as on_event:
        result = workspace.run_import(plan, on_event=on_event)
    if state.json:
        emit_json(state, {"run": run_json(result.run)})
    else:
        print_run(state, result.run)
    raise typer.Exit(exit_code_for_status(result.status))


def spec_from_flags(
    connection: str | None,
    objects: Sequence[str],
    reports: Sequence[str],
    folder: str | None,
    start_date: str | None,
    conceal: Sequence[str],
    conceal_columns: Sequence[str],
    budget: float | None,
) -> ImportSpec:
    """The ImportSpec the flags describe; UsageError names the flag that is wrong."""
    if not connection:
        raise UsageError(
            "Name the connection to import from, e.g. 'sfimport import prod --object Lead'.",
            remedy="List connections with 'sfimport connections', or pass --spec FILE.",
        )
    if not objects and not reports:
        raise UsageError(
            "Choose at least one --object or --report to import.",
            remedy="List them with 'sfimport objects NAME' and 'sfimport reports NAME'.",
        )
    datasets = [*objects, *reports]
    mapping: dict[str, tuple[str, ...] | None] = {name: None for name in conceal}
    for item in conceal_columns:
        dataset, column = _split_column(item, datasets)
        existing = mapping.get(dataset)
        mapping[dataset] = (*(existing or ()), column)
    return ImportSpec(
        connection=connection,
        folder=DEFAULT_FOLDER if folder is None else folder,
        start_date=None if start_date is None else parse_start_date(start_date),
        objects=tuple(ObjectChoice(name) for name in objects),
        reports=tuple(reports),
        conceal=mapping,
        budget_percent=budget,
    )


def _split_column(item: str, datasets: Sequence[str]) -> tuple[str, str]:
    # Report names may contain dots, so prefer a data set named on the command line.
    for name in sorted(datasets, key=len, reverse=True):
        if item.startswith(name + ".") and len(item) > len(name) + 1:
            return name, item[len(name) + 1 :]
    dataset, dot, column = item.partition(".")
    if not dot or not dataset or not column:
        raise UsageError(
            f"--conceal-column {item!r} must be DATASET.COLUMN, e.g. Lead.Email.",
        )
    return dataset, column


def _with_budget(spec: ImportSpec, budget: float) -> ImportSpec:
    return ImportSpec(
        connection=spec.connection,
        folder=spec.folder,
        start_date=spec.start_date,
        objects=spec.objects,
        reports=spec.reports,
        conceal=spec.conceal,
        budget_percent=budget,
    )


def plan_json(plan: ImportPlan) -> dict[str, object]:
    """The review as JSON: what a script needs, without the engine's internal field specs."""
    return {
        "connection": plan.spec.connection,
        "folder": plan.spec.folder,
        "start_date": cell(plan.spec.start_date) or None,
        "datasets": [
            {
                "name": d.name,
                "kind": d.kind,
                "source": d.source,
                "method": d.method,
                "expected_rows": d.expected_rows,
                "fields": list(d.fields),
                "skipped_fields": [{"name": n, "reason": r} for n, r in d.skipped_fields],
                "concealed": list(d.concealed),
                "cursor_field": d.cursor_field,
                "start_date_applies": d.start_date_applies,
                "api_calls": d.api_calls,
            }
            for d in plan.datasets
        ],
        "api_calls_total": plan.api_calls_total,
        "api_remaining": plan.api_remaining,
        "api_max": plan.api_max,
        "api_calls_planning": plan.api_calls_planning,
        "budget_percent": plan.budget_percent,
        "budget_calls": plan.budget_calls,
        "budget": plan.budget_summary(),
        "within_budget": plan.within_budget,
        "notes": list(plan.notes),
    }


def print_review(state: CliState, plan: ImportPlan) -> None:
    """The Review step: a row per data set and the API calls against the allowance."""
    spec = plan.spec
    since = f", records modified since {spec.start_date.isoformat()}" if spec.start_date else ""
    say(state, f"Review: from '{spec.connection}' into folder '{spec.folder}'{since}")
    print_table(
        state,
        ["Data set", "Kind", "Method", "Expected rows", "Fields", "Concealed", "API calls"],
        [
            (
                d.name,
                d.kind,
                d.method,
                "unknown" if d.expected_rows is None else f"{d.expected_rows:,}",
                len(d.fields),
                ", ".join(d.concealed) or "-",
                d.api_calls,
            )
            for d in plan.datasets
        ],
    )
    for d in plan.datasets:
        if spec.start_date is not None and not d.start_date_applies:
            say(state, f"  {d.name}: has no modification date; imported whole.")
        for name, reason in d.skipped_fields:
            say(state, f"  {d.name}.{name} skipped: {reason}")
    allowance = (
        f" of {plan.api_remaining:,} remaining today" if plan.api_remaining is not None else ""
    )
    made = plan.api_calls_planning
    planning = f" ({made:,} already made to plan it)" if made else ""
    verdict = "within budget" if plan.within_budget else "OVER BUDGET"
    say(state, f"API calls: {plan.api_calls_total:,}{planning}{allowance}: {verdict}.")
    say(state, f"Budget: {plan.budget_summary()}.")
    for note in plan.notes:
        say(state, f"Note: {note}")
