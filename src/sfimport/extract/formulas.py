"""Columns a refresh re-reads whole, apart from the changed rows: formula and roll-up fields
(their values change when another record does, and ``SystemModstamp`` does not move) and
fields that appeared in Salesforce since the last import (backfilled, not re-imported).

A column pass reads ``Id`` plus those columns for every record, through REST or Bulk by the
expected row count, and updates the data set's rows by Id; nothing else of the data set is read
again. When formulas are re-read follows the data set's setting: "always", "daily", "never", or
by default every refresh below :data:`FORMULA_THRESHOLD_ROWS` rows and daily above.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pyarrow as pa

from sfimport.extract import budget
from sfimport.extract.conceal import Concealer, concealment_shapes
from sfimport.extract.cost import cheaper_method
from sfimport.extract.objects import PageCallback, Tally, object_batches
from sfimport.extract.plan import PlannedDataset
from sfimport.extract.schema import FieldSpec, arrow_schema
from sfimport.salesforce.client import SalesforceClient
from sfimport.store.mydata import MyData, Publication

#: Data sets up to this many rows re-read their formulas at every refresh by default; larger
#: ones once a day (a formula pass reads every row's Id and formulas).
FORMULA_THRESHOLD_ROWS = 50_000
#: How often "daily" means.
DAILY = timedelta(days=1)
SCHEDULES = ("always", "daily", "never")


def formula_fields(fields: Sequence[FieldSpec]) -> tuple[str, ...]:
    """The formula and roll-up columns among ``fields`` (describe's ``calculated``)."""
    return tuple(f.name for f in fields if f.calculated and f.name != "Id")


def formulas_due(
    every: str | None,
    rows: int,
    last: datetime | None,
    now: datetime,
) -> bool:
    """Whether this refresh re-reads the formula columns."""
    if every is None:
        every = "always" if rows <= FORMULA_THRESHOLD_ROWS else "daily"
    if every == "never":
        return False
    if every == "always" or last is None:
        return True
    return now - last >= DAILY


def pass_method(rows: int) -> str:
    """REST or Bulk for a column pass over ``rows`` records, whichever is expected to be
    cheaper (Bulk falls back to REST when it refuses the object)."""
    return cheaper_method(rows)


def pass_calls(method: str, rows: int) -> int:
    """API calls of one column pass (no describe or COUNT(): the refresh already made them)."""
    return max(1, budget.object_calls(method, rows) - 3)


def pass_fields(planned: PlannedDataset, columns: Sequence[str]) -> tuple[FieldSpec, ...]:
    """Id and ``columns``, with their describe, in the data set's order."""
    wanted = {"Id", *columns}
    return tuple(f for f in planned.field_specs if f.name in wanted)


def column_batches(
    client: SalesforceClient,
    planned: PlannedDataset,
    columns: Sequence[str],
    *,
    method: str,
    upper: datetime | None,
    tally: Tally,
    on_page: PageCallback,
    sleep: Callable[[float], None],
) -> Iterator[pa.RecordBatch]:
    """Id plus ``columns`` of every record (as of ``upper``), as batches."""
    fields = pass_fields(planned, columns)
    reading = replace(
        planned,
        fields=tuple(f.name for f in fields),
        field_specs=fields,
        mode="full",
        method=method,
        since=None,
        deleted_flag=False,
    )
    yield from object_batches(
        client,
        reading,
        arrow_schema(fields),
        start=None,
        upper=upper,
        tally=tally,
        on_page=on_page,
        sleep=sleep,
    )


def run_column_pass(
    client: SalesforceClient,
    planned: PlannedDataset,
    *,
    mydata: MyData,
    concealer: Concealer,
    publication: Publication,
    run_id: str,
    upper: datetime | None,
    tally: Tally,
    sleep: Callable[[float], None],
) -> int:
    """Read Id plus the planned backfill and formula columns of every record, conceal them as
    the data set is, stage them and update the data set's rows by Id; returns rows updated.

    It runs before the changed rows are merged, so a new column exists (backfilled) before any
    merge could add it empty; a pass cut short leaves the data set as it was and is read again
    by the resume or the next refresh."""
    columns = (*planned.backfill, *planned.formulas)
    fields = pass_fields(planned, columns)
    schema = arrow_schema(fields)
    shapes = concealment_shapes(schema, [c for c in planned.concealed if c in schema.names])
    counted = Tally(method=planned.column_pass_method)
    with mydata.stage(run_id, publication.folder, f"{publication.name}__columns", schema) as out:
        for batch in column_batches(
            client,
            planned,
            columns,
            method=planned.column_pass_method,
            upper=upper,
            tally=counted,
            on_page=lambda _: None,
            sleep=sleep,
        ):
            out.write(concealer.conceal_batch(batch, shapes))
    tally.api_calls += counted.api_calls
    return mydata.update_columns(
        out.close(),
        publication,
        columns=columns,
        added=planned.backfill,
        formulas_read=bool(planned.formulas),
    )
