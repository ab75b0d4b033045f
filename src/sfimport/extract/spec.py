"""The import spec: what a person chose in the wizard, as a value and as a TOML file.

The web wizard saves it and `sfimport import --spec FILE` reproduces the same import. Parsing
never raises anything but :class:`UsageError`, whose message says where the problem is.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sfimport.errors import UsageError
from sfimport.pipes.definition import PipeDefinition, toml_value

_TOP_LEVEL_KEYS = {
    "connection",
    "folder",
    "start_date",
    "objects",
    "reports",
    "conceal",
    "budget",
    "pipes",
}
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ObjectChoice:
    """One object to import; ``fields`` None means every readable field."""

    name: str
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ImportSpec:
    """Everything the wizard's Select data and Obfuscate data steps decide."""

    connection: str
    folder: str
    start_date: date | None = None
    objects: tuple[ObjectChoice, ...] = ()
    reports: tuple[str, ...] = ()
    #: data set name -> columns to conceal; None means the default personal-data columns.
    conceal: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    budget_percent: float | None = None
    #: Pipes to make (or update) once the import publishes what they read, each as its own
    #: definition file's text (see :mod:`sfimport.pipes.definition`).
    pipes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.connection.strip():
            raise UsageError("The import names no connection.")
        if not self.objects and not self.reports:
            raise UsageError("Choose at least one object or report to import.")
        if self.budget_percent is not None and not 0 < self.budget_percent <= 100:
            raise UsageError(
                f"The API budget must be a percentage between 0 and 100, not {self.budget_percent}."
            )
        if self.start_date is not None:
            check_start_date(self.start_date)
        names = [o.name.lower() for o in self.objects]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(f"Objects chosen twice: {', '.join(duplicates)}.")
        for choice in self.objects:
            for name in choice.fields or ():
                if not _FIELD_NAME.match(name):
                    raise UsageError(f"'{name}' is not a valid field name (object {choice.name}).")

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objects) + self.reports

    @classmethod
    def from_toml(cls, source: str | Path) -> ImportSpec:
        """Parse a spec file (a path) or TOML text; errors name the file and the key."""
        where = "the spec"
        if isinstance(source, Path):
            where = str(source)
            try:
                text = source.read_text(encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"Cannot read the spec file {where}: {exc.strerror}.") from exc
        else:
            text = source
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{where} is not valid TOML: {exc}.") from exc
        return cls.from_mapping(data, where=where)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "the spec") -> ImportSpec:
        unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}.")
        connection = _string(data, "connection", where)
        folder = _string(data, "folder", where)
        start = data.get("start_date")
        start_date = None if start is None else _to_date(start, f"{where}: start_date")
        objects = tuple(
            _object_choice(item, f"{where}: objects[{i}]")
            for i, item in enumerate(_list(data, "objects", where))
        )
        reports = tuple(
            _report_ref(item, f"{where}: reports[{i}]")
            for i, item in enumerate(_list(data, "reports", where))
        )
        conceal_raw = data.get("conceal", {})
        if not isinstance(conceal_raw, Mapping):
            raise UsageError(f"{where}: conceal must be a table of data set = columns.")
        conceal: dict[str, tuple[str, ...] | None] = {}
        for name, columns in conceal_raw.items():
            conceal[str(name)] = _conceal_columns(columns, f"{where}: conceal.{name}")
        pipes = tuple(
            _pipe_text(item, f"{where}: pipes[{i}]")
            for i, item in enumerate(_list(data, "pipes", where))
        )
        budget = data.get("budget")
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float)):
            raise UsageError(f"{where}: budget must be a number (percent of the daily allowance).")
        try:
            return cls(
                connection=connection,
                folder=folder,
                start_date=start_date,
                objects=objects,
                reports=reports,
                conceal=conceal,
                budget_percent=None if budget is None else float(budget),
                pipes=pipes,
            )
        except UsageError as exc:
            raise UsageError(f"{where}: {exc.message}") from exc

    def to_toml(self) -> str:
        """The spec as a TOML file that :meth:`from_toml` reads back equal."""
        lines = [f"connection = {_quote(self.connection)}", f"folder = {_quote(self.folder)}"]
        if self.start_date is not None:
            lines.append(f"start_date = {self.start_date.isoformat()}")
        if self.budget_percent is not None:
            lines.append(f"budget = {self.budget_percent!r}")
        if self.reports:
            lines.append("reports = [" + ", ".join(_quote(r) for r in self.reports) + "]")
        for choice in self.objects:
            lines += ["", "[[objects]]", f"name = {_quote(choice.name)}"]
            if choice.fields is not None:
                lines.append("fields = [" + ", ".join(_quote(f) for f in choice.fields) + "]")
        if self.conceal:
            lines += ["", "[conceal]"]
            for name, columns in self.conceal.items():
                value = (
                    '"default"'
                    if columns is None
                    else "[" + ", ".join(_quote(c) for c in columns) + "]"
                )
                lines.append(f"{_quote(name)} = {value}")
        for text in self.pipes:
            lines += ["", "[[pipes]]"]
            for key, value in PipeDefinition.from_toml(text).to_mapping().items():
                lines.append(f"{key} = {toml_value(value)}")
        return "\n".join(lines) + "\n"


def parse_start_date(text: str) -> date:
    """A start date typed by a person: YYYY-MM-DD only, within :func:`check_start_date`."""
    return check_start_date(_to_date(text.strip(), "The start date"))


#: The earliest start date: before it, Salesforce's own date range and any org's history end.
EARLIEST_START_DATE = date(1900, 1, 1)


def check_start_date(value: date, today: date | None = None) -> date:
    """Refuse a start date Salesforce cannot filter on or that would import nothing: before
    1900-01-01 (``0001-01-01`` would reach Salesforce as a malformed query), or after today
    (UTC; a day of slack covers every time zone)."""
    latest = (today or datetime.now(UTC).date()) + timedelta(days=1)
    if value < EARLIEST_START_DATE or value > latest:
        raise UsageError(
            f"The start date {value.isoformat()} is out of range: it must be between "
            f"{EARLIEST_START_DATE.isoformat()} and today.",
            remedy="Give a start date such as 2024-01-01, or none to import every record.",
        )
    return value


def _to_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(f"{where}: '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31.")


def _string(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: '{key}' is required and must be a non-empty string.")
    return value.strip()


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise UsageError(f"{where}: '{key}' must be a list.")
    return value


def _object_choice(item: object, where: str) -> ObjectChoice:
    if isinstance(item, str):
        return ObjectChoice(item)
    if isinstance(item, Mapping):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError(f"{where}: 'name' is required.")
        extra = sorted(set(item) - {"name", "fields"})
        if extra:
            raise UsageError(f"{where}: unknown key(s) {', '.join(extra)}.")
        fields = item.get("fields")
        if fields is None:
            return ObjectChoice(name)
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise UsageError(f"{where}: 'fields' must be a list of field names.")
        return ObjectChoice(name, tuple(fields))
    raise UsageError(f"{where}: expected an object name or a table with 'name'.")


def _report_ref(item: object, where: str) -> str:
    if isinstance(item, str) and item.strip():
        return item.strip()
    if isinstance(item, Mapping):
        for key in ("id", "name"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    raise UsageError(f"{where}: expected a report id or name.")


def _conceal_columns(value: object, where: str) -> tuple[str, ...] | None:
    if value == "default" or value is True:
        return None
    if isinstance(value, list) and all(isinstance(c, str) for c in value):
        return tuple(value)
    raise UsageError(f'{where}: expected "default" or a list of column names.')


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _pipe_text(item: Any, where: str) -> str:
    """A pipe declared in the spec, checked like a pipe file and kept as one."""
    if not isinstance(item, Mapping):
        raise UsageError(f"{where} must be a table ([[pipes]]).")
    try:
        return PipeDefinition.from_mapping(item).to_toml()
    except UsageError as exc:
        raise UsageError(f"{where}: {exc.message}", remedy=exc.remedy) from exc
