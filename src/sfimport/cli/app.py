"""The Typer application: global options; the commands come from :mod:`sfimport.cli.commands`,
each imported only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sfimport import __version__
from sfimport.cli.context import configure_logging, state_of
from sfimport.cli.edge import SfimportGroup
from sfimport.cli.output import EXIT_CODES_HELP

app = typer.Typer(
    name="sfimport",
    cls=SfimportGroup,
    help="Import Salesforce objects and reports into My Data, an embedded analytics workspace.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sfimport {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="SFIMPORT_HOME",
            show_envvar=True,
            help="The data folder (My Data, connections, runs) (default: ~/.sfimport).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print nothing but JSON on stdout (also a per-command flag)."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Import Salesforce objects and reports into My Data."""
    state = state_of(ctx)
    ctx.call_on_close(state.close)
    if home is not None:
        state.home = home
    state.json = state.json or as_json
    state.debug = state.debug or debug
    configure_logging(state.debug)


def main() -> None:
    """Console-script entry point."""
    app()
