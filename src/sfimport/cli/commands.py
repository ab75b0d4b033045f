"""The command table: each command's name, one-line summary and the module that defines it.

A command's module is imported only when that command runs, so `sfimport --help` and quick
commands do not pay for the web app, the emulator, DuckDB or Arrow. `--help` lists the commands
from the summaries below; a test checks that each equals the first line of the command's own
docstring.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer._click import Command
from typer._click import Context as ClickContext
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives and what `--help` says about it before it is loaded."""

    name: str
    module: str
    summary: str


_CLI = "sfimport.cli"

COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        "connect",
        f"{_CLI}.connections_cmd",
        "Connect a Salesforce org: log in through the browser, or use a refresh token.",
    ),
    CommandEntry(
        "connections",
        f"{_CLI}.connections_cmd",
        "List the connections of this data folder, their status and API usage today.",
    ),
    CommandEntry(
        "check",
        f"{_CLI}.connections_cmd",
        "Check the Salesforce user's permissions; exit 1 if any is missing.",
    ),
    CommandEntry(
        "disconnect",
        f"{_CLI}.connections_cmd",
        "Delete a connection; its token is revoked at Salesforce first.",
    ),
    CommandEntry(
        "objects",
        f"{_CLI}.catalog_cmd",
        "List the objects sfimport can import from a connection (unsupported ones are left out).",
    ),
    CommandEntry(
        "reports",
        f"{_CLI}.catalog_cmd",
        "List the reports of a connection, with their folder and format.",
    ),
    CommandEntry(
        "fields", f"{_CLI}.catalog_cmd", "List an object's fields and their Salesforce types."
    ),
    CommandEntry(
        "import",
        f"{_CLI}.import_cmd",
        "Import objects and reports into a My Data folder, with a progress bar per data set.",
    ),
    CommandEntry(
        "datasets",
        f"{_CLI}.mydata_cmd",
        "List the data sets in My Data with row counts, source, concealed columns and status.",
    ),
    CommandEntry(
        "preview", f"{_CLI}.mydata_cmd", "Show the first rows of a data set and its column types."
    ),
    CommandEntry("export", f"{_CLI}.mydata_cmd", "Export a data set to a CSV or Parquet file."),
    CommandEntry(
        "sql",
        f"{_CLI}.mydata_cmd",
        'Run a read-only SQL query over My Data (folders are schemas: "Sales"."Lead").',
    ),
    CommandEntry(
        "refresh",
        f"{_CLI}.mydata_cmd",
        "Bring data sets up to date with Salesforce (only what changed since the last import).",
    ),
    CommandEntry(
        "changes",
        f"{_CLI}.history_cmd",
        "Show what each refresh changed in a data set: Ids added, updated, removed, old and new.",
    ),
    CommandEntry(
        "history",
        f"{_CLI}.history_cmd",
        "Show or set a data set's history mode and formula refresh; query it as of a date.",
    ),
    CommandEntry(
        "pipe",
        f"{_CLI}.pipe_cmd",
        "Pipes: data sets derived from others by SQL or a chain of steps, rebuilt whenever "
        "a source is imported or refreshed.",
    ),
    CommandEntry(
        "schedule",
        f"{_CLI}.schedules_cmd",
        "Refresh a data set, or every data set of a connection, on a schedule.",
    ),
    CommandEntry(
        "schedules", f"{_CLI}.schedules_cmd", "List the refresh schedules and when each runs next."
    ),
    CommandEntry(
        "unschedule",
        f"{_CLI}.schedules_cmd",
        "Stop refreshing a data set or a connection on a schedule.",
    ),
    CommandEntry("runs", f"{_CLI}.runs_cmd", "List recent imports and refreshes, newest first."),
    CommandEntry(
        "resume",
        f"{_CLI}.runs_cmd",
        "Resume a stopped run where it stopped (interrupted, or waiting for the API limit).",
    ),
    CommandEntry(
        "resolve",
        f"{_CLI}.runs_cmd",
        "Act on a run stopped by a field that went away in Salesforce.",
    ),
    CommandEntry(
        "scheduler",
        f"{_CLI}.scheduler_cmd",
        "Fire due schedules and resume due runs until stopped (Ctrl-C or SIGTERM).",
    ),
    CommandEntry(
        "worker",
        f"{_CLI}.worker_cmd",
        "Run queued imports until stopped; a run whose worker died is resumed here.",
    ),
    CommandEntry(
        "db",
        f"{_CLI}.db_cmd",
        "Show or upgrade the data folder's schema versions (metadata database and My Data).",
    ),
    CommandEntry(
        "users",
        f"{_CLI}.users_cmd",
        "Team mode's users: add, list, remove, change roles, issue API tokens.",
    ),
    CommandEntry(
        "audit",
        f"{_CLI}.users_cmd",
        "Show team mode's audit log: every change and export, who, what, when, newest first.",
    ),
    CommandEntry(
        "serve",
        f"{_CLI}.serve_cmd",
        "Start the web app against real Salesforce (needs SFIMPORT_CLIENT_ID; see the README).",
    ),
    CommandEntry(
        "demo",
        f"{_CLI}.demo_cmd",
        "Start the web app on the built-in demo org and print its URL and demo logins.",
    ),
    CommandEntry(
        "completion",
        f"{_CLI}.completion_cmd",
        "Print the shell completion script for bash, zsh or fish.",
    ),
    CommandEntry(
        "emulator",
        f"{_CLI}.emulator_cmd",
        "Serve a Salesforce-compatible org (OAuth, REST, SOQL, Bulk 2.0, Reports) locally.",
    ),
)


class PendingCommand(TyperCommand):
    """A command listed by `--help` whose module is not imported yet."""

    def __init__(self, entry: CommandEntry) -> None:
        super().__init__(entry.name, help=entry.summary, short_help=entry.summary)
        self.entry = entry

    def load(self) -> Command:
        """The real command: its module registers it on a scratch Typer app."""
        module = importlib.import_module(self.entry.module)
        scratch = typer.Typer()
        module.register(scratch)
        return typer.main.get_group(scratch).commands[self.entry.name]


class LazyCommandGroup(TyperGroup):
    """A Typer group that holds :data:`COMMANDS` as placeholders and loads one when it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for entry in COMMANDS:
            self.commands.setdefault(entry.name, PendingCommand(entry))

    def resolve_command(
        self, ctx: ClickContext, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, PendingCommand):
            command = self.commands[name] = command.load()
        return name, command, rest
