"""The Typer application: global options and the registration of every command group."""

from __future__ import annotations

import typer

from sfimport import __version__
from sfimport.cli import demo_cmd, emulator_cmd

app = typer.Typer(
    name="sfimport",
    help="Import Salesforce objects and reports into My Data, an embedded analytics workspace.",
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
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Import Salesforce objects and reports into My Data."""


demo_cmd.register(app)
emulator_cmd.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
