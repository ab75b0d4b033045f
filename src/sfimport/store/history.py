"""History mode: every version of every row of a data set, with when each was valid.

A data set in history mode has a second table beside it, ``"<folder>"."<name>__history"``:
its columns plus ``valid_from``, ``valid_to`` (null while current) and ``is_current``. A new or
changed row opens a version valid from its cursor value (``SystemModstamp``: when Salesforce
changed it) or, without one, from the run's time; the version it replaces closes then. A
deleted row's last version closes at the run that saw the deletion. The table is written in the
transaction that changes the data set, from the changes :mod:`sfimport.store.changes`
collected, so "as of" queries never see a half-applied refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from sfimport.store.changes import COLLECTED, ChangeContext, persist, prune
from sfimport.store.names import quote, table_ref

OPTIONS = "_sfimport.dataset_options"
HISTORY_SUFFIX = "__history"
VERSION_COLUMNS = ("valid_from", "valid_to", "is_current")

#: My Data catalog upgrade that creates the per-data-set options (history mode, formulas).
CREATE_OPTIONS = f"""
CREATE TABLE IF NOT EXISTS {OPTIONS} (
    dataset_id VARCHAR NOT NULL PRIMARY KEY,
    history BOOLEAN NOT NULL DEFAULT false,
    formulas_every VARCHAR,
    formulas_refreshed_at TIMESTAMPTZ
)
"""


@dataclass(frozen=True)
class DatasetOptions:
    """What a person chose for one data set beyond its import: history mode, formula refresh."""

    history: bool = False
    #: How often formula columns are re-read: "always", "daily", "never" or None (the default).
    formulas_every: str | None = None
    formulas_refreshed_at: datetime | None = None


def history_table(folder: str, name: str) -> str:
    return table_ref(folder, name + HISTORY_SUFFIX)


def read_options(con: duckdb.DuckDBPyConnection, dataset_id: str) -> DatasetOptions:
    row = con.execute(
        f"SELECT history, formulas_every, formulas_refreshed_at FROM {OPTIONS} "
        "WHERE dataset_id = $id",
        {"id": dataset_id},
    ).fetchone()
    if row is None:
        return DatasetOptions()
    return DatasetOptions(bool(row[0]), row[1], row[2])


def all_options(con: duckdb.DuckDBPyConnection) -> dict[str, DatasetOptions]:
    rows = con.execute(
        f"SELECT dataset_id, history, formulas_every, formulas_refreshed_at FROM {OPTIONS}"
    ).fetchall()
    return {str(r[0]): DatasetOptions(bool(r[1]), r[2], r[3]) for r in rows}


def write_options(con: duckdb.DuckDBPyConnection, dataset_id: str, options: DatasetOptions) -> None:
    con.execute(f"DELETE FROM {OPTIONS} WHERE dataset_id = $id", {"id": dataset_id})
    con.execute(
        f"INSERT INTO {OPTIONS} VALUES ($id, $history, $every, $at)",
        {
            "id": dataset_id,
            "history": options.history,
            "every": options.formulas_every,
            "at": options.formulas_refreshed_at,
        },
    )


def formulas_read(con: duckdb.DuckDBPyConnection, dataset_id: str, moment: datetime) -> None:
    """Record that the data set's formula columns were read whole at ``moment``."""
    options = read_options(con, dataset_id)
    write_options(con, dataset_id, replace(options, formulas_refreshed_at=moment))


def start(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str,
    history: str,
    cursor: str | None,
    now: datetime,
) -> None:
    """Begin history mode: every row of ``table`` becomes its first, current version."""
    con.execute(f"DROP TABLE IF EXISTS {history}")
    con.execute(
        f"CREATE TABLE {history} AS SELECT *, {_valid_from(cursor)} AS valid_from, "
        f"NULL::TIMESTAMPTZ AS valid_to, true AS is_current FROM {table} AS s",
        {"now": now},
    )


def stop(con: duckdb.DuckDBPyConnection, history: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {history}")


def apply(
    con: duckdb.DuckDBPyConnection,
    *,
    history: str,
    new_rows: str,
    key: str,
    cursor: str | None,
    now: datetime,
) -> None:
    """Apply the collected changes: close the current version of every updated or removed row,
    open one for every added or updated row, read from ``new_rows`` (the staged rows of a merge
    or the new table of a replace). New columns are added to the history first."""
    present = {str(r[0]) for r in con.execute(f"DESCRIBE {history}").fetchall()}
    for name, duck_type, *_ in con.execute(f"DESCRIBE SELECT * FROM {new_rows}").fetchall():
        if name not in present:
            con.execute(f"ALTER TABLE {history} ADD COLUMN {quote(name)} {duck_type}")
    k = quote(key)
    changed = f"SELECT DISTINCT record_id FROM {COLLECTED} WHERE change IN ('updated', 'added')"
    # An updated row's old version ends when the new one begins (Salesforce's time of the
    # change); a removed row's at the run that saw the deletion.
    con.execute(
        f"UPDATE {history} AS h SET valid_to = greatest(h.valid_from, {_valid_from(cursor)}), "
        f"is_current = false FROM {new_rows} AS s "
        f"WHERE h.is_current AND h.{k} = s.{k} AND s.{k} IN ({changed})",
        {"now": now},
    )
    con.execute(
        f"UPDATE {history} SET valid_to = greatest(valid_from, $now), is_current = false "
        f"WHERE is_current AND {k} IN "
        f"(SELECT record_id FROM {COLLECTED} WHERE change = 'removed')",
        {"now": now},
    )
    con.execute(
        f"INSERT INTO {history} BY NAME SELECT *, {_valid_from(cursor)} AS valid_from, "
        f"NULL::TIMESTAMPTZ AS valid_to, true AS is_current FROM {new_rows} AS s "
        f"WHERE s.{k} IN ({changed})",
        {"now": now},
    )


def as_of_sql(history: str, columns: list[str]) -> str:
    """The rows as they were at ``$at``: the version valid then, for each Id."""
    selected = ", ".join(quote(c) for c in columns if c not in VERSION_COLUMNS)
    return (
        f"SELECT {selected} FROM {history} "
        "WHERE valid_from <= $at AND (valid_to IS NULL OR valid_to > $at)"
    )


def _valid_from(cursor: str | None) -> str:
    if cursor is None:
        return "$now::TIMESTAMPTZ"
    return f"coalesce(s.{quote(cursor)}::TIMESTAMPTZ, $now::TIMESTAMPTZ)"


def finish_change(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset_id: str,
    folder: str,
    name: str,
    cursor: str | None,
    new_rows: str,
    key: str,
    run_id: str | None,
    now: datetime,
    retention_days: int | None,
) -> None:
    """After a publish or merge changed a data set's rows (in its transaction): write its
    history when history mode is on, append the collected changes to the log, prune the log."""
    options = read_options(con, dataset_id)
    if options.history:
        history = history_table(folder, name)
        if _exists(con, folder, name + HISTORY_SUFFIX):
            apply(con, history=history, new_rows=new_rows, key=key, cursor=cursor, now=now)
        else:
            start(con, table=table_ref(folder, name), history=history, cursor=cursor, now=now)
    persist(con, ChangeContext(dataset_id, run_id, now))
    if retention_days is not None:
        prune(con, now - timedelta(days=retention_days))


def _exists(con: duckdb.DuckDBPyConnection, folder: str, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE lower(schema_name) = lower($folder) "
        "AND lower(table_name) = lower($table)",
        {"folder": folder, "table": table},
    ).fetchone()
    return bool(row and row[0])
