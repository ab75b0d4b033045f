"""Options and arguments shared by several commands, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

import typer

from sfimport.cli.context import CliState, state_of

JsonFlag = Annotated[
    bool,
    typer.Option("--json", help="Print nothing but one JSON document on stdout (for scripts)."),
]
ConnectionName = Annotated[
    str, typer.Argument(help="The connection's name, as given to 'sfimport connect'.")
]


def command_state(ctx: typer.Context, as_json: bool) -> CliState:
    """The invocation's state with this command's ``--json`` applied."""
    state = state_of(ctx)
    state.json = state.json or as_json
    return state
