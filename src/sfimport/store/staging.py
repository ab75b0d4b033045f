"""Staging: record batches of one data set held back until they are published.

Imports stage into a table of the run inside My Data (:meth:`MyData.append_staged`), so that
publishing is a rename. This module keeps the other form, Parquet files, for callers that stage
without a run (tests, tools): batches are buffered up to a byte budget and written as Parquet
row groups, rolling to a new file every ``rows_per_file`` rows, under
``<data folder>/staging/<run id>/<folder>.<data set>/``. Nothing staged either way is visible
as a data set until :meth:`sfimport.store.mydata.MyData.publish` or ``merge``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from sfimport.errors import StoreError, UsageError
from sfimport.store.names import validate_name, validate_run_id

#: Bytes of Arrow data buffered before a row group is written.
DEFAULT_BUFFER_BYTES = 16 << 20
DEFAULT_ROWS_PER_FILE = 2_000_000


@dataclass(frozen=True)
class StagedData:
    """Staged rows ready to publish or merge: the Parquet files a :class:`StagingWriter` left,
    or (``table`` set) a run's staging table inside My Data, named by ``staging_table``."""

    directory: Path
    files: tuple[Path, ...]
    schema: pa.Schema
    rows: int
    #: (run id, folder, data set) of a staging table in My Data; None for Parquet files.
    table: tuple[str, str, str] | None = None

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


#: Staging tables are named so that no data set can take the name (data set names are
#: Salesforce API names and report names, which never start with two underscores).
STAGING_TABLE_PREFIX = "__staging__"


def staging_table(run_id: str, name: str) -> str:
    """The unquoted name of a run's staging table for data set ``name`` (in its folder)."""
    validate_run_id(run_id)
    validate_name(name, "data set")
    return f"{STAGING_TABLE_PREFIX}{run_id}__{name}"


def staging_directory(staging_root: Path, run_id: str, folder: str, name: str) -> Path:
    validate_run_id(run_id)
    validate_name(folder, "folder")
    validate_name(name, "data set")
    return staging_root / run_id / f"{folder}.{name}"


class StagingWriter:
    """Writes record batches of one schema to Parquet files in one staging directory.

    Use it as a context manager: leaving the block normally closes the files; an exception
    removes them, so a failed download never leaves a half-staged data set behind.
    """

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        *,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
        rows_per_file: int = DEFAULT_ROWS_PER_FILE,
    ) -> None:
        if len(set(schema.names)) != len(schema.names):
            raise UsageError("A data set cannot have two columns with the same name.")
        self.directory = directory
        self.schema = schema
        self._buffer_bytes = buffer_bytes
        self._rows_per_file = rows_per_file
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0
        self._files: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0
        self._rows = 0
        self._closed: StagedData | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise StoreError(f"Cannot create staging folder {directory}: {error}") from error
        # Always one file, even for zero rows, so publishing an empty data set works alike.
        self._open_file()

    @property
    def rows(self) -> int:
        return self._rows + sum(int(b.num_rows) for b in self._buffer)

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Stage one batch; its schema must equal the writer's (metadata aside)."""
        if self._closed is not None:
            raise StoreError("This staging writer is already closed.")
        if not batch.schema.equals(self.schema, check_metadata=False):
            raise StoreError(
                f"A batch does not match the staged schema of {self.directory.name}: "
                f"{batch.schema} != {self.schema}"
            )
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        for part in batches:
            if part.num_rows:
                self._buffer.append(part)
                self._buffered += part.nbytes
        if self._buffered >= self._buffer_bytes:
            self._flush()

    def close(self) -> StagedData:
        if self._closed is None:
            self._flush()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._closed = StagedData(self.directory, tuple(self._files), self.schema, self._rows)
            # Hand the buffers back to the system before DuckDB reads the files.
            pa.default_memory_pool().release_unused()
        return self._closed

    def abort(self) -> None:
        """Drop everything staged by this writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._buffer.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> StagingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _open_file(self) -> None:
        path = self.directory / f"part-{len(self._files):05d}.parquet"
        try:
            self._writer = pq.ParquetWriter(
                path, self.schema, compression="snappy", use_dictionary=False
            )
        except OSError as error:
            raise StoreError(f"Cannot write staging file {path}: {error}") from error
        self._files.append(path)
        self._rows_in_file = 0

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_batches(self._buffer, schema=self.schema)
        self._buffer = []
        self._buffered = 0
        offset = 0
        while offset < table.num_rows:
            if self._writer is None or self._rows_in_file >= self._rows_per_file:
                if self._writer is not None:
                    self._writer.close()
                self._open_file()
            take = min(table.num_rows - offset, self._rows_per_file - self._rows_in_file)
            assert self._writer is not None
            try:
                self._writer.write_table(table.slice(offset, take), row_group_size=take)
            except OSError as error:
                raise StoreError(f"Cannot write staging data: {error}") from error
            offset += take
            self._rows_in_file += take
            self._rows += take
