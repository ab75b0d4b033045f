"""Importing a report: run it through the Reports API and turn its detail rows into Arrow batches
whose columns are the report's column labels, typed from ``detailColumnInfo``.

Every run is asynchronous (a report instance, polled until it succeeds), since large reports run
for minutes and a synchronous run times out. A run returns at most 2,000 detail rows
(``allData`` false beyond that). Larger reports are fetched completely by slicing: extra
``reportFilters`` split the report into parts until every part comes back whole. Ranges of a
date, datetime or number column are bisected; rows that column leaves empty, and single values
holding over 2,000 rows, are split on the next column; text and id columns split at values
Salesforce itself sorts. The rows are then checked against the report's own grand total
(``RowCount`` in ``factMap["T!T"]``). Only rows equal in every sliceable column can defeat this:
the report is then marked incomplete, never silently cut.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pyarrow as pa

from sfimport.errors import SalesforceError, TransientError
from sfimport.extract.objects import Tally
from sfimport.extract.plan import BLOCK_COLUMN, ReportColumn
from sfimport.extract.schema import (
    DECIMAL_PRECISION,
    DECIMAL_TYPES,
    FALLBACK_SCALE,
    META_LABEL,
    META_NOTE,
    META_SF_TYPE,
)
from sfimport.salesforce.client import SalesforceClient
from sfimport.salesforce.wire import (
    DataCell,
    Grouping,
    ReportDescribe,
    ReportFilter,
    ReportMetadata,
    ReportRun,
)

#: Scale of a report's currency and percent columns. The Reports API gives no field's decimal
#: places (``detailColumnInfo`` has a label and a data type only), so money gets the scale an
#: object's money field gets when describe gives none: every cent, and more, kept exactly.
REPORT_MONEY_SCALE = FALLBACK_SCALE
#: Reports API data type -> Arrow type; anything else is text as the report shows it.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "double": pa.float64(),
    # Money and percentages as decimals, never binary floats, so sums are exact.
    "currency": pa.decimal128(DECIMAL_PRECISION, REPORT_MONEY_SCALE),
    "percent": pa.decimal128(DECIMAL_PRECISION, REPORT_MONEY_SCALE),
    "date": pa.date32(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "boolean": pa.bool_(),
}
#: The data type of a column sfimport adds beside each amount of a multi-currency org's report:
#: the amount's ISO currency code (``{"amount": 12.5, "currency": "EUR"}``).
CURRENCY_CODE_TYPE = "currencyIsoCode"
#: Columns a report is sliced on by ranges, best first.
_RANGE_TYPES = ("date", "datetime", "int", "double", "currency", "percent")
#: Columns a report is sliced on by value when no range column splits it (long text cannot be
#: compared in report filters).
_TEXT_SLICE_TYPES = ("id", "string", "picklist", "combobox", "email", "phone", "url")
#: ``reportFormat`` of a joined report, and the prefix its keys carry (``B0#AMOUNT``).
JOINED_FORMAT = "MULTI_BLOCK"
_BLOCK_KEY = re.compile(r"^(B\d+)#(.+)$")
#: Seconds between report instance polls: quick at first (most runs take a second), then capped.
INSTANCE_POLL_INITIAL = 0.25
INSTANCE_POLL_MAX = 5.0
#: A report instance still running after this long is given up (resumable later).
INSTANCE_WAIT_MAX = 30 * 60.0
#: Bisection depth at which slicing gives up (2^40 slices is far beyond any report).
_MAX_DEPTH = 40
_TEXT_TYPES_CONCEALED = frozenset({"email", "phone", "url", "textarea"})
_PERSON_LABEL_WORDS = ("first name", "last name", "full name", "contact name", "lead name")


def is_joined(metadata: ReportMetadata) -> bool:
    """A joined report (format MULTI_BLOCK): blocks of their own report types side by side."""
    return metadata.get("reportFormat") == JOINED_FORMAT


def block_of(key: str) -> tuple[str, str]:
    """``("B1", "AMOUNT")`` for a joined report's ``B1#AMOUNT`` (``("", key)`` otherwise)."""
    match = _BLOCK_KEY.match(key)
    return (match.group(1), match.group(2)) if match else ("", key)


def report_columns(describe: ReportDescribe) -> tuple[ReportColumn, ...]:
    """The detail columns in report order, with unique labels (My Data column names).

    A joined report's blocks land in one data set: a ``Block`` column says which block a row
    comes from, and a column that several blocks share (same API name) is one column.
    """
    metadata = describe["reportMetadata"]
    info = describe["reportExtendedMetadata"]["detailColumnInfo"]
    joined = is_joined(metadata)
    seen: dict[str, int] = {"block": 1} if joined else {}
    columns = [ReportColumn(BLOCK_COLUMN, "Block", "string")] if joined else []
    names: set[str] = set()
    for key in metadata.get("detailColumns", []):
        name = block_of(key)[1] if joined else key
        if name in names:
            continue
        names.add(name)
        column = info.get(key, {"label": name, "dataType": "string"})
        label = column.get("label") or name
        count = seen.get(label.lower(), 0) + 1
        seen[label.lower()] = count
        if count > 1:
            label = f"{label} ({count})"
        columns.append(ReportColumn(name, label, column.get("dataType") or "string"))
    if not joined and metadata.get("currency"):
        # A multi-currency org (the report has a display currency): each amount carries its own
        # currency, kept beside it, so that amounts in EUR and in USD are never summed blind.
        for amount in [c for c in columns if c.data_type == "currency"]:
            label = f"{amount.label} Currency"
            count = seen.get(label.lower(), 0) + 1
            seen[label.lower()] = count
            if count > 1:
                label = f"{label} ({count})"
            columns.append(ReportColumn(amount.name, label, CURRENCY_CODE_TYPE))
    return tuple(columns)


def report_schema(columns: Sequence[ReportColumn]) -> pa.Schema:
    return pa.schema([_report_field(c) for c in columns])


def _report_field(column: ReportColumn) -> pa.Field:
    metadata = {META_SF_TYPE: column.data_type.encode(), META_LABEL: column.label.encode()}
    if column.data_type in DECIMAL_TYPES:
        metadata[META_NOTE] = report_money_note(column).encode()
    return pa.field(
        column.label, _ARROW_TYPES.get(column.data_type, pa.string()), metadata=metadata
    )


def report_money_note(column: ReportColumn) -> str:
    """What the schema says about a report's currency or percent column."""
    return (
        f"{column.label}: the Reports API gives no decimal places for report columns; stored "
        f"as DECIMAL({DECIMAL_PRECISION},{REPORT_MONEY_SCALE}), read from Salesforce's JSON "
        "text without a binary float."
    )


def default_concealed_report_columns(columns: Sequence[ReportColumn]) -> tuple[str, ...]:
    """Personal data in a report: emails, phones, URLs, free text, person-name labels and
    dates of birth."""
    return tuple(
        c.label
        for c in columns
        if c.data_type in _TEXT_TYPES_CONCEALED
        or "birth" in c.name.lower()
        or "birth" in c.label.lower()
        or (
            _ARROW_TYPES.get(c.data_type) is None
            and any(word in c.label.lower() for word in _PERSON_LABEL_WORDS)
        )
    )


def block_totals(run: ReportRun) -> dict[str, int | None]:
    """Each block's own row count in a joined report run (``B0#RowCount`` in ``B0#T!T``)."""
    aggregates = run["reportMetadata"].get("aggregates") or []
    blocks: dict[str, list[str]] = {}
    for key in [*aggregates, *run["reportMetadata"].get("detailColumns", [])]:
        block, name = block_of(key)
        if block:
            names = blocks.setdefault(block, [])
            if key in aggregates:
                names.append(name)
    totals: dict[str, int | None] = {}
    for block, names in blocks.items():
        entry = run["factMap"].get(f"{block}#T!T")
        cells = entry["aggregates"] if entry is not None else []
        index = names.index("RowCount") if "RowCount" in names else -1
        value = cells[index].get("value") if 0 <= index < len(cells) else None
        totals[block] = None if value is None else int(value)
    return totals


def grand_total(run: ReportRun) -> int | None:
    """The report's own row count (``RowCount`` in the ``T!T`` aggregates), when it has one;
    for a joined report the sum of its blocks' row counts."""
    if is_joined(run["reportMetadata"]):
        totals = block_totals(run)
        if not totals or any(total is None for total in totals.values()):
            return None
        return sum(total or 0 for total in totals.values())
    aggregates = run["reportMetadata"].get("aggregates") or []
    entry = run["factMap"].get("T!T")
    cells = entry["aggregates"] if entry is not None else []
    if "RowCount" in aggregates:
        index = aggregates.index("RowCount")
        if index < len(cells) and cells[index].get("value") is not None:
            return int(cells[index]["value"])
    return None


@dataclass(frozen=True)
class ReportOutcome:
    """How a report import ended: complete, or incomplete with the reason."""

    rows: int
    grand_total: int | None
    incomplete_reason: str | None

    @property
    def count_mismatch(self) -> int | None:
        if self.grand_total is None:
            return None
        return self.rows - self.grand_total


class ReportReader:
    """Runs one report, slicing it as needed, and yields its rows as record batches."""

    def __init__(
        self,
        client: SalesforceClient,
        report_id: str,
        describe: ReportDescribe,
        tally: Tally,
        on_page: Callable[[Tally], None],
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_wait: Callable[[str], None] = lambda message: None,
    ) -> None:
        self._sleep = sleep
        self._monotonic = monotonic
        self._on_wait = on_wait
        self._client = client
        self._report_id = report_id
        self._metadata = describe["reportMetadata"]
        self._columns = report_columns(describe)
        #: Column index of an amount's currency -> the index of the amount's cell.
        self._amount_cell = {
            index: next(
                i for i, c in enumerate(self._columns) if c.name == column.name and i != index
            )
            for index, column in enumerate(self._columns)
            if column.data_type == CURRENCY_CODE_TYPE
        }
        self.schema = report_schema(self._columns)
        self._tally = tally
        self._on_page = on_page
        #: Why some slice came back cut (it could not be split on any column).
        self._cut: list[str] = []
        self.outcome: ReportOutcome | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Every detail row; sets :attr:`outcome` when the generator is exhausted."""
        self._tally.method = "report"
        if is_joined(self._metadata):
            yield from self._joined()
            return
        first = self._run([])
        total = grand_total(first)
        yield from self._whole([], self._slice_columns(), first)
        reason = None
        if self._cut:
            reason = self._cut[0]
            if len(self._cut) > 1:
                reason += f" (and {len(self._cut) - 1} more such slices)"
        self._finish(total, reason)

    # --- slicing ------------------------------------------------------------------------------

    def _slice_columns(self) -> tuple[ReportColumn, ...]:
        """The columns slices are cut on, best first: dates, numbers, then text."""
        return tuple(
            column
            for kind in (*_RANGE_TYPES, *_TEXT_SLICE_TYPES)
            for column in self._columns
            if column.data_type == kind
        )

    def _whole(
        self,
        filters: Sequence[ReportFilter],
        columns: Sequence[ReportColumn],
        run: ReportRun | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Every row matching ``filters``: one run when it comes back whole, else split on
        the first of ``columns`` (its values, then its blanks), the rest kept for slices that
        one column cannot split."""
        if run is None:
            run = self._run(filters)
        if run.get("allData", True):
            yield from self._emit(run)
            return
        if not columns:
            # Every column was tried: keep the 2,000 rows and say the slice was cut.
            self._cut.append(self._cut_reason(filters))
            yield from self._emit(run)
            return
        column, rest = columns[0], columns[1:]
        if column.data_type in _RANGE_TYPES:
            yield from self._by_range(filters, column, rest)
        else:
            yield from self._by_value(filters, column, rest, 0)
        # Rows whose column is empty belong to no range: fetch them on their own.
        yield from self._whole([*filters, _blank(column)], rest)

    def _by_range(
        self, filters: Sequence[ReportFilter], column: ReportColumn, rest: Sequence[ReportColumn]
    ) -> Iterator[pa.RecordBatch]:
        low = self._bound(filters, column, "Asc")
        high = self._bound(filters, column, "Desc")
        if low is None or high is None:
            return
        if low == high:
            # One value in every non-empty row: nothing to bisect, go to the next column.
            one = [
                _rule(column, "greaterOrEqual", _literal(low)),
                _rule(column, "lessThan", _literal(_next_value(column, low))),
            ]
            yield from self._whole([*filters, *one], rest)
            return
        # [low, high + step): bisect until each range comes back whole.
        yield from self._range(filters, column, rest, low, _next_value(column, high), 0)

    def _range(
        self,
        filters: Sequence[ReportFilter],
        column: ReportColumn,
        rest: Sequence[ReportColumn],
        low: Any,
        high: Any,
        depth: int,
    ) -> Iterator[pa.RecordBatch]:
        scoped = [
            *filters,
            _rule(column, "greaterOrEqual", _literal(low)),
            _rule(column, "lessThan", _literal(high)),
        ]
        run = self._run(scoped)
        if run.get("allData", True):
            yield from self._emit(run)
            return
        middle = _middle(column, low, high)
        if middle is None or depth >= _MAX_DEPTH:
            # One value holds more than 2,000 rows: split them on the next column.
            yield from self._whole(scoped, rest, run)
            return
        yield from self._range(filters, column, rest, low, middle, depth + 1)
        yield from self._range(filters, column, rest, middle, high, depth + 1)

    def _by_value(
        self,
        filters: Sequence[ReportFilter],
        column: ReportColumn,
        rest: Sequence[ReportColumn],
        depth: int,
    ) -> Iterator[pa.RecordBatch]:
        """Split on a text column: a run sorted by it shows a value (the last row's) that cuts
        the rows into those below it, those equal to it and those above it. Every comparison
        is Salesforce's own, so the three parts cover the rows whatever its collation."""
        lower: Any = None
        while True:
            scope = [*filters, _rule(column, "notEqual", "")]
            if lower is not None:
                scope.append(_rule(column, "greaterThan", _literal(lower)))
            run = self._run(scope, sort=[{"sortColumn": column.name, "sortOrder": "Asc"}])
            if run.get("allData", True):
                yield from self._emit(run)
                return
            cut = self._last_value(run, column)
            if cut is None or depth >= _MAX_DEPTH:
                yield from self._whole(scope, rest, run)
                return
            below = _rule(column, "lessThan", _literal(cut))
            yield from self._by_value([*scope, below], column, rest, depth + 1)
            # Equality as two bounds: an "equals" value with a comma means "either" in reports.
            equal = [
                _rule(column, "greaterOrEqual", _literal(cut)),
                _rule(column, "lessOrEqual", _literal(cut)),
            ]
            yield from self._whole([*scope, *equal], rest)
            lower = cut

    def _last_value(self, run: ReportRun, column: ReportColumn) -> Any:
        index = self._columns.index(column)
        for row in reversed(_detail_rows(run)):
            cells = row["dataCells"]
            value = _cell_value(cells[index], column.data_type) if index < len(cells) else None
            if value is not None:
                return value
        return None

    def _bound(self, filters: Sequence[ReportFilter], column: ReportColumn, order: str) -> Any:
        """The smallest (Asc) or largest (Desc) non-empty value of the slice column."""
        run = self._run(
            [*filters, _rule(column, "notEqual", "")],
            sort=[{"sortColumn": column.name, "sortOrder": order}],
            top=1,
        )
        index = self._columns.index(column)
        for row in _detail_rows(run):
            cells = row["dataCells"]
            value = _cell_value(cells[index], column.data_type) if index < len(cells) else None
            if value is not None:
                return value
        return None

    def _cut_reason(self, filters: Sequence[ReportFilter]) -> str:
        labels = {c.name: c.label for c in self._columns}
        own = len(self._metadata.get("reportFilters") or [])
        shown = [
            f"{labels.get(f['column'], f['column'])} {f['operator']} {f.get('value') or 'empty'}"
            for f in list(filters)[own:]
        ]
        where = f" ({'; '.join(shown)})" if shown else ""
        return (
            f"more than 2,000 rows{where} share the same value in every column the report can "
            "be split on; only 2,000 of them were imported"
        )

    # --- running ------------------------------------------------------------------------------

    def _run(
        self,
        extra_filters: Sequence[ReportFilter],
        *,
        sort: list[dict[str, Any]] | None = None,
        top: int | None = None,
    ) -> ReportRun:
        metadata: ReportMetadata = copy.deepcopy(self._metadata)
        filters = list(metadata.get("reportFilters") or [])
        boolean = metadata.get("reportBooleanFilter")
        if extra_filters:
            if boolean:
                # A custom filter logic numbers filters from 1; ours are ANDed onto it.
                added = " AND ".join(str(len(filters) + i + 1) for i in range(len(extra_filters)))
                metadata["reportBooleanFilter"] = f"({boolean}) AND {added}"
            metadata["reportFilters"] = filters + list(extra_filters)
        if sort is not None:
            metadata["sortBy"] = sort
        if top is not None:
            metadata["topRows"] = {
                "rowLimit": top,
                "direction": sort[0]["sortOrder"] if sort else "Asc",
            }
        return self._run_async(metadata)

    def _run_async(self, metadata: ReportMetadata | None) -> ReportRun:
        """Run through a report instance, polling until Salesforce has finished: a slow report
        would time out as a synchronous run. Progress says how long it has been running."""

        def counted() -> None:
            self._tally.api_calls += 1

        run = run_instance(
            self._client,
            self._report_id,
            metadata,
            sleep=self._sleep,
            monotonic=self._monotonic,
            on_wait=self._on_wait,
            on_call=counted,
        )
        if run is None:
            raise TransientError(
                f"The report {self._report_id} was still running in Salesforce after "
                f"{INSTANCE_WAIT_MAX / 60:.0f} minutes.",
                remedy="Resume the run later, or add filters to the report in Salesforce.",
            )
        return run

    def _joined(self) -> Iterator[pa.RecordBatch]:
        """A joined report: one run (its saved definition; joined reports take no filter
        overrides), every block's rows with the block's name, each block checked against its
        own row count."""
        run = self._run_async(None)
        totals = block_totals(run)
        blocks: dict[str, list[str]] = {}
        for key in run["reportMetadata"].get("detailColumns", []):
            block, name = block_of(key)
            blocks.setdefault(block, []).append(name)
        reasons: list[str] = []
        for block, names in blocks.items():
            rows = _block_rows(run, block)
            if rows:
                batch = self._block_batch(block, names, rows)
                self._tally.rows += batch.num_rows
                yield batch
            total = totals.get(block)
            if total is not None and len(rows) != total:
                reasons.append(
                    f"block {block}: {len(rows)} rows were fetched but its row count is {total}"
                )
        if not run.get("allData", True) and not reasons:
            reasons.append("a block has more than 2,000 rows; only 2,000 were returned")
        self._tally.pages += 1
        self._on_page(self._tally)
        known = [t for t in totals.values() if t is not None]
        self.outcome = ReportOutcome(
            rows=self._tally.rows,
            grand_total=sum(known) if known else None,
            incomplete_reason="; ".join(reasons) or None,
        )

    def _block_batch(self, block: str, names: Sequence[str], rows: Sequence[Any]) -> pa.RecordBatch:
        position = {column.name: index for index, column in enumerate(self._columns)}
        values: list[list[Any]] = [[None] * len(rows) for _ in self._columns]
        values[0] = [block] * len(rows)
        for cell_index, name in enumerate(names):
            target = position[name]
            data_type = self._columns[target].data_type
            values[target] = [
                _cell_value(row["dataCells"][cell_index], data_type)
                if cell_index < len(row["dataCells"])
                else None
                for row in rows
            ]
        arrays = [pa.array(v, field.type) for v, field in zip(values, self.schema, strict=True)]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _emit(self, run: ReportRun) -> Iterator[pa.RecordBatch]:
        rows = _detail_rows(run)
        if rows:
            batch = self._batch(rows)
            self._tally.rows += batch.num_rows
            yield batch
        self._tally.pages += 1
        self._on_page(self._tally)

    def _batch(self, rows: Sequence[Any]) -> pa.RecordBatch:
        arrays = []
        for index, (column, field) in enumerate(zip(self._columns, self.schema, strict=True)):
            # An amount's currency column reads the currency of its amount's cell.
            cell = self._amount_cell.get(index, index)
            values = [
                _cell_value(row["dataCells"][cell], column.data_type)
                if cell < len(row["dataCells"])
                else None
                for row in rows
            ]
            arrays.append(pa.array(values, field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _finish(self, total: int | None, reason: str | None) -> None:
        rows = self._tally.rows
        if reason is None and total is not None and rows != total:
            reason = f"{rows} rows were fetched but the report's grand total is {total}"
        self.outcome = ReportOutcome(rows=rows, grand_total=total, incomplete_reason=reason)


def run_instance(
    client: SalesforceClient,
    report_id: str,
    metadata: ReportMetadata | None,
    *,
    include_details: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    on_wait: Callable[[str], None] = lambda message: None,
    on_call: Callable[[], None] = lambda: None,
    wait_max: float = INSTANCE_WAIT_MAX,
    polls_max: int | None = None,
) -> ReportRun | None:
    """Run a report as an asynchronous instance (``POST .../instances``), polling it with a
    growing pause until it succeeds; None when it still runs after ``wait_max`` seconds or
    ``polls_max`` polls (Salesforce keeps running it). ``on_call`` is told of every API call."""
    reports = client.reports
    instance = reports.start_run(report_id, metadata=metadata, include_details=include_details)
    on_call()
    began = monotonic()
    delay = INSTANCE_POLL_INITIAL
    polls = 0
    while True:
        sleep(delay)
        delay = min(INSTANCE_POLL_MAX, delay * 2)
        status, run = reports.instance(report_id, instance["id"])
        on_call()
        polls += 1
        if run is not None:
            return run
        if status["status"] == "Error":
            raise SalesforceError(
                f"Salesforce could not run the report {report_id} "
                f"(report instance {instance['id']} ended with status Error)."
            )
        waited = monotonic() - began
        if waited > wait_max or (polls_max is not None and polls >= polls_max):
            return None
        on_wait(f"Salesforce is running the report ({status['status'].lower()}, {waited:.0f} s).")


def _block_rows(run: ReportRun, block: str) -> list[Any]:
    """A joined report block's detail rows: its ``B0#T!T`` rows, or those of its leaf cells."""
    fact_map = run["factMap"]
    entry = fact_map.get(f"{block}#T!T")
    whole = (entry.get("rows") or []) if entry is not None else []
    if whole:
        return list(whole)
    rows: list[Any] = []
    for key, cell in fact_map.items():
        if key.startswith(f"{block}#") and key != f"{block}#T!T":
            rows.extend(cell.get("rows") or [])
    return rows


def _detail_rows(run: ReportRun) -> list[Any]:
    """Detail rows of a run: ``T!T`` for tabular reports, the leaf cells of grouped ones."""
    fact_map = run["factMap"]
    entry = fact_map.get("T!T")
    whole = (entry.get("rows") or []) if entry is not None else []
    if whole:
        return list(whole)
    down = _leaf_keys(run.get("groupingsDown", {}).get("groupings", []))
    across = _leaf_keys(run.get("groupingsAcross", {}).get("groupings", []))
    rows: list[Any] = []
    for row_key in down or ["T"]:
        for column_key in across or ["T"]:
            leaf = fact_map.get(f"{row_key}!{column_key}")
            if leaf is not None:
                rows.extend(leaf.get("rows") or [])
    return rows


def _leaf_keys(groupings: Sequence[Grouping]) -> list[str]:
    keys: list[str] = []
    for grouping in groupings:
        children = grouping.get("groupings") or []
        keys.extend(_leaf_keys(children) if children else [grouping["key"]])
    return keys


def _cell_value(cell: DataCell, data_type: str) -> Any:
    value = cell.get("value")
    if value is None or value == "":
        return None
    if data_type == CURRENCY_CODE_TYPE:
        code = value.get("currency") if isinstance(value, dict) else None
        return code if isinstance(code, str) and code else None
    if data_type == "currency":
        amount = value.get("amount") if isinstance(value, dict) else value
        return None if amount is None or amount == "" else _exact(amount)
    if data_type == "percent":
        return _exact(value)
    if data_type == "double":
        return float(value)
    if data_type == "int":
        return int(value)
    if data_type == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if data_type == "date":
        return date.fromisoformat(str(value)[:10])
    if data_type == "datetime":
        return _parse_datetime(str(value))
    # Text columns hold what the report shows: a lookup's value is the record id, its label
    # the name a person reads in the report.
    label = cell.get("label")
    return label if isinstance(label, str) and label != "-" else str(value)


def _exact(value: Any) -> Decimal:
    """A money or percent value as a decimal of the column's scale. Runs are parsed with exact
    numbers (``{"amount": 0.1}`` is ``Decimal("0.1")``); a float, should one come, is read by
    its shortest text, never its binary expansion. Digits past the scale (a converted amount's
    long tail) are rounded half to even."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


_QUANTUM = Decimal(1).scaleb(-REPORT_MONEY_SCALE)


def _parse_datetime(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    text = text.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # "+0000" -> "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rule(column: ReportColumn, operator: str, value: str) -> ReportFilter:
    return {"column": column.name, "operator": operator, "value": value}


def _blank(column: ReportColumn) -> ReportFilter:
    return _rule(column, "equals", "")


def _literal(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return repr(value) if isinstance(value, float) else str(value)


def _next_value(column: ReportColumn, value: Any) -> Any:
    if column.data_type == "date":
        return value + timedelta(days=1)
    if column.data_type == "datetime":
        return value + timedelta(seconds=1)
    if column.data_type == "int":
        return value + 1
    return value + _step(value)


def _step(value: Any) -> Any:
    """The finest difference slicing tells apart in a decimal column."""
    if isinstance(value, Decimal):
        return max(abs(value) * Decimal("1e-9"), Decimal("1e-6"))
    return float(max(abs(value) * 1e-9, 1e-6))


def _middle(column: ReportColumn, low: Any, high: Any) -> Any:
    """A value strictly between ``low`` and ``high``, or None when the range is one value."""
    if column.data_type == "date":
        days = (high - low).days
        return None if days < 2 else low + timedelta(days=days // 2)
    if column.data_type == "datetime":
        seconds = int((high - low).total_seconds())
        return None if seconds < 2 else low + timedelta(seconds=seconds // 2)
    if column.data_type == "int":
        return None if high - low < 2 else low + (high - low) // 2
    if high - low < 2 * _step(low):
        return None
    middle = (low + high) / 2
    return None if not low < middle < high else middle
