"""Reading one object out of Salesforce as a stream of Arrow record batches: Bulk API 2.0 by
default, the REST query when Bulk refuses the object or a field, or for small objects.

Nothing here holds more than one result page: pages become batches of the explicit schema from
describe and are handed on as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from sfimport.errors import BulkUnsupported, SalesforceError, SfimportError
from sfimport.extract.batches import csv_page_batches, rest_records_batch
from sfimport.extract.budget import BULK_PAGE_ROWS, REST_PAGE_ROWS
from sfimport.extract.cursor import select_soql
from sfimport.extract.plan import PlannedDataset
from sfimport.salesforce.bulk2 import BulkJob
from sfimport.salesforce.client import SalesforceClient

#: Seconds between Bulk job status polls: quick at first, then capped.
POLL_INITIAL = 0.2
POLL_MAX = 5.0


@dataclass
class Tally:
    """Running counters of one data set's download, shared with the progress reporter."""

    rows: int = 0
    pages: int = 0
    api_calls: int = 0
    method: str = ""
    #: Where a resumed download could continue (Bulk job id and next locator).
    checkpoint: dict[str, object] = field(default_factory=dict)


PageCallback = Callable[[Tally], None]


def object_batches(
    client: SalesforceClient,
    planned: PlannedDataset,
    schema: pa.Schema,
    *,
    start: datetime | None,
    tally: Tally,
    on_page: PageCallback,
    sleep: Callable[[float], None],
    known_fields: tuple[str, ...] = (),
) -> Iterator[pa.RecordBatch]:
    """Every record of the planned object (filtered by ``start`` on its cursor) as batches."""
    soql = select_soql(planned.source, schema.names, planned.cursor_field, start)
    if planned.method == "bulk":
        try:
            yield from _bulk_batches(
                client, soql, schema, tally, on_page, sleep, known_fields=known_fields
            )
            return
        except BulkUnsupported:
            # Refused at job creation or failed before any page: nothing was handed on yet.
            if tally.pages:
                raise
    yield from _rest_batches(client, soql, schema, tally, on_page, known_fields=known_fields)


def _rest_batches(
    client: SalesforceClient,
    soql: str,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
    *,
    known_fields: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    tally.method = "rest"
    for page in client.rest.query(soql, batch_size=REST_PAGE_ROWS, known_fields=known_fields):
        tally.api_calls += 1
        tally.pages += 1
        records = page["records"]
        if records:
            batch = rest_records_batch(records, schema)
            tally.rows += batch.num_rows
            yield batch
        on_page(tally)


def _bulk_batches(
    client: SalesforceClient,
    soql: str,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
    sleep: Callable[[float], None],
    *,
    known_fields: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    tally.method = "bulk"
    job = client.bulk.create_query_job(soql, known_fields=known_fields)
    tally.api_calls += 1
    try:
        job = _wait(client, job, tally, sleep)
        tally.checkpoint = {"bulk_job": job.id, "api_version": job.api_version}
        on_page(tally)
        for page in client.bulk.result_pages(job, max_records=BULK_PAGE_ROWS):
            tally.api_calls += 1
            for batch in csv_page_batches(page.data, schema):
                tally.rows += batch.num_rows
                yield batch
            tally.pages += 1
            tally.checkpoint = {**tally.checkpoint, "locator": page.next_locator}
            on_page(tally)
    finally:
        _delete_quietly(client, job, tally)


def _wait(
    client: SalesforceClient, job: BulkJob, tally: Tally, sleep: Callable[[float], None]
) -> BulkJob:
    delay = POLL_INITIAL
    while not job.is_done:
        sleep(delay)
        delay = min(POLL_MAX, delay * 2)
        job = client.bulk.job(job)
        tally.api_calls += 1
    if job.state == "Failed":
        raise BulkUnsupported(
            f"The Bulk API job for {job.object or 'this object'} failed "
            f"({job.error_message or 'no reason given'}); reading through REST instead."
        )
    if job.state == "Aborted":
        raise SalesforceError(f"The Bulk API job {job.id} was aborted in Salesforce.")
    return job


def _delete_quietly(client: SalesforceClient, job: BulkJob, tally: Tally) -> None:
    # Finished jobs keep their results in the org for days; delete them, but a failure to
    # tidy up must not fail an import that otherwise succeeded.
    try:
        client.bulk.delete(job)
        tally.api_calls += 1
    except SfimportError:
        pass
