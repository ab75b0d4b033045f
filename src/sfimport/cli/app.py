"""The Typer application: global options; the commands come from :mod:`sfimport.cli.commands`,
each imported only when it runs."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sfimport import __version__
from sfimport.cli.context import configure_logging, state_of
from sfimport.cli.edge import SfimportGroup
from sfimport.cli.output import EXIT_CODES_HELP
from sfimport.errors import UsageError

app = typer.Typer(
    name="sfimport",
    cls=SfimportGroup,
    help="Import Salesforce objects and reports into My Data, an embedded analytics workspace.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sfimport {__version__}")
        raise typer.Exit()


class LogFormat(StrEnum):
    text = "text"
    json = "json"


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
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="SFIMPORT_DATABASE_URL",
            show_envvar=True,
            help="Team mode: keep connections, runs, checkpoints and schedules in this "
            "PostgreSQL database (postgresql://USER@HOST:PORT/DB) instead of the data folder.",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print nothing but JSON on stdout (also a per-command flag)."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of unexpected errors (and debug logs)."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only errors (and what --json asks for): no progress."
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Show what the engine does on stderr: -v its progress notes, -vv everything.",
        ),
    ] = 0,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            "--log-level",
            case_sensitive=False,
            help="Show the engine's log lines of this level and above on stderr.",
        ),
    ] = None,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            case_sensitive=False,
            help="How log lines look on stderr: text, or json (one object per line, for "
            "services under systemd or a log collector).",
        ),
    ] = LogFormat.text,
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
    if database_url is not None:
        state.database_url = database_url
    state.json = state.json or as_json
    state.debug = state.debug or debug
    if quiet and (verbose or log_level is not None):
        raise UsageError(
            "--quiet cannot be combined with --verbose or --log-level.",
            remedy="Choose one: -q for errors only, -v or --log-level for more.",
        )
    state.quiet = state.quiet or quiet
    configure_logging(_log_level(state.debug, verbose, log_level), json=log_format == "json")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


def _log_level(debug: bool, verbose: int, chosen: LogLevel | None) -> int | None:
    """The level of engine log lines shown on stderr; None shows none (the default)."""
    if chosen is not None:
        return int(getattr(logging, chosen.value.upper()))
    if debug or verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return None


def main() -> None:
    """Console-script entry point."""
    app()
