"""The change log of My Data: per data set and run, the Ids added, updated and removed, and for
updated rows each column that changed with its old and new value.

The log is written inside the transaction that publishes or merges the rows (see
:mod:`sfimport.store.mydata`), so it never disagrees with the table. Values are compared and
kept as text as the table holds them: a concealed column holds pseudonyms, so the log does too
and a raw value never reaches it. Each write first collects the run's changes into a temporary
table (``_sf_changes``), which history mode (:mod:`sfimport.store.history`) reads as well.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import duckdb

from sfimport.store.names import quote

CHANGES = "_sfimport.changes"
#: The temporary table one publish or merge collects its changes into.
COLLECTED = "_sf_changes"

#: My Data catalog upgrade that creates the log (see ``_CATALOG_UPGRADES`` in mydata).
CREATE_CHANGES = f"""
CREATE TABLE IF NOT EXISTS {CHANGES} (
    dataset_id VARCHAR NOT NULL,
    run_id VARCHAR,
    changed_at TIMESTAMPTZ NOT NULL,
    record_id VARCHAR NOT NULL,
    change VARCHAR NOT NULL,
    column_name VARCHAR,
    old_value VARCHAR,
    new_value VARCHAR
)
"""


class ChangeKind(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"
    #: A field that appeared in Salesforce became a column (``column_name``), backfilled.
    COLUMN_ADDED = "column_added"


@dataclass(frozen=True)
class ColumnChange:
    """One column of an updated row: its value before and after (as text; None is null)."""

    column: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class RecordChange:
    """One row's change in one run."""

    record_id: str
    kind: ChangeKind
    columns: tuple[ColumnChange, ...] = ()


@dataclass(frozen=True)
class RunChanges:
    """What one run changed in one data set."""

    run_id: str | None
    changed_at: datetime
    records: tuple[RecordChange, ...]

    def ids(self, kind: ChangeKind | str) -> tuple[str, ...]:
        return tuple(r.record_id for r in self.records if r.kind == kind)


@dataclass(frozen=True)
class ChangeContext:
    """Which data set and run a publish or merge writes changes for."""

    dataset_id: str
    run_id: str | None
    changed_at: datetime


def collect_merge(
    con: duckdb.DuckDBPyConnection, *, table: str, staged: str, deleted: str, key: str
) -> None:
    """Collect what a merge of ``staged`` rows (and removal of ``deleted`` ids) will change in
    ``table``; call it after new columns were added and before any row is touched."""
    _collect(
        con,
        old=table,
        new=staged,
        key=key,
        added=f"SELECT s.{quote(key)} FROM {staged} s ANTI JOIN {table} t USING ({quote(key)})",
        removed=f"SELECT d.id FROM {deleted} d SEMI JOIN {table} t ON d.id = t.{quote(key)}",
    )


def collect_replace(con: duckdb.DuckDBPyConnection, *, old: str, new: str, key: str = "Id") -> bool:
    """Collect what replacing table ``old`` by relation ``new`` (a table or a read_parquet
    call) changes; False when either side has no ``key`` column (a report): nothing is kept."""
    if key not in _columns(con, old) or key not in _columns(con, new):
        return False
    k = quote(key)
    _collect(
        con,
        old=old,
        new=new,
        key=key,
        added=f"SELECT n.{k} FROM {new} n ANTI JOIN {old} o USING ({k})",
        removed=f"SELECT o.{k} FROM {old} o ANTI JOIN {new} n USING ({k})",
    )
    return True


def collect_columns(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str,
    new: str,
    columns: Sequence[str],
    added: Sequence[str] = (),
    key: str = "Id",
) -> None:
    """Collect what updating ``columns`` of ``table`` from ``new`` (Id plus those columns)
    changes; ``added`` columns are new to the table: logged once as a schema change, not as
    a change of every row."""
    k = quote(key)
    _collect(
        con,
        old=f"(SELECT {', '.join([k, *(quote(c) for c in columns)])} FROM {table})",
        new=new,
        key=key,
        added="SELECT NULL::VARCHAR WHERE false",
        removed="SELECT NULL::VARCHAR WHERE false",
    )
    for column in added:
        con.execute(
            f"INSERT INTO {COLLECTED} VALUES ('', 'column_added', $column, NULL, NULL)",
            {"column": column},
        )


def _collect(
    con: duckdb.DuckDBPyConnection, *, old: str, new: str, key: str, added: str, removed: str
) -> None:
    k = quote(key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {COLLECTED} (record_id VARCHAR, change VARCHAR, "
        "column_name VARCHAR, old_value VARCHAR, new_value VARCHAR)"
    )
    con.execute(f"INSERT INTO {COLLECTED} SELECT *, 'added', NULL, NULL, NULL FROM ({added})")
    con.execute(f"INSERT INTO {COLLECTED} SELECT *, 'removed', NULL, NULL, NULL FROM ({removed})")
    before = set(_columns(con, old))
    shared = [c for c in _columns(con, new) if c != key and c in before]
    if not shared:
        return
    # One pass over the joined rows: every shared column as a (name, old, new) struct, kept
    # where the text differs; a statement per column would join the tables once per column.
    pairs = ", ".join(
        f"{{'c': '{_literal(c)}', 'o': o.{quote(c)}::VARCHAR, 'n': n.{quote(c)}::VARCHAR}}"
        for c in shared
    )
    con.execute(
        f"INSERT INTO {COLLECTED} SELECT id, 'updated', d.c, d.o, d.n FROM ("
        f"SELECT n.{k} AS id, unnest([{pairs}]) AS d FROM {new} n JOIN {old} o USING ({k})"
        ") WHERE d.o IS DISTINCT FROM d.n"
    )


def persist(con: duckdb.DuckDBPyConnection, context: ChangeContext) -> None:
    """Append the collected changes to the log and drop the temporary table."""
    con.execute(
        f"INSERT INTO {CHANGES} SELECT $dataset, $run, $at, record_id, change, column_name, "
        f"old_value, new_value FROM {COLLECTED}",
        {"dataset": context.dataset_id, "run": context.run_id, "at": context.changed_at},
    )
    con.execute(f"DROP TABLE IF EXISTS {COLLECTED}")


def prune(con: duckdb.DuckDBPyConnection, before: datetime) -> int:
    """Remove what the log holds from before ``before`` (the retention setting)."""
    ((count,),) = con.execute(
        f"SELECT count(*) FROM {CHANGES} WHERE changed_at < $before", {"before": before}
    ).fetchall()
    con.execute(f"DELETE FROM {CHANGES} WHERE changed_at < $before", {"before": before})
    return int(count)


def forget(con: duckdb.DuckDBPyConnection, dataset_id: str) -> None:
    """Remove the log of a deleted data set."""
    con.execute(f"DELETE FROM {CHANGES} WHERE dataset_id = $id", {"id": dataset_id})


class _Reader(Protocol):
    def _read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


def read_changes(
    store: _Reader, dataset_id: str, since: datetime | None = None, limit: int = 100_000
) -> list[RunChanges]:
    """The log of one data set, newest run first, at most ``limit`` changed rows."""
    where = "dataset_id = $id" + (" AND changed_at >= $since" if since is not None else "")
    params: dict[str, Any] = {"id": dataset_id, "limit": limit}
    if since is not None:
        params["since"] = since
    with store._read() as con:
        rows = con.execute(
            f"SELECT run_id, changed_at, record_id, change, column_name, old_value, new_value "
            f"FROM {CHANGES} WHERE {where} "
            "ORDER BY changed_at DESC, run_id, change, record_id, column_name LIMIT $limit",
            params,
        ).fetchall()
    return list(_grouped(rows))


def _grouped(rows: Sequence[tuple[Any, ...]]) -> Iterator[RunChanges]:
    runs: dict[tuple[str | None, datetime], dict[tuple[str, str], list[ColumnChange]]] = {}
    for run_id, at, record_id, change, column, old, new in rows:
        records = runs.setdefault((run_id, at), {})
        columns = records.setdefault((change, record_id), [])
        if column is not None:
            columns.append(ColumnChange(column, old, new))
    for (run_id, at), records in runs.items():
        yield RunChanges(
            run_id=run_id,
            changed_at=at,
            records=tuple(
                RecordChange(record_id, ChangeKind(change), tuple(columns))
                for (change, record_id), columns in records.items()
            ),
        )


def counts(changes: RunChanges) -> Mapping[ChangeKind, int]:
    return {kind: len(changes.ids(kind)) for kind in ChangeKind}


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _literal(text: str) -> str:
    return text.replace("'", "''")
