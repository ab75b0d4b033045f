"""The SQL producer: a chain of steps becomes one SELECT of named CTEs, checked step by step.

Each step is a CTE over the one before it. After every step the producer asks the database
to describe the SQL so far (binding only, nothing runs), so a missing column or a bad
expression is reported against the step that holds it, not against the whole query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sfimport.errors import SfimportError
from sfimport.pipes.definition import Aggregate, PipeDefinition, Step
from sfimport.store.names import quote

#: Given a SELECT, the (name, type) of its output columns; raises SfimportError when it does
#: not bind (a column or a table missing, a type error).
Describe = Callable[[str], Sequence[tuple[str, str]]]
#: Given a data set reference as written ("Folder.Name"), its quoted table in My Data.
Resolve = Callable[[str], str]
#: Given a SELECT of one column, its values (a pivot's distinct values, read at each build).
Values = Callable[[str], Sequence[object]]
#: A pivot makes one column per distinct value; more than this is refused.
MAX_PIVOT_COLUMNS = 100

_COLUMN_IN_ERROR = (
    re.compile(r'[Cc]olumn "([^"]+)"'),
    re.compile(r'column named "([^"]+)"'),
    re.compile(r'column with name "?([^"\s]+)"? does not exist'),
)


class StepFailure(SfimportError):
    """A step that does not bind: its label ("step 2 (join)"), the database's words, and the
    column they name when they name one. The service turns it into PipeInvalid or PipeFailed."""

    kind = "pipe_step"

    def __init__(self, step: str, detail: str, column: str | None) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail
        self.column = column


@dataclass(frozen=True)
class Compiled:
    sql: str
    #: Each step's label, in order: "source", "step 1 (filter)", ... or "sql".
    steps: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]


def column_in(message: str) -> str | None:
    """The column a database error names, if it names one."""
    for pattern in _COLUMN_IN_ERROR:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return None


def compile_sql(definition: PipeDefinition, describe: Describe) -> Compiled:
    """A SQL pipe as it is, described once (its step is "sql")."""
    sql = definition.sql.strip().rstrip(";").strip()
    return Compiled(sql, ("sql",), tuple(_describe(describe, sql, "sql")))


def compile_steps(
    definition: PipeDefinition, describe: Describe, resolve: Resolve, values: Values
) -> Compiled:
    """A chain of steps as one SELECT; raises StepFailure at the first step that fails."""
    ctes: list[tuple[str, str]] = []
    labels: list[str] = []

    def chain(body: str, label: str) -> list[tuple[str, str]]:
        ctes.append((f"s{len(ctes)}", body))
        labels.append(label)
        return list(_describe(describe, _select_last(ctes), label))

    columns = chain(f"SELECT * FROM {_resolve(resolve, definition.source, 'source')}", "source")
    for number, step in enumerate(definition.steps, start=1):
        label = f"step {number} ({step.kind})"
        prev = quote(ctes[-1][0])
        names = [c for c, _ in columns]
        if step.kind == "pivot":
            body = _pivot_sql(step, prev, names, label, values, _with(ctes))
        else:
            body = _step_sql(step, prev, names, label, describe, resolve)
        columns = chain(body, label)
    return Compiled(_select_last(ctes), tuple(labels), tuple(columns))


def _with(ctes: Sequence[tuple[str, str]]) -> str:
    withs = ",\n  ".join(f"{quote(name)} AS ({body})" for name, body in ctes)
    return f"WITH {withs}\n"


def _select_last(ctes: Sequence[tuple[str, str]]) -> str:
    return f"{_with(ctes)}SELECT * FROM {quote(ctes[-1][0])}"


def _describe(describe: Describe, sql: str, label: str) -> Sequence[tuple[str, str]]:
    try:
        return describe(sql)
    except SfimportError as error:
        raise StepFailure(label, error.message, column_in(error.message)) from error


def _resolve(resolve: Resolve, ref: str, label: str) -> str:
    try:
        return resolve(ref)
    except SfimportError as error:
        raise StepFailure(label, error.message, None) from error


def _has(names: Sequence[str], column: str, label: str) -> str:
    """The column as the data has it (names are case-insensitive), or a StepFailure."""
    for name in names:
        if name.lower() == column.lower():
            return name
    raise StepFailure(label, f'There is no column "{column}" at this step.', column)


def _step_sql(
    step: Step,
    prev: str,
    names: Sequence[str],
    label: str,
    describe: Describe,
    resolve: Resolve,
) -> str:
    if step.kind == "select":
        kept = [quote(_has(names, c, label)) for c in step.columns]
        return f"SELECT {', '.join(kept)} FROM {prev}"
    if step.kind == "filter":
        return f"SELECT * FROM {prev} WHERE ({step.expression})"
    if step.kind == "compute":
        clash = next((n for n in names if n.lower() == step.name.lower()), None)
        items = [f"({step.expression}) AS {quote(n)}" if n == clash else quote(n) for n in names]
        if clash is None:
            items.append(f"({step.expression}) AS {quote(step.name)}")
        return f"SELECT {', '.join(items)} FROM {prev}"
    if step.kind == "rename":
        renames = {_has(names, old, label): new for old, new in step.renames}
        items = [f"{quote(n)} AS {quote(renames[n])}" if n in renames else quote(n) for n in names]
        return f"SELECT {', '.join(items)} FROM {prev}"
    if step.kind == "union":
        other = _resolve(resolve, step.source, label)
        return f"SELECT * FROM {prev} UNION ALL BY NAME SELECT * FROM {other}"
    if step.kind == "join":
        return _join_sql(step, prev, names, label, describe, resolve)
    if step.kind == "group":
        by = [quote(_has(names, c, label)) for c in step.columns]
        aggregates = [_aggregate_sql(a, names, label) for a in step.aggregates]
        group_by = f" GROUP BY {', '.join(by)}" if by else ""
        return f"SELECT {', '.join(by + aggregates)} FROM {prev}{group_by}"
    raise StepFailure(label, f"There is no step kind {step.kind!r}.", None)


def _pivot_sql(
    step: Step, prev: str, names: Sequence[str], label: str, values: Values, prefix: str
) -> str:
    """One column per distinct value of the pivot column, read now (each build reads them
    again): conditional aggregates, so the SQL stays one plain SELECT whose lineage traces."""
    on = quote(_has(names, step.name, label))
    measure = quote(_has(names, step.values, label))
    by = [quote(_has(names, c, label)) for c in step.columns]
    try:
        found = values(
            f"{prefix}SELECT DISTINCT CAST({on} AS VARCHAR) FROM {prev} ORDER BY 1 LIMIT 101"
        )
    except SfimportError as error:
        raise StepFailure(label, error.message, column_in(error.message)) from error
    if len(found) > MAX_PIVOT_COLUMNS:
        raise StepFailure(
            label, f"{step.name} has more than {MAX_PIVOT_COLUMNS} distinct values to pivot.", None
        )
    items = list(by)
    for value in found:
        text = "NULL" if value is None else str(value)
        literal = "NULL" if value is None else "'" + text.replace("'", "''") + "'"
        case = f"CASE WHEN CAST({on} AS VARCHAR) IS NOT DISTINCT FROM {literal} THEN {measure} END"
        if step.function == "count_distinct":
            aggregate = f"count(DISTINCT {case})"
        else:
            aggregate = f"{step.function}({case})"
        items.append(f"{aggregate} AS {quote(text)}")
    group_by = f" GROUP BY {', '.join(by)}" if by else ""
    return f"SELECT {', '.join(items)} FROM {prev}{group_by}"


def _join_sql(
    step: Step,
    prev: str,
    names: Sequence[str],
    label: str,
    describe: Describe,
    resolve: Resolve,
) -> str:
    right = _resolve(resolve, step.source, label)
    right_names = [c for c, _ in _describe(describe, f"SELECT * FROM {right}", label)]
    left_key = _has(names, step.on[0], label)
    right_key = _has(right_names, step.on[1], label)
    wanted = (
        [_has(right_names, c, label) for c in step.columns]
        if step.columns
        else [c for c in right_names if c != right_key]
    )
    # The joined data set's columns keep their names unless the left side has one already:
    # then they take the data set's name as a prefix (Account_Name), never a silent _1.
    prefix = step.source.rpartition(".")[2]
    taken = {n.lower() for n in names}
    items = [f"l.{quote(n)}" for n in names]
    for column in wanted:
        alias = column if column.lower() not in taken else f"{prefix}_{column}"
        taken.add(alias.lower())
        items.append(f"r.{quote(column)} AS {quote(alias)}")
    how = "LEFT JOIN" if step.how == "left" else "JOIN"
    return (
        f"SELECT {', '.join(items)} FROM {prev} AS l {how} {right} AS r "
        f"ON l.{quote(left_key)} = r.{quote(right_key)}"
    )


def _aggregate_sql(
    aggregate: Aggregate, names: Sequence[str], label: str, *, alias: bool = True
) -> str:
    if aggregate.column is None:
        sql = "count(*)"
    else:
        column = quote(_has(names, aggregate.column, label))
        if aggregate.function == "count_distinct":
            sql = f"count(DISTINCT {column})"
        else:
            sql = f"{aggregate.function}({column})"
    return f"{sql} AS {quote(aggregate.name)}" if alias else sql
