"""What a pipe's SQL may do and what it reads: one read-only SELECT over data sets of My Data
only, and for each output column the source columns it is made from (its lineage).

The SQL is parsed (sqlglot, DuckDB dialect), never pattern-matched: a statement other than a
query, a table function (``read_csv``, ``glob``, ...), a file named in FROM, or a function that
reads files or the environment is refused before anything runs. Lineage is what carries
concealment: an output column made from a concealed column is concealed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify

from sfimport.errors import PipeInvalid

#: Function name prefixes that read files, the network or other databases in DuckDB.
_REFUSED_PREFIXES = (
    "read_",
    "parquet_",
    "iceberg_",
    "delta_",
    "sniff_",
    "glob",
    "pragma_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "duckdb_",
    "http",
    "arrow_",
    "load_",
    "which_secret",
)
_REFUSED = frozenset(
    {"getenv", "query", "query_table", "current_setting", "load", "install", "checkpoint"}
)

#: (folder, data set, column), lower-cased: DuckDB compares identifiers case-insensitively.
SourceColumn = tuple[str, str, str]
#: folder -> data set -> column -> type, as sqlglot's schema wants it.
Schema = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class Analysis:
    #: The data sets the SQL reads, as (folder, name) in the case it wrote them.
    sources: tuple[tuple[str, str], ...]


def check_read_only(sql: str) -> Analysis:
    """Refuse anything but one query over ``Folder.Name`` tables; return what it reads."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as error:
        raise PipeInvalid(
            f"The pipe's SQL does not parse: {_first_line(error)}", step="sql"
        ) from None
    if len(statements) != 1:
        raise PipeInvalid(
            f"A pipe is one SELECT; this SQL has {len(statements)} statements.",
            step="sql",
            remedy="Keep a single SELECT (use WITH for intermediate steps).",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query) or tree.find(exp.Command) is not None:
        raise PipeInvalid(
            f"A pipe only reads: {tree.key.upper()} statements are not allowed.",
            step="sql",
            remedy="Write one SELECT (or WITH ... SELECT) over data sets of My Data.",
        )
    for function in tree.find_all(exp.Func):
        name = (
            function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        ).lower()
        if name in _REFUSED or name.startswith(_REFUSED_PREFIXES):
            raise PipeInvalid(
                f"A pipe cannot call {name}(): it reads files, settings or other databases.",
                step="sql",
                remedy="Read data sets of My Data by name (Folder.Name) instead.",
            )
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    sources: list[tuple[str, str]] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.catalog:
            raise PipeInvalid(
                f"A pipe reads data sets only, not {table.sql(dialect='duckdb')}.",
                step="sql",
                remedy="Name each data set as Folder.Name.",
            )
        if not table.db:
            if table.name.lower() in ctes:
                continue
            raise PipeInvalid(
                f"{table.name!r} is not a data set of My Data.",
                step="sql",
                remedy="Name each data set with its folder, as Folder.Name.",
            )
        pair = (table.db, table.name)
        if pair not in sources:
            sources.append(pair)
    return Analysis(tuple(sources))


def column_lineage(sql: str, schema: Schema) -> dict[str, frozenset[SourceColumn] | None]:
    """For each output column (lower-cased), the source columns it is made from; None for a
    column whose lineage cannot be traced (callers must then assume the worst)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        qualified = qualify(tree, schema=dict(schema), dialect="duckdb")
        if not isinstance(qualified, exp.Query):
            return {}
        names = [s.alias_or_name for s in qualified.selects]
    except (SqlglotError, KeyError, ValueError, RecursionError):
        return {}  # untraceable: every column is then treated as made from concealed ones
    found: dict[str, frozenset[SourceColumn] | None] = {}
    for name in names:
        try:
            node = lineage(name, qualified, schema=dict(schema), dialect="duckdb", copy=True)
        except (SqlglotError, KeyError, ValueError, RecursionError):
            found[name.lower()] = None
            continue
        columns: set[SourceColumn] = set()
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.expression, exp.Table):
                continue
            table = leaf.expression
            column = leaf.name.rsplit(".", 1)[-1].strip('"')
            columns.add((table.db.lower(), table.name.lower(), column.lower()))
        found[name.lower()] = frozenset(columns)
    return found


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
