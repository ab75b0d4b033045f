"""Bulk API 2.0 result pages as Salesforce writes them, rendered column by column with
`pyarrow.csv` (never row by row in Python): every non-null value quoted, nulls empty,
booleans lowercase, datetimes `2024-01-31T10:20:30.000Z`, times `10:20:30.000Z`, the header
row on every page."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sfimport.emulator.query import QueryScope, Resolved, column

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "SEMICOLON": ";",
    "PIPE": "|",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


def as_text(kind: str, values: pa.Array) -> pa.Array:
    """One column's values as the strings the CSV carries (nulls stay null)."""
    if kind == "datetime":
        # %S of a millisecond timestamp already carries the fraction: 30.000.
        return pc.strftime(values, format="%Y-%m-%dT%H:%M:%SZ")
    if kind == "time":
        return pc.binary_join_element_wise(values.cast(pa.string()), pa.scalar("Z"), "")
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_null(values.type):
        return values.cast(pa.string())
    # Booleans cast to "true"/"false", dates to 2024-01-31, numbers to plain decimals.
    return values.cast(pa.string())


def header(selected: Sequence[Resolved]) -> list[str]:
    """Column names in SELECT order, relationship paths dotted (`Owner.Name`)."""
    return [".".join(item.names) for item in selected]


def render_page(
    scope: QueryScope,
    sobject: str,
    selected: Sequence[Resolved],
    indices: pa.Array,
    *,
    delimiter: str = ",",
    line_ending: str = "\n",
) -> bytes:
    """The CSV text of the rows `indices` of `sobject`, header first."""
    arrays = [
        as_text(item.field.type, column(scope, sobject, indices, item.hops, item.field))
        for item in selected
    ]
    table = pa.Table.from_arrays(arrays, names=header(selected))
    out = io.BytesIO()
    options = pacsv.WriteOptions(
        delimiter=delimiter,
        eol=line_ending,
        quoting_style="all_valid",
        quoting_header="all_valid",
        batch_size=16_384,
    )
    pacsv.write_csv(table, out, options)
    return out.getvalue()
