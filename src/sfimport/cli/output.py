"""What the command line prints: exit codes, errors, tables and JSON.

Three output modes, chosen per invocation: Rich tables on a terminal, plain tab-separated lines
when stdout is a pipe or a file (easy to ``cut`` and ``grep``), and nothing but JSON with
``--json``. Errors go to stderr as two lines (``Error:`` and ``Fix:``), or to stdout as a JSON
object in JSON mode, so a script reading stdout always gets parseable JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from sfimport.cli.context import CliState
from sfimport.errors import (
    ConfigurationError,
    NotFound,
    ResourceNotFound,
    SfimportError,
    UsageError,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 complete; 1 failed; 2 bad usage (unknown name, bad option, malformed date or "
    "spec file); 3 partial (some data sets are waiting for the org's daily API limit or did not "
    "finish); 130 interrupted with Ctrl-C (resume it with 'sfimport resume RUN_ID')."
)


class ExitCode(IntEnum):
    """What a script can rely on; documented in ``--help`` and the README."""

    COMPLETE = 0
    FAILED = 1
    USAGE = 2
    PARTIAL = 3
    #: Stopped with Ctrl-C (128 + SIGINT, as shells report it); resumable.
    INTERRUPTED = 130


#: Run statuses as the engine reports them, and the exit code each means.
_STATUS_EXIT = {
    "complete": ExitCode.COMPLETE,
    "partial": ExitCode.PARTIAL,
    "waiting_for_limit": ExitCode.PARTIAL,
    "running": ExitCode.PARTIAL,
    "interrupted": ExitCode.INTERRUPTED,
    "failed": ExitCode.FAILED,
}


def exit_code_for_status(status: str) -> ExitCode:
    return _STATUS_EXIT.get(status, ExitCode.FAILED)


def exit_code_for_error(error: SfimportError) -> ExitCode:
    """Bad input (a name that does not exist, a malformed value, missing settings) is usage.

    Salesforce's NOT_FOUND answers a name typed on the command line (an object or report that
    does not exist or that this user cannot see), so it is usage too.
    """
    if isinstance(error, UsageError | NotFound | ResourceNotFound | ConfigurationError):
        return ExitCode.USAGE
    return ExitCode.FAILED


def to_jsonable(value: object) -> Any:
    """Any engine value (dataclasses, dates, paths, tuples) as plain JSON data."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [to_jsonable(v) for v in value]
    return str(value)


def emit_json(state: CliState, value: object) -> None:
    """Write ``value`` as the one JSON document of this invocation's stdout."""
    state.out.file.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")
    state.out.file.flush()


def error_payload(kind: str, message: str, remedy: str) -> dict[str, dict[str, str]]:
    return {"error": {"kind": kind, "message": message, "remedy": remedy}}


def report_error(state: CliState, kind: str, message: str, remedy: str) -> None:
    """One ``Error:`` line and one ``Fix:`` line on stderr, or a JSON error object on stdout."""
    if state.json:
        emit_json(state, error_payload(kind, message, remedy))
        return
    state.err.print(f"Error: {escape(message)}", markup=True, highlight=False)
    if remedy:
        state.err.print(f"Fix: {escape(remedy)}", markup=True, highlight=False)


def report_sfimport_error(state: CliState, error: SfimportError) -> ExitCode:
    report_error(state, error.kind, error.message, error.remedy)
    return exit_code_for_error(error)


def cell(value: object) -> str:
    """A value as one table cell: empty for None, yes/no for booleans, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def print_table(
    state: CliState,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """A Rich table on a terminal; tab-separated lines with a header row otherwise."""
    materialised = [[cell(v) for v in row] for row in rows]
    if not state.is_terminal:
        lines = ["\t".join(headers)] if materialised else []
        lines += ["\t".join(_one_line(c) for c in row) for row in materialised]
        if not materialised:
            lines.append(empty)
        state.out.file.write("\n".join(lines) + "\n")
        return
    if not materialised:
        state.out.print(empty, markup=False)
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in materialised:
        table.add_row(*(escape(c) for c in row))
    state.out.print(table)


def print_pairs(state: CliState, pairs: Sequence[tuple[str, object]]) -> None:
    """``label: value`` lines, aligned."""
    width = max((len(label) for label, _ in pairs), default=0)
    for label, value in pairs:
        line = f"{label + ':':<{width + 1}} {cell(value)}"
        state.out.print(line, markup=False, highlight=False)


def say(state: CliState, text: str) -> None:
    """A plain line of text for a person (skipped in JSON mode and with -q)."""
    if not state.json and not state.quiet:
        state.out.print(text, markup=False, highlight=False)


def _one_line(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
