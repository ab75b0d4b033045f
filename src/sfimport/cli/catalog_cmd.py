"""The catalog of a connection: `objects`, `reports` and `fields`."""

from __future__ import annotations

from typing import Annotated

import typer

from sfimport.cli.options import ConnectionName, JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_table

SearchOption = Annotated[
    str | None,
    typer.Option("--search", "-s", help="Only names or labels containing this text (any case)."),
]


def register(app: typer.Typer) -> None:
    app.command("objects", epilog=EXIT_CODES_HELP)(objects)
    app.command("reports", epilog=EXIT_CODES_HELP)(reports)
    app.command("fields", epilog=EXIT_CODES_HELP)(fields)


def objects(
    ctx: typer.Context,
    connection: ConnectionName,
    search: SearchOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List the objects sfimport can import from a connection (unsupported ones are left out)."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_objects(connection, search=search)
    if state.json:
        emit_json(state, {"connection": connection, "objects": items})
        return
    print_table(
        state,
        ["Object", "Label", "Custom", "Fields"],
        [(o.name, o.label, o.custom, o.field_count) for o in items],
        empty="No objects match." if search else "No importable objects.",
    )


def reports(
    ctx: typer.Context,
    connection: ConnectionName,
    search: SearchOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List the reports of a connection, with their folder and format."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_reports(connection, search=search)
    if state.json:
        emit_json(state, {"connection": connection, "reports": items})
        return
    print_table(
        state,
        ["Id", "Name", "Folder", "Format"],
        [(r.id, r.name, r.folder, r.format) for r in items],
        empty="No reports match." if search else "No reports.",
    )


def fields(
    ctx: typer.Context,
    connection: ConnectionName,
    sobject: Annotated[str, typer.Argument(metavar="OBJECT", help="An object's API name.")],
    as_json: JsonFlag = False,
) -> None:
    """List an object's fields and their Salesforce types."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_fields(connection, sobject)
    if state.json:
        emit_json(state, {"connection": connection, "object": sobject, "fields": items})
        return
    print_table(
        state,
        ["Field", "Label", "Type", "Custom"],
        [(f.name, f.label, f.sf_type, f.custom) for f in items],
    )
