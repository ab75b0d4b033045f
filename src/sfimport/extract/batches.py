"""Result pages to Arrow: Bulk API 2.0 CSV pages and REST query records become record batches.

Both paths produce batches that match :func:`sfimport.extract.schema.arrow_schema` exactly, so a
record read through Bulk and the same record read through REST are equal. The CSV path runs in
pyarrow's C++ reader with explicit column types (no per-row Python); large pages are read in
bounded blocks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from sfimport.errors import SalesforceError

#: Bytes of CSV parsed per record batch: bounds memory whatever the page size.
DEFAULT_BLOCK_SIZE = 4 << 20

_TIME = pa.time32("ms")
_TIMESTAMP = pa.timestamp("ms", tz="UTC")
_ARROW_COLUMN = re.compile(r"CSV column #(\d+)")

PageSource = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]


class _ChunkStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (a streamed HTTP body)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = bytes(chunk)
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def csv_page_batches(
    source: PageSource,
    schema: pa.Schema,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    use_threads: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Parse one Bulk API 2.0 result page into record batches of ``schema``.

    ``source`` is the page body: bytes, a binary file, or an iterator of chunks as they arrive.
    Salesforce quotes every value and repeats the header row on every page; an empty field is
    null (Bulk CSV cannot tell null from empty text, and Salesforce never stores empty text).
    Only the empty field is null: the text "NA", "null" or "N/A" stays text.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        stream: Any = pa.BufferReader(pa.py_buffer(source))
    elif hasattr(source, "read"):
        stream = source
    else:
        stream = io.BufferedReader(_ChunkStream(source), buffer_size=1 << 20)
    convert = pcsv.ConvertOptions(
        # Times arrive as "10:20:30.000Z", which Arrow's CSV reader cannot parse as a time: read
        # them as text and convert below.
        column_types={f.name: pa.string() if f.type == _TIME else f.type for f in schema},
        include_columns=schema.names,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=["true", "True"],
        false_values=["false", "False"],
    )
    read = pcsv.ReadOptions(block_size=block_size, use_threads=use_threads)
    parse = pcsv.ParseOptions(newlines_in_values=True)
    try:
        reader = pcsv.open_csv(
            stream, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            if batch.num_rows:
                yield _conform(batch, schema)
    except (pa.ArrowInvalid, KeyError) as error:
        # A zero-record job can answer with an empty body: no header, no rows.
        if "Empty CSV file" in str(error):
            return
        raise _page_error(error, schema) from None


def csv_page_table(source: PageSource, schema: pa.Schema) -> pa.Table:
    """A whole page as one table (small pages, tests and the download-and-parse benchmark)."""
    return pa.Table.from_batches(list(csv_page_batches(source, schema)), schema=schema)


def rest_records_batch(records: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Turn one page of REST query ``records`` into a batch of ``schema``.

    ``attributes`` and any parent relationship objects are ignored (only schema columns are
    read); datetimes come as ``2021-04-27T19:33:04.000+0000``, numbers as JSON numbers.
    """
    arrays = [_rest_column([r.get(f.name) for r in records], f) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)


def _rest_column(values: list[Any], field: pa.Field) -> pa.Array:
    kind = field.type
    try:
        if pa.types.is_string(kind):
            try:
                text = pa.array(values, pa.string())
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                # anyType fields hold numbers or booleans as JSON values: keep their text.
                text = pa.array([_as_text(v) for v in values], pa.string())
            return _empty_as_null(text)
        if kind == _TIME:
            return _times(pa.array(values, pa.string()))
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            return pa.array(values, pa.string()).cast(kind)
        if pa.types.is_floating(kind):
            # Query pages are parsed with exact decimals (see RestApi.query); doubles stay doubles.
            return pa.array([float(v) if isinstance(v, Decimal) else v for v in values], kind)
        if pa.types.is_decimal(kind) and any(isinstance(v, float) for v in values):
            raise TypeError("a binary float must not reach a decimal column")
        return pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # Say which column; never echo the value (it may be one that is to be concealed).
        raise SalesforceError(
            f"A REST query record has a value in column {field.name} that is not a {kind}."
        ) from None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _empty_as_null(text: pa.Array) -> pa.Array:
    # The CSV path cannot represent empty text, so neither does the REST path.
    if text.null_count == len(text):
        return text
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _times(text: pa.Array) -> pa.Array:
    # Salesforce sends times as "10:20:30.000Z"; Arrow casts no string to time32, but it casts
    # an ISO timestamp and a timestamp to its time of day.
    stamped = pc.binary_join_element_wise("1970-01-01T", text, "")
    return stamped.cast(_TIMESTAMP).cast(_TIME)


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    arrays = [
        _times(column) if field.type == _TIME else column
        for column, field in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _page_error(error: Exception, schema: pa.Schema) -> SalesforceError:
    # Arrow's message quotes the offending value; name the column only, because the value may
    # be one that is to be concealed and must not reach logs.
    text = str(error)
    match = _ARROW_COLUMN.search(text)
    if match:
        where = f"column #{int(match.group(1)) + 1} of the page"
    else:
        missing = [n for n in schema.names if f"'{n}'" in text or f'"{n}"' in text]
        where = f"column {missing[0]} (missing from the page)" if missing else "its header row"
    return SalesforceError(f"A Bulk API result page could not be read: check {where}.")
