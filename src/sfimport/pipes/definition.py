"""A pipe's definition: its name, output folder, schedule, and either SQL or a chain of steps,
read from and written to a TOML file that can live in git."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sfimport.errors import PipeInvalid
from sfimport.store.names import validate_name

JoinHow = Literal["inner", "left"]
#: Aggregates a group step offers (the SQL functions of the same name).
AGGREGATES = ("count", "sum", "avg", "min", "max", "count_distinct")
STEP_KINDS = ("select", "filter", "join", "group", "pivot", "union", "compute", "rename")


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a group step: ``function(column) AS name`` (count may omit the column)."""

    function: str
    name: str
    column: str | None = None


@dataclass(frozen=True)
class Step:
    """One step of a chain: which kind, and that kind's settings (the others stay empty)."""

    kind: str
    #: select: the columns kept; group: the grouping columns; pivot: the row columns.
    columns: tuple[str, ...] = ()
    #: filter: the condition; compute: the expression.
    expression: str = ""
    #: join and union: the other data set ("Folder.Name").
    source: str = ""
    #: join: (left column, right column).
    on: tuple[str, str] = ("", "")
    how: JoinHow = "inner"
    aggregates: tuple[Aggregate, ...] = ()
    #: compute: the new column; pivot: the column whose values become columns.
    name: str = ""
    #: pivot: the aggregated column and function.
    values: str = ""
    function: str = "sum"
    #: rename: (old, new) pairs.
    renames: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PipeDefinition:
    """What a person writes: a pipe is SQL, or a source and a chain of steps."""

    name: str
    folder: str = "Pipes"
    description: str = ""
    sql: str = ""
    source: str = ""
    steps: tuple[Step, ...] = ()
    #: Its own schedule ("1h", "1d", ...), besides rebuilding after each source publish.
    every: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.folder}.{self.name}"

    @property
    def is_sql(self) -> bool:
        return bool(self.sql.strip())

    @classmethod
    def from_toml(cls, text: str) -> PipeDefinition:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise PipeInvalid(f"The pipe file is not valid TOML: {error}") from None
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PipeDefinition:
        known = {"name", "folder", "description", "sql", "source", "steps", "every"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PipeInvalid(
                f"The pipe definition has unknown keys: {', '.join(unknown)}.",
                remedy=f"Use only {', '.join(sorted(known))}.",
            )
        name = _text(data, "name", required=True)
        validate_name(name, "pipe")
        folder = _text(data, "folder") or "Pipes"
        validate_name(folder, "folder")
        sql = _text(data, "sql")
        source = _text(data, "source")
        raw_steps = data.get("steps", [])
        if not isinstance(raw_steps, list):
            raise PipeInvalid("'steps' must be a list of tables ([[steps]] in TOML).")
        steps = tuple(_step(raw, i + 1) for i, raw in enumerate(raw_steps))
        if sql and (source or steps):
            raise PipeInvalid(
                "A pipe is either SQL or a source with steps, not both.",
                remedy="Keep 'sql', or keep 'source' and 'steps'.",
            )
        if not sql and not source:
            raise PipeInvalid(
                f"Pipe {name} reads nothing.",
                remedy="Give it 'sql', or a 'source' data set (Folder.Name) and its steps.",
            )
        return cls(
            name=name,
            folder=folder,
            description=_text(data, "description"),
            sql=sql,
            source=source,
            steps=steps,
            every=_text(data, "every"),
        )

    def to_mapping(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "folder": self.folder}
        if self.description:
            data["description"] = self.description
        if self.every:
            data["every"] = self.every
        if self.is_sql:
            data["sql"] = self.sql
            return data
        data["source"] = self.source
        data["steps"] = [_step_mapping(s) for s in self.steps]
        return data

    def to_toml(self) -> str:
        """The definition as a TOML file that :meth:`from_toml` reads back equal."""
        lines = [f"name = {_quote(self.name)}", f"folder = {_quote(self.folder)}"]
        if self.description:
            lines.append(f"description = {_quote(self.description)}")
        if self.every:
            lines.append(f"every = {_quote(self.every)}")
        if self.is_sql:
            body = self.sql.strip()
            if '"""' in body or "\\" in body:
                lines.append(f"sql = {_quote(body)}")
            else:
                lines.append(f'sql = """\n{body}\n"""')
            return "\n".join(lines) + "\n"
        lines.append(f"source = {_quote(self.source)}")
        for step in self.steps:
            lines += ["", "[[steps]]"]
            for key, value in _step_mapping(step).items():
                lines.append(f"{key} = {toml_value(value)}")
        return "\n".join(lines) + "\n"


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise PipeInvalid(f"'{key}' must be text.")
    if required and not value.strip():
        raise PipeInvalid(f"The pipe definition needs a '{key}'.")
    return value.strip() if key != "sql" else value


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PipeInvalid(f"{what} must be a list of column names.", step=what.split(":")[0])
    return tuple(value)


def _step(raw: Any, number: int) -> Step:
    where = f"step {number}"
    if not isinstance(raw, Mapping):
        raise PipeInvalid(f"{where} must be a table.", step=where)
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise PipeInvalid(
            f"{where} must say exactly one of {', '.join(STEP_KINDS)}.",
            step=where,
            remedy="Write each step as its own [[steps]] table with one kind key.",
        )
    kind = kinds[0]
    value = raw[kind]
    where = f"{where} ({kind})"
    if kind == "select":
        return Step(kind, columns=_names(value, f"{where}: select"))
    if kind == "filter":
        return Step(kind, expression=_required_text(value, where, "a condition"))
    if kind == "compute":
        expression = raw.get("expression", "")
        return Step(
            kind,
            name=_required_text(value, where, "the new column's name"),
            expression=_required_text(expression, where, "an expression"),
        )
    if kind in ("join", "union"):
        source = _required_text(value, where, "the data set to read (Folder.Name)")
        if kind == "union":
            return Step(kind, source=source)
        on = raw.get("on")
        if isinstance(on, str):
            on = [on, on]
        if not (isinstance(on, list) and len(on) == 2 and all(isinstance(v, str) for v in on)):
            raise PipeInvalid(f'{where} needs on = ["left column", "right column"].', step=where)
        how = raw.get("how", "inner")
        if how not in ("inner", "left"):
            raise PipeInvalid(f"{where}: how must be inner or left.", step=where)
        columns = _names(raw["columns"], f"{where}: columns") if "columns" in raw else ()
        return Step(kind, source=source, on=(on[0], on[1]), how=how, columns=columns)
    if kind == "group":
        aggregates = raw.get("aggregates", [])
        if not isinstance(aggregates, list):
            raise PipeInvalid(f"{where}: aggregates must be a list of tables.", step=where)
        return Step(
            kind,
            columns=_names(value, f"{where}: group") if value else (),
            aggregates=tuple(_aggregate(a, where) for a in aggregates),
        )
    if kind == "pivot":
        function = raw.get("function", "sum")
        if function not in AGGREGATES:
            raise PipeInvalid(f"{where}: function must be one of {', '.join(AGGREGATES)}.")
        return Step(
            kind,
            name=_required_text(value, where, "the column whose values become columns"),
            values=_required_text(raw.get("values", ""), where, "values = the column to sum"),
            function=function,
            columns=_names(raw.get("by", []), f"{where}: by") if raw.get("by") else (),
        )
    # rename
    if not isinstance(value, Mapping) or not value:
        raise PipeInvalid(f'{where} needs a table of old = "new" names.', step=where)
    pairs = tuple((str(k), _required_text(v, where, "a new name")) for k, v in value.items())
    return Step(kind, renames=pairs)


def _required_text(value: Any, where: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PipeInvalid(f"{where} needs {what}.", step=where)
    return value.strip()


def _aggregate(raw: Any, where: str) -> Aggregate:
    if not isinstance(raw, Mapping):
        raise PipeInvalid(f"{where}: each aggregate is a table.", step=where)
    function = raw.get("function", "")
    if function not in AGGREGATES:
        raise PipeInvalid(
            f"{where}: aggregate function {function!r} is not one of {', '.join(AGGREGATES)}.",
            step=where,
        )
    column = raw.get("column")
    if column is not None and not isinstance(column, str):
        raise PipeInvalid(f"{where}: an aggregate's column must be text.", step=where)
    if column is None and function != "count":
        raise PipeInvalid(f"{where}: {function} needs a column.", step=where)
    name = raw.get("as") or (f"{function}_{column}" if column else function)
    return Aggregate(function=function, name=str(name), column=column or None)


def _step_mapping(step: Step) -> dict[str, Any]:
    if step.kind == "select":
        return {"select": list(step.columns)}
    if step.kind == "filter":
        return {"filter": step.expression}
    if step.kind == "compute":
        return {"compute": step.name, "expression": step.expression}
    if step.kind == "union":
        return {"union": step.source}
    if step.kind == "join":
        data: dict[str, Any] = {"join": step.source, "on": list(step.on), "how": step.how}
        if step.columns:
            data["columns"] = list(step.columns)
        return data
    if step.kind == "group":
        return {
            "group": list(step.columns),
            "aggregates": [
                {"function": a.function, "as": a.name} | ({"column": a.column} if a.column else {})
                for a in step.aggregates
            ],
        }
    if step.kind == "pivot":
        data = {"pivot": step.name, "values": step.values, "function": step.function}
        if step.columns:
            data["by"] = list(step.columns)
        return data
    return {"rename": dict(step.renames)}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _quote(text)


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    return repr(value)


_AGGREGATE_TEXT = re.compile(
    r"^\s*(\w+)\s*\(\s*(\*|[^)]*?)\s*\)\s*(?:as\s+(.+?))?\s*$", re.IGNORECASE
)


def with_step(text: str, kind: str, target: str, extra: str = "") -> str:
    """The definition ``text`` with one more step, written the way the web editor's two boxes
    say it: ``target`` (columns, a condition, a data set, a new name) and ``extra`` (a join's
    "left = right", aggregates such as "sum(Amount) as Amount, count(*) as Deals", an
    expression). Returns the new definition as TOML."""
    definition = PipeDefinition.from_toml(text)
    if definition.is_sql:
        raise PipeInvalid(
            "Steps apply to a pipe with a source, and this one is SQL.",
            remedy="Edit the SQL, or start from a source to build with steps.",
        )
    number = len(definition.steps) + 1
    raw: dict[str, Any]
    columns = [c.strip() for c in target.split(",") if c.strip()]
    if kind in ("select", "group"):
        raw = {kind: columns}
        if kind == "group":
            raw["aggregates"] = [_aggregate_text(a, number) for a in _split_top(extra)]
    elif kind in ("filter", "union"):
        raw = {kind: target.strip()}
    elif kind == "compute":
        raw = {"compute": target.strip(), "expression": extra.strip()}
    elif kind == "join":
        how, _, on = extra.rpartition(":")
        left, _, right = on.partition("=")
        raw = {
            "join": target.strip(),
            "on": [left.strip(), (right or left).strip()],
            "how": how.strip().lower() or "inner",
        }
    elif kind == "pivot":
        using, _, by = extra.partition(" by ")
        found = _AGGREGATE_TEXT.match(using)
        function, values = (found.group(1).lower(), found.group(2)) if found else ("sum", "")
        raw = {"pivot": target.strip(), "values": values, "function": function}
        if by.strip():
            raw["by"] = [c.strip() for c in by.split(",") if c.strip()]
    elif kind == "rename":
        pairs = [p.partition("=") for p in target.split(",") if p.strip()]
        raw = {"rename": {old.strip(): new.strip() for old, _, new in pairs}}
    else:
        raise PipeInvalid(f"There is no step {kind!r}; use one of {', '.join(STEP_KINDS)}.")
    step = _step(raw, number)
    return PipeDefinition(
        name=definition.name,
        folder=definition.folder,
        description=definition.description,
        source=definition.source,
        steps=(*definition.steps, step),
        every=definition.every,
    ).to_toml()


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses: "sum(a) as x, count(*) as n"."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _aggregate_text(text: str, number: int) -> dict[str, str]:
    found = _AGGREGATE_TEXT.match(text)
    if not found:
        raise PipeInvalid(
            f"step {number} (group): {text!r} is not an aggregate.",
            step=f"step {number} (group)",
            remedy="Write aggregates as sum(Amount) as Amount, count(*) as Deals.",
        )
    function, column, name = found.group(1).lower(), found.group(2), found.group(3)
    if function == "count" and column and column.lower().startswith("distinct "):
        function, column = "count_distinct", column[len("distinct ") :].strip()
    aggregate: dict[str, str] = {"function": function}
    if column and column != "*":
        aggregate["column"] = column.strip('"')
    if name:
        aggregate["as"] = name.strip().strip('"')
    return aggregate
