"""Exports of a data set to CSV or Parquet, streamed batch by batch into a file.

CSV exports neutralise spreadsheet formulas: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'`` so a spreadsheet shows it as text instead
of running it. Files appear complete or not at all (written beside, then renamed).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from sfimport.errors import StoreError, UsageError

#: Leading characters a spreadsheet reads as the start of a formula.
_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Prefix ``'`` to text cells that a spreadsheet would run as a formula."""
    if not (
        pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_string_view(column.type)
    ):
        return column
    risky = pc.fill_null(pc.match_substring_regex(column, _FORMULA_START), False)
    if not pc.any(risky).as_py():
        return column
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def _neutralised(batch: pa.RecordBatch) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [neutralise_formulas(c) for c in batch.columns], schema=batch.schema
    )


def write_export(
    reader: pa.RecordBatchReader, target: Path | BinaryIO, format: Literal["csv", "parquet"]
) -> None:
    """Stream ``reader`` into ``target`` as CSV (with a header row) or Parquet. A path gets the
    whole file or nothing (written beside, then renamed); a stream (stdout) gets the bytes as
    they are made."""
    if format not in ("csv", "parquet"):
        raise UsageError(f"Cannot export as {format!r}: choose csv or parquet.")
    if not isinstance(target, Path):
        try:
            _write(reader, target, format)
        except OSError as error:
            raise StoreError(f"Cannot write the export: {error}") from error
        return
    path = target
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(reader, partial, format)
        os.replace(partial, path)
    except OSError as error:
        raise StoreError(f"Cannot write the export {path}: {error}") from error
    finally:
        # The folder may not exist (or be a file): there is then nothing to tidy up.
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _write(
    reader: pa.RecordBatchReader, sink: Path | BinaryIO, format: Literal["csv", "parquet"]
) -> None:
    if format == "csv":
        with pcsv.CSVWriter(sink, reader.schema) as csv_writer:
            for batch in reader:
                csv_writer.write_batch(_neutralised(batch))
    else:
        with pq.ParquetWriter(sink, reader.schema, compression="zstd") as parquet_writer:
            for batch in reader:
                parquet_writer.write_batch(batch)
