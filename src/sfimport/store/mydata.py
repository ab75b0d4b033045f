"""My Data: one DuckDB file of folders, data set tables and the catalog that describes them.

A folder is a DuckDB schema, a data set a table in it, and ``_sfimport.datasets`` the catalog.
An import appends each result page, as it arrives, to a staging table of its run in the data
set's folder (:meth:`MyData.append_staged`, the page's checkpoint committed with its rows);
:meth:`MyData.publish` then swaps it in by a rename and :meth:`MyData.merge` upserts from it, in
one short transaction, so a crash or kill leaves the published data sets exactly as they were.
No connection outlives a call: DuckDB lets one process write a file at a time, and the web
server and the CLI share the data folder, so every call opens, works, closes, and retries
briefly while another process holds the file. Readers therefore wait at most for one page's
append or one publish, never for a download, and see only published data sets (the catalog
lists no staging table).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, overload
from uuid import uuid4

import duckdb
import pyarrow as pa

from sfimport.errors import (
    NotFound,
    QueryCancelled,
    QueryTimeout,
    SchemaTooNew,
    SfimportError,
    StoreBusy,
    StoreError,
    UsageError,
)
from sfimport.store import changes, history
from sfimport.store.changes import RunChanges
from sfimport.store.export import write_export
from sfimport.store.history import DatasetOptions
from sfimport.store.names import quote, table_ref, validate_name, validate_run_id
from sfimport.store.staging import (
    STAGING_TABLE_PREFIX,
    StagedData,
    StagingWriter,
    staging_directory,
    staging_table,
)

logger = logging.getLogger(__name__)

CATALOG_SCHEMA = "_sfimport"
CATALOG = f"{CATALOG_SCHEMA}.datasets"
#: Every read connection uses this one configuration: DuckDB refuses, within one process, a
#: second connection to a file with a different one. No file access beyond My Data itself.
_READ_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "memory_limit": "192MB",
}
#: Publishing a table from Parquet otherwise lets DuckDB use most of the machine's memory; with
#: a limit it spills to ``<file>.tmp`` and the import's peak stays flat whatever the row count.
#: Not preserving insertion order halves the publish time (and so the write lock's hold): rows
#: of a table come back in no particular order unless a query sorts them.
_WRITE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "memory_limit": "128MB",
    "preserve_insertion_order": False,
}
_LOCK_MESSAGES = ("Could not set lock", "different configuration", "Conflicting lock")

_CREATE_CATALOG = f"""
CREATE SCHEMA IF NOT EXISTS {CATALOG_SCHEMA};
CREATE TABLE IF NOT EXISTS {CATALOG} (
    id VARCHAR NOT NULL,
    folder VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    connection VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    columns VARCHAR NOT NULL,
    concealed VARCHAR[] NOT NULL,
    skipped VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    start_date DATE,
    cursor_field VARCHAR,
    high_water_mark TIMESTAMPTZ,
    last_import TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    incomplete_reason VARCHAR
);
"""
#: The version of My Data's own tables (the catalog); a file without a stamp is version 1, the
#: first release's. ``_CATALOG_UPGRADES[n]`` takes version n to n + 1.
CATALOG_VERSION = 2
_VERSION_TABLE = f"{CATALOG_SCHEMA}.schema_version"
_CATALOG_UPGRADES: dict[int, tuple[str, ...]] = {
    # 1 -> 2: the change log of refreshes and the per-data-set options (history mode).
    1: (changes.CREATE_CHANGES, history.CREATE_OPTIONS),
}

_CATALOG_COLUMNS = (
    "id, folder, name, connection, source, kind, columns, concealed, skipped, row_count, "
    "start_date, cursor_field, high_water_mark, last_import, status, incomplete_reason"
)

Kind = Literal["object", "report", "pipe"]


@dataclass(frozen=True)
class Column:
    """One column of a data set: its name, DuckDB type, Salesforce type and label, and a note
    when sfimport chose something describe did not say (a fallback decimal scale)."""

    name: str
    type: str
    sf_type: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Publication:
    """What an import says about the data set it publishes or merges (the staged rows aside)."""

    folder: str
    name: str
    connection: str
    #: The object's API name (``Account``) or the report's id.
    source: str
    kind: Kind = "object"
    concealed: tuple[str, ...] = ()
    #: Fields left out, as (name, reason): base64 content, compound fields, ...
    skipped: tuple[tuple[str, str], ...] = ()
    start_date: date | None = None
    cursor_field: str | None = None
    #: The cursor's upper bound for the next refresh; None means the newest staged value.
    high_water_mark: datetime | None = None
    #: Set when the data could not be fetched completely (a report beyond its row limit).
    incomplete_reason: str | None = None
    #: The run that publishes, and its time, for the change log and history mode.
    run_id: str | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Published:
    """The event after a publish or merge committed: which data set, by which run.

    Pipes (rebuild downstream) and history subscribe to it; a subscriber's error never undoes
    the publish."""

    folder: str
    name: str
    kind: str
    run_id: str | None


@dataclass(frozen=True)
class Dataset:
    """One row of the catalog: an imported object or report."""

    id: str
    folder: str
    name: str
    connection: str
    source: str
    kind: str
    columns: tuple[Column, ...]
    concealed: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    row_count: int
    start_date: date | None
    cursor_field: str | None
    high_water_mark: datetime | None
    last_import: datetime
    status: str
    incomplete_reason: str | None

    @property
    def incomplete(self) -> bool:
        return self.incomplete_reason is not None

    @property
    def table(self) -> str:
        """The quoted ``"folder"."name"`` to use in SQL over My Data."""
        return table_ref(self.folder, self.name)


@dataclass(frozen=True)
class MergeCounts:
    added: int
    updated: int
    removed: int
    row_count: int


@dataclass(frozen=True)
class QueryResult:
    table: pa.Table
    #: True when the query had more rows than the limit and only the first were kept.
    truncated: bool


class QueryCancel:
    """Interrupts one running query from another thread: a client that went away, a shutdown.

    A query given a deadline is interrupted by a timer too. Cancelling before the query starts
    makes it stop as soon as it does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self.cancelled = False
        self.timed_out = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self._con is not None:
                self._con.interrupt()

    def _expire(self) -> None:
        with self._lock:
            self.timed_out = True
            if self._con is not None:
                self._con.interrupt()

    def error(self, timeout: float | None) -> SfimportError:
        if self.timed_out and not self.cancelled:
            return QueryTimeout(f"The query ran longer than {timeout:g} s and was stopped.")
        return QueryCancelled(
            "The query was stopped: its client went away or sfimport is stopping."
        )

    @contextmanager
    def bound(self, con: duckdb.DuckDBPyConnection, timeout: float | None) -> Iterator[None]:
        timer = threading.Timer(timeout, self._expire) if timeout else None
        with self._lock:
            if self.cancelled:
                raise self.error(timeout)
            self._con = con
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            with self._lock:
                self._con = None


class MyData:
    """The My Data file of one data folder; every method opens and closes its own connection."""

    def __init__(
        self,
        path: Path,
        *,
        staging_root: Path | None = None,
        busy_timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        change_retention_days: int | None = None,
    ) -> None:
        self.path = path
        #: The change log keeps this many days (None: everything).
        self.change_retention_days = change_retention_days
        self.staging_root = staging_root or path.parent / "staging"
        self._busy_timeout = busy_timeout
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._schema_checked = False
        self._listeners: list[Callable[[Published], None]] = []

    def subscribe(self, listener: Callable[[Published], None]) -> None:
        """Call ``listener`` after every publish or merge that committed (in the publishing
        thread, outside the write lock)."""
        self._listeners.append(listener)

    def _emit(self, dataset: Dataset, publication: Publication) -> None:
        event = Published(dataset.folder, dataset.name, publication.kind, publication.run_id)
        for listener in list(self._listeners):
            listener(event)

    @classmethod
    def for_data_dir(cls, data_dir: Path, **options: Any) -> MyData:
        return cls(data_dir / "mydata.duckdb", staging_root=data_dir / "staging", **options)

    # -- staging ------------------------------------------------------------------------------

    def stage(self, run_id: str, folder: str, name: str, schema: pa.Schema) -> StagingWriter:
        """A writer for the staged rows of one data set in one run."""
        directory = staging_directory(self.staging_root, run_id, folder, name)
        return StagingWriter(directory, schema)

    def discard_run(self, run_id: str) -> None:
        """Remove whatever a run left in staging (after a crash, or once it is published)."""
        directory = self.staging_root / validate_run_id(run_id)
        if directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
        if not self.path.exists():
            return
        prefix = f"{STAGING_TABLE_PREFIX}{run_id}__"
        try:
            with self._read() as con:
                left = _staging_tables(con, prefix)
            if left:
                with self._write() as con:
                    for schema_name, table_name in _staging_tables(con, prefix):
                        con.execute(f"DROP TABLE IF EXISTS {table_ref(schema_name, table_name)}")
        except StoreBusy:
            # The run has ended either way; its leftover staging tables are invisible to
            # readers and are dropped when the run is discarded again (a resume, a re-run).
            logger.warning("Could not drop the staging tables of run %s: My Data was busy", run_id)

    def append_staged(
        self,
        run_id: str,
        folder: str,
        name: str,
        rows: pa.Table,
        checkpoint: Mapping[str, Any],
    ) -> None:
        """Append one page's ``rows`` to the run's staging table of data set ``name`` and
        record ``checkpoint`` (JSON) with them, in one transaction: a kill at any point leaves
        either both or neither, so a resume continues exactly after the last page appended."""
        validate_name(folder, "folder")
        stg = table_ref(folder, staging_table(run_id, name))
        # DuckDB takes no parameter in COMMENT ON: the JSON goes in as a quoted literal.
        note = json.dumps(dict(checkpoint), default=str).replace("'", "''")
        with self._write() as con, _transaction(con):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(folder)}")
            con.register("_page", rows)
            try:
                con.execute(f"CREATE TABLE IF NOT EXISTS {stg} AS FROM _page LIMIT 0")
                con.execute(f"INSERT INTO {stg} FROM _page")
            finally:
                con.unregister("_page")
            con.execute(f"COMMENT ON TABLE {stg} IS '{note}'")

    def staged_checkpoint(self, run_id: str, folder: str, name: str) -> dict[str, Any] | None:
        """The checkpoint committed with the last page of the run's staging table of ``name``
        (None when nothing is staged)."""
        if not self.path.exists():
            return None
        with self._read() as con:
            found = _staging_comment(con, folder, staging_table(run_id, name))
        if not found:
            return None
        value: dict[str, Any] = json.loads(found)
        return value

    def drop_staged(self, run_id: str, folder: str, name: str) -> None:
        """Forget every page staged for data set ``name`` in the run."""
        if self.staged_checkpoint(run_id, folder, name) is None:
            return
        with self._write() as con:
            con.execute(f"DROP TABLE IF EXISTS {table_ref(folder, staging_table(run_id, name))}")

    def staged_table(
        self, run_id: str, folder: str, name: str, schema: pa.Schema, rows: int
    ) -> StagedData:
        """The run's staged rows of data set ``name``, ready for :meth:`publish` or
        :meth:`merge` (a data set with no rows has no staging table; both handle that)."""
        directory = staging_directory(self.staging_root, run_id, folder, name)
        return StagedData(directory, (), schema, rows, table=(run_id, folder, name))

    # -- writing ------------------------------------------------------------------------------

    def create_folder(self, folder: str) -> None:
        validate_name(folder, "folder")
        with self._write() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(folder)}")

    def publish(self, staged: StagedData, publication: Publication) -> Dataset:
        """Replace the data set's table by the staged rows and update the catalog, atomically."""
        folder = validate_name(publication.folder, "folder")
        name = validate_name(publication.name, "data set")
        table = table_ref(folder, name)
        began = time.perf_counter()
        with self._write() as con, _transaction(con):
            existing = _find(con, folder, name)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(folder)}")
            source = _staged_relation(con, staged)
            tracked = existing is not None and changes.collect_replace(
                con, old=existing.table, new=source
            )
            if existing is not None:
                # Keep the case the folder was created with, and the table's old name casing.
                con.execute(f"DROP TABLE IF EXISTS {table_ref(existing.folder, existing.name)}")
            if staged.table is not None and source != _EMPTY_STAGED:
                # The swap: the rows are already in My Data, so this is a rename, not a copy.
                final = existing.name if existing is not None else name
                con.execute(f"ALTER TABLE {source} RENAME TO {quote(final)}")
                con.execute(f"COMMENT ON TABLE {table_ref(folder, final)} IS NULL")
            else:
                con.execute(f"CREATE TABLE {table} AS FROM {source}")
            con.unregister(_EMPTY_STAGED)
            dataset = self._record(con, publication, staged.schema, existing)
            if tracked:
                self._track(con, dataset, publication, new_rows=dataset.table)
            if dataset.kind == "object":
                # A whole read reads every formula too: "daily" counts from here.
                history.formulas_read(con, dataset.id, publication.changed_at or self._now())
        # Open, swap, commit and close: how long readers of other processes had to wait.
        logger.info(
            "Published %s.%s (%d rows): My Data's write lock held %.3f s",
            dataset.folder,
            dataset.name,
            dataset.row_count,
            time.perf_counter() - began,
        )
        staged.discard()
        self._emit(dataset, publication)
        return dataset

    def merge(
        self,
        staged: StagedData,
        publication: Publication,
        *,
        deleted_ids: Sequence[str] = (),
        key: str = "Id",
    ) -> MergeCounts:
        """Upsert staged rows by ``key`` and remove ``deleted_ids``, in one transaction.

        Staged rows are deduplicated first (newest ``cursor_field`` wins, then the last staged):
        DuckDB keeps the first of duplicate keys in one statement. Staged rows whose
        ``IsDeleted`` is true (queryAll) count as deletions. Columns new in the staged schema
        are added to the table. A data set that does not exist yet is created.
        """
        folder = validate_name(publication.folder, "folder")
        name = validate_name(publication.name, "data set")
        if key not in staged.schema.names:
            raise UsageError(f"Cannot merge {name}: the staged rows have no {key} column.")
        with self._write() as con, _transaction(con):
            existing = _find(con, folder, name)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(folder)}")
            table = table_ref(folder, name) if existing is None else existing.table
            source = _staged_relation(con, staged)
            if existing is None:
                con.execute(f"CREATE TABLE {table} AS FROM {source} LIMIT 0")
            counts = self._merge_rows(
                con,
                table,
                staged,
                source,
                publication,
                deleted_ids,
                key,
                tracked=existing is not None,
            )
            dataset = self._record(con, publication, staged.schema, existing, table=table)
            if existing is not None:
                self._track(con, dataset, publication, new_rows="_staged", key=key)
            con.execute("DROP TABLE _staged")
            if staged.table is not None and source != _EMPTY_STAGED:
                con.execute(f"DROP TABLE {source}")
            con.unregister(_EMPTY_STAGED)
        staged.discard()
        self._emit(dataset, publication)
        return counts

    def publish_select(
        self,
        sql: str,
        publication: Publication,
        *,
        column_metadata: dict[str, dict[str, str]] | None = None,
        timeout: float | None = None,
    ) -> Dataset:
        """Replace a data set by the result of a read-only SELECT over My Data (a pipe's
        output), in one transaction: readers see the old rows until the new ones are whole,
        and a failure leaves the old ones. ``column_metadata`` gives each output column its
        sf_type, label and note."""
        _check_read_only(sql)
        folder = validate_name(publication.folder, "folder")
        name = validate_name(publication.name, "data set")
        cancel = QueryCancel()
        with self._write() as con, cancel.bound(con, timeout):
            try:
                with _transaction(con):
                    existing = _find(con, folder, name)
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(folder)}")
                    table = table_ref(folder, name) if existing is None else existing.table
                    con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
                    schema = con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
                    meta = column_metadata or {}
                    schema = pa.schema([f.with_metadata(meta.get(f.name, {})) for f in schema])
                    dataset = self._record(con, publication, schema, existing, table=table)
            except duckdb.InterruptException:
                raise cancel.error(timeout) from None
            except duckdb.Error as error:
                raise UsageError(f"The query failed: {error}") from None
        self._emit(dataset, publication)
        return dataset

    def describe_select(self, sql: str) -> list[tuple[str, str]]:
        """The (name, type) of a read-only SELECT's output columns, binding it only (nothing
        runs); UsageError when it does not bind."""
        _check_read_only(sql)
        with self._read() as con:
            try:
                relation = con.sql(sql)
            except duckdb.Error as error:
                raise UsageError(f"The query failed: {error}") from None
            return [(str(n), str(t)) for n, t in zip(relation.columns, relation.types, strict=True)]

    def update_columns(
        self,
        staged: StagedData,
        publication: Publication,
        *,
        columns: Sequence[str],
        added: Sequence[str] = (),
        formulas_read: bool = False,
        key: str = "Id",
    ) -> int:
        """Set ``columns`` of the data set's rows from staged rows of Id plus those columns (a
        column pass: formulas re-read, new fields backfilled), logging what changed, in one
        transaction; ``added`` columns are created first. Returns the rows updated."""
        folder = validate_name(publication.folder, "folder")
        name = validate_name(publication.name, "data set")
        with self._write() as con, _transaction(con):
            existing = _find(con, folder, name)
            if existing is None:
                raise NotFound(f"There is no data set {name} in folder {folder}.")
            table = existing.table
            k = quote(key)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _columns AS SELECT * EXCLUDE (filename) FROM "
                f"read_parquet($files, filename = true) QUALIFY row_number() OVER "
                f"(PARTITION BY {k} ORDER BY filename DESC) = 1",
                {"files": [str(f) for f in staged.files]},
            )
            present = {str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
            for column_name, column_type, *_ in con.execute("DESCRIBE _columns").fetchall():
                if column_name not in present:
                    con.execute(
                        f"ALTER TABLE {table} ADD COLUMN {quote(column_name)} {column_type}"
                    )
            kept = [c for c in columns if c not in added]
            changes.collect_columns(con, table=table, new="_columns", columns=kept, added=added)
            assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
            ((updated,),) = con.execute(
                f"SELECT count(*) FROM _columns s SEMI JOIN {table} t ON s.{k} = t.{k}"
            ).fetchall()
            if assignments:
                con.execute(
                    f"UPDATE {table} AS t SET {assignments} FROM _columns AS s WHERE t.{k} = s.{k}"
                )
            dataset = self._record(con, publication, staged.schema, existing, table=table)
            # Formula values change at this run, not at the row's SystemModstamp.
            self._track(
                con, dataset, replace(publication, cursor_field=None), new_rows=table, key=key
            )
            con.execute("DROP TABLE _columns")
            if formulas_read:
                history.formulas_read(con, dataset.id, publication.changed_at or self._now())
        staged.discard()
        return int(updated)

    def delete_dataset(self, folder: str, name: str) -> None:
        with self._write() as con, _transaction(con):
            existing = _find(con, folder, name)
            if existing is None:
                raise NotFound(f"There is no data set {name} in folder {folder}.")
            con.execute(f"DROP TABLE IF EXISTS {existing.table}")
            history.stop(con, history.history_table(existing.folder, existing.name))
            changes.forget(con, existing.id)
            con.execute(f"DELETE FROM {CATALOG} WHERE id = $id", {"id": existing.id})

    # -- reading ------------------------------------------------------------------------------

    def list_folders(self) -> list[str]:
        with self._read() as con:
            rows = con.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
                " AND NOT internal AND schema_name <> $catalog ORDER BY lower(schema_name)",
                {"catalog": CATALOG_SCHEMA},
            ).fetchall()
        return [str(r[0]) for r in rows]

    def list_datasets(self, folder: str | None = None) -> list[Dataset]:
        where, params = (
            ("", {})
            if folder is None
            else ("WHERE lower(folder) = lower($folder)", {"folder": folder})
        )
        with self._read() as con:
            table = con.sql(
                f"SELECT {_CATALOG_COLUMNS} FROM {CATALOG} {where} "
                "ORDER BY lower(folder), lower(name)",
                params=params,
            ).to_arrow_table()
        return [_dataset(row) for row in table.to_pylist()]

    def get_dataset(self, folder: str, name: str) -> Dataset:
        with self._read() as con:
            found = _find(con, folder, name)
        if found is None:
            raise NotFound(f"There is no data set {name} in folder {folder}.")
        return found

    def preview(self, folder: str, name: str, limit: int = 100) -> pa.Table:
        """The first ``limit`` rows of a data set."""
        dataset = self.get_dataset(folder, name)
        with self._read() as con:
            return con.sql(f"SELECT * FROM {dataset.table} LIMIT {int(limit)}").to_arrow_table()

    @overload
    def export(
        self, folder: str, name: str, path: Path, format: Literal["csv", "parquet"] = "csv"
    ) -> Path: ...
    @overload
    def export(
        self, folder: str, name: str, path: BinaryIO, format: Literal["csv", "parquet"] = "csv"
    ) -> BinaryIO: ...
    def export(
        self,
        folder: str,
        name: str,
        path: Path | BinaryIO,
        format: Literal["csv", "parquet"] = "csv",
    ) -> Path | BinaryIO:
        """Write a data set to a CSV or Parquet file (or a binary stream such as stdout); CSV
        text cells cannot start a formula."""
        dataset = self.get_dataset(folder, name)
        with self._read() as con:
            reader = con.sql(f"SELECT * FROM {dataset.table}").to_arrow_reader(65_536)
            try:
                write_export(reader, path, format)
            finally:
                reader.close()
        return path

    def query(
        self,
        sql: str,
        *,
        limit: int = 10_000,
        timeout: float | None = None,
        cancel: QueryCancel | None = None,
    ) -> QueryResult:
        """Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE) over My Data.

        ``timeout`` (seconds) interrupts the query when it runs longer (:class:`QueryTimeout`);
        ``cancel`` lets another thread interrupt it (:class:`QueryCancelled`). Either way DuckDB
        stops working at once and My Data is released.
        """
        _check_read_only(sql)
        cancel = cancel or QueryCancel()
        with self._read() as con, cancel.bound(con, timeout):
            try:
                reader = con.sql(sql).to_arrow_reader(min(limit + 1, 65_536))
                try:
                    batches: list[pa.RecordBatch] = []
                    rows = 0
                    for batch in reader:
                        batches.append(batch)
                        rows += batch.num_rows
                        if rows > limit:
                            break
                finally:
                    reader.close()
            except duckdb.InterruptException:
                raise cancel.error(timeout) from None
            except duckdb.Error as error:
                raise UsageError(f"The query failed: {error}") from None
        table = pa.Table.from_batches(batches, schema=reader.schema)
        return QueryResult(table.slice(0, limit), truncated=table.num_rows > limit)

    # -- change log and history (see sfimport.store.changes and sfimport.store.history) ---------

    def changes(
        self, folder: str, name: str, since: datetime | None = None, limit: int = 100_000
    ) -> list[RunChanges]:
        """What each refresh changed in a data set, newest first."""
        dataset = self.get_dataset(folder, name)
        return changes.read_changes(self, dataset.id, since, limit)

    def all_options(self) -> dict[str, DatasetOptions]:
        """Every data set's options that differ from the defaults, by data set id."""
        with self._read() as con:
            return history.all_options(con)

    def options(self, folder: str, name: str) -> DatasetOptions:
        dataset = self.get_dataset(folder, name)
        with self._read() as con:
            return history.read_options(con, dataset.id)

    def set_options(self, folder: str, name: str, options: DatasetOptions) -> DatasetOptions:
        """Store a data set's options; turning history mode on makes every current row its
        first version, turning it off drops the history."""
        with self._write() as con, _transaction(con):
            dataset = _find(con, folder, name)
            if dataset is None:
                raise NotFound(f"There is no data set {name} in folder {folder}.")
            before = history.read_options(con, dataset.id)
            table = history.history_table(dataset.folder, dataset.name)
            if options.history and not before.history:
                history.start(
                    con,
                    table=dataset.table,
                    history=table,
                    cursor=dataset.cursor_field,
                    now=self._now(),
                )
            elif before.history and not options.history:
                history.stop(con, table)
            history.write_options(con, dataset.id, options)
        return options

    def as_of(self, folder: str, name: str, at: datetime, limit: int = 1_000_000) -> pa.Table:
        """The data set's rows as they were at ``at`` (history mode must be on)."""
        dataset = self.get_dataset(folder, name)
        if not self.options(folder, name).history:
            raise UsageError(
                f"History mode is off for {dataset.folder}.{dataset.name}: turn it on to keep "
                "every version of its rows (only changes after that are known)."
            )
        table = history.history_table(dataset.folder, dataset.name)
        with self._read() as con:
            columns = [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
            return con.sql(
                history.as_of_sql(table, columns) + f" LIMIT {int(limit)}", params={"at": at}
            ).to_arrow_table()

    # -- internals ----------------------------------------------------------------------------

    def _merge_rows(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        staged: StagedData,
        source: str,
        publication: Publication,
        deleted_ids: Sequence[str],
        key: str,
        *,
        tracked: bool = False,
    ) -> MergeCounts:
        k = quote(key)
        numbered: tuple[str, tuple[str, ...]]
        if staged.table is None:
            numbered = (
                "read_parquet($files, filename = true, file_row_number = true)",
                ("filename", "file_row_number"),
            )
        else:
            # A staging table keeps the order rows were appended in: the last one wins.
            numbered = (f"(SELECT *, rowid AS _staged_row FROM {source})", ("_staged_row",))
        relation, positions = numbered
        order = [f"{p} DESC" for p in positions]
        cursor = publication.cursor_field
        if cursor and cursor in staged.schema.names:
            order.insert(0, f"{quote(cursor)} DESC NULLS LAST")
        con.execute(
            f"CREATE TEMP TABLE _staged AS SELECT * EXCLUDE ({', '.join(positions)}) FROM "
            f"{relation} "
            f"QUALIFY row_number() OVER (PARTITION BY {k} ORDER BY {', '.join(order)}) = 1",
            {"files": [str(f) for f in staged.files]} if staged.table is None else None,
        )
        con.register("_deleted_input", pa.table({"id": pa.array(list(deleted_ids), pa.string())}))
        soft = 'OR "IsDeleted"' if "IsDeleted" in staged.schema.names else ""
        con.execute(
            f"CREATE TEMP TABLE _deleted AS SELECT DISTINCT id FROM _deleted_input "
            f"UNION SELECT {k} FROM _staged WHERE false {soft}"
        )
        con.unregister("_deleted_input")
        con.execute(f"DELETE FROM _staged WHERE {k} IN (SELECT id FROM _deleted)")
        current = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        for column_name, column_type, *_ in con.execute("DESCRIBE _staged").fetchall():
            if column_name not in current:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(column_name)} {column_type}")
        if tracked:
            changes.collect_merge(con, table=table, staged="_staged", deleted="_deleted", key=key)
        ((staged_rows, updated),) = con.execute(
            f"SELECT count(*), count(t.{k}) FROM _staged s "
            f"LEFT JOIN (SELECT DISTINCT {k} FROM {table}) t ON s.{k} = t.{k}"
        ).fetchall()
        ((removed,),) = con.execute(
            f"SELECT count(*) FROM {table} WHERE {k} IN (SELECT id FROM _deleted)"
        ).fetchall()
        con.execute(
            f"DELETE FROM {table} WHERE {k} IN (SELECT {k} FROM _staged) "
            f"OR {k} IN (SELECT id FROM _deleted)"
        )
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _staged")
        ((row_count,),) = con.execute(f"SELECT count(*) FROM {table}").fetchall()
        con.execute("DROP TABLE _deleted")
        return MergeCounts(
            added=int(staged_rows) - int(updated),
            updated=int(updated),
            removed=int(removed),
            row_count=int(row_count),
        )

    def _record(
        self,
        con: duckdb.DuckDBPyConnection,
        publication: Publication,
        schema: pa.Schema | None,
        existing: Dataset | None,
        *,
        table: str | None = None,
    ) -> Dataset:
        """Write the catalog row of a data set whose table the transaction just changed."""
        table = table or table_ref(publication.folder, publication.name)
        ((row_count,),) = con.execute(f"SELECT count(*) FROM {table}").fetchall()
        high_water_mark = publication.high_water_mark
        cursor = publication.cursor_field
        described = con.execute(f"DESCRIBE {table}").fetchall()
        if high_water_mark is None and cursor and cursor in {r[0] for r in described}:
            ((newest,),) = con.execute(
                f"SELECT max({quote(cursor)})::TIMESTAMPTZ FROM {table}"
            ).fetchall()
            high_water_mark = newest
        columns = _columns(described, schema, existing)
        dataset = Dataset(
            id=existing.id if existing else uuid4().hex,
            folder=existing.folder if existing else publication.folder,
            name=existing.name if existing else publication.name,
            connection=publication.connection,
            source=publication.source,
            kind=publication.kind,
            columns=columns,
            concealed=tuple(publication.concealed),
            skipped=tuple(publication.skipped),
            row_count=int(row_count),
            start_date=publication.start_date,
            cursor_field=cursor,
            high_water_mark=high_water_mark,
            last_import=self._now(),
            status="incomplete" if publication.incomplete_reason else "complete",
            incomplete_reason=publication.incomplete_reason,
        )
        con.execute(f"DELETE FROM {CATALOG} WHERE id = $id", {"id": dataset.id})
        con.execute(
            f"INSERT INTO {CATALOG} ({_CATALOG_COLUMNS}) VALUES ($id, $folder, $name, "
            "$connection, $source, $kind, $columns, $concealed, $skipped, $row_count, "
            "$start_date, $cursor_field, $high_water_mark, $last_import, $status, "
            "$incomplete_reason)",
            {
                "id": dataset.id,
                "folder": dataset.folder,
                "name": dataset.name,
                "connection": dataset.connection,
                "source": dataset.source,
                "kind": dataset.kind,
                "columns": json.dumps([c.__dict__ for c in dataset.columns]),
                "concealed": list(dataset.concealed),
                "skipped": json.dumps([list(s) for s in dataset.skipped]),
                "row_count": dataset.row_count,
                "start_date": dataset.start_date,
                "cursor_field": dataset.cursor_field,
                "high_water_mark": dataset.high_water_mark,
                "last_import": dataset.last_import,
                "status": dataset.status,
                "incomplete_reason": dataset.incomplete_reason,
            },
        )
        return dataset

    def _track(
        self,
        con: duckdb.DuckDBPyConnection,
        dataset: Dataset,
        publication: Publication,
        *,
        new_rows: str,
        key: str = "Id",
    ) -> None:
        """Log the changes just collected (and keep history, when on) in this transaction."""
        history.finish_change(
            con,
            dataset_id=dataset.id,
            folder=dataset.folder,
            name=dataset.name,
            cursor=publication.cursor_field,
            new_rows=new_rows,
            key=key,
            run_id=publication.run_id,
            now=publication.changed_at or dataset.last_import,
            retention_days=self.change_retention_days,
        )

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB shares one database instance between the connections of a process, so two
        # threads publishing at once conflict inside it ("write-write conflict") instead of
        # waiting on the file lock: writers of one process take turns here.
        with _process_write_lock(self.path), self._connect(read_only=False) as con:
            con.execute(_CREATE_CATALOG)
            if not self._schema_checked:
                _upgrade_catalog(con, self.path)
                self._schema_checked = True
            yield con

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.exists():
            # First use: create the file and its catalog so reads see an empty My Data.
            with self._write():
                pass
        if not self._schema_checked:
            with self._connect(read_only=True) as con:
                version = _stamped_version(con)
            if version != CATALOG_VERSION:
                _refuse_newer(version or 1, self.path)
                with self._write():  # an older or unstamped catalog is upgraded first
                    pass
            self._schema_checked = True
        with self._connect(read_only=True) as con:
            yield con

    def stored_catalog_version(self) -> int | None:
        """The version of My Data's own tables as stored, changing nothing (None: no file)."""
        if not self.path.exists():
            return None
        with self._connect(read_only=True) as con:
            return _catalog_version(con)

    def upgrade_catalog(self) -> None:
        """Bring My Data's own tables to this release's version (SchemaTooNew if newer)."""
        with self._read():
            pass

    @contextmanager
    def _connect(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        deadline = self._clock() + self._busy_timeout
        delay = 0.01
        while True:
            try:
                if read_only:
                    con = duckdb.connect(str(self.path), read_only=True, config=_READ_CONFIG)
                else:
                    con = duckdb.connect(str(self.path), config=_WRITE_CONFIG)
                break
            except duckdb.Error as error:
                if not any(m in str(error) for m in _LOCK_MESSAGES):
                    raise StoreError(f"Cannot open My Data ({self.path}): {error}") from error
                if self._clock() >= deadline:
                    raise StoreBusy(
                        f"My Data ({self.path}) stayed locked by another process for "
                        f"{self._busy_timeout:g} s."
                    ) from error
                self._sleep(delay)
                delay = min(delay * 2, 0.25)
        try:
            yield con
        except duckdb.Error as error:
            raise StoreError(f"My Data could not complete the operation: {error}") from error
        finally:
            con.close()


_WRITE_LOCKS: dict[Path, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _process_write_lock(path: Path) -> threading.Lock:
    key = path.resolve()
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


#: The name under which an empty staged data set (no staging table, no rows) is registered.
_EMPTY_STAGED = "_empty_staged"


def _staged_relation(con: duckdb.DuckDBPyConnection, staged: StagedData) -> str:
    """The staged rows as SQL text other SQL can name: the run's staging table, the staged
    Parquet files, or (nothing was staged) an empty relation of the staged schema."""
    if staged.table is not None:
        run_id, folder, name = staged.table
        if _staging_comment(con, folder, staging_table(run_id, name)) is not None:
            return table_ref(folder, staging_table(run_id, name))
    elif staged.files:
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in staged.files)
        return f"read_parquet([{files}])"
    con.register(_EMPTY_STAGED, staged.schema.empty_table())
    return _EMPTY_STAGED


def _staging_comment(con: duckdb.DuckDBPyConnection, folder: str, table: str) -> str | None:
    """The checkpoint note of a staging table; None when there is no such table."""
    found = con.execute(
        "SELECT coalesce(comment, '') FROM duckdb_tables() WHERE database_name = "
        "current_database() AND lower(schema_name) = lower($folder) AND table_name = $table",
        {"folder": folder, "table": table},
    ).fetchall()
    return str(found[0][0]) if found else None


def _staging_tables(con: duckdb.DuckDBPyConnection, prefix: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = "
        "current_database() AND starts_with(table_name, $prefix)",
        {"prefix": prefix},
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _find(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> Dataset | None:
    table = con.sql(
        f"SELECT {_CATALOG_COLUMNS} FROM {CATALOG} "
        "WHERE lower(folder) = lower($folder) AND lower(name) = lower($name)",
        params={"folder": folder, "name": name},
    ).to_arrow_table()
    rows = table.to_pylist()
    return _dataset(rows[0]) if rows else None


def _dataset(row: dict[str, Any]) -> Dataset:
    return Dataset(
        id=row["id"],
        folder=row["folder"],
        name=row["name"],
        connection=row["connection"],
        source=row["source"],
        kind=row["kind"],
        columns=tuple(Column(**c) for c in json.loads(row["columns"])),
        concealed=tuple(row["concealed"]),
        skipped=tuple((str(n), str(r)) for n, r in json.loads(row["skipped"])),
        row_count=int(row["row_count"]),
        start_date=row["start_date"],
        cursor_field=row["cursor_field"],
        high_water_mark=row["high_water_mark"],
        last_import=row["last_import"],
        status=row["status"],
        incomplete_reason=row["incomplete_reason"],
    )


def _columns(
    described: list[tuple[Any, ...]], schema: pa.Schema | None, existing: Dataset | None
) -> tuple[Column, ...]:
    known = {c.name: c for c in existing.columns} if existing else {}
    columns = []
    for row in described:
        name, duck_type = str(row[0]), str(row[1])
        sf_type, label, note = "string", name, ""
        if name in known:
            sf_type, label, note = known[name].sf_type, known[name].label, known[name].note
        if schema is not None and name in schema.names:
            meta = schema.field(name).metadata or {}
            sf_type = bytes(meta.get(b"sf_type", sf_type.encode())).decode()
            label = bytes(meta.get(b"label", label.encode())).decode()
            note = bytes(meta.get(b"note", b"")).decode()
        columns.append(Column(name, duck_type, sf_type, label, note))
    return tuple(columns)


def _check_read_only(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise UsageError(f"The query is not valid SQL: {error}") from None
    if len(statements) != 1:
        raise UsageError("Run one statement at a time.")
    # SELECT covers WITH, FROM-first, SHOW, DESCRIBE and SUMMARIZE in DuckDB's parser.
    if statements[0].type != duckdb.StatementType.SELECT:
        raise UsageError("Only read-only queries are allowed here (SELECT, WITH, SHOW, DESCRIBE).")


def new_run_id() -> str:
    """A fresh run id for staging directories."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid4().hex[:8]


def _stamped_version(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute(f"SELECT max(version) FROM {_VERSION_TABLE}").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None or row[0] is None else int(row[0])


def _catalog_version(con: duckdb.DuckDBPyConnection) -> int:
    """The catalog's version; one without a stamp is the first release's (version 1)."""
    version = _stamped_version(con)
    return 1 if version is None else version


def _refuse_newer(version: int, path: Path) -> None:
    if version > CATALOG_VERSION:
        raise SchemaTooNew(
            f"My Data ({path}) has catalog version {version}, written by a newer sfimport; "
            f"this release knows versions up to {CATALOG_VERSION}."
        )


def _upgrade_catalog(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Stamp the catalog's version, upgrading an older one step by step in one transaction."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {_VERSION_TABLE} (version INTEGER NOT NULL)")
    stamped = _stamped_version(con)
    version = 1 if stamped is None else stamped
    _refuse_newer(version, path)
    if stamped == CATALOG_VERSION:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        for step in range(version, CATALOG_VERSION):
            for statement in _CATALOG_UPGRADES[step]:
                con.execute(statement)
        con.execute(f"DELETE FROM {_VERSION_TABLE}")
        con.execute(f"INSERT INTO {_VERSION_TABLE} VALUES ({CATALOG_VERSION})")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
