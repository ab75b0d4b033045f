"""Reading one object out of Salesforce as a stream of Arrow record batches: Bulk API 2.0 by
default, the REST query when Bulk refuses the object or a field, or for small objects.

Nothing here holds more than one result page: pages become batches of the explicit schema from
describe and are handed on as they arrive. After each page the reader reports where Salesforce
continues (``Tally.position``), so an interrupted read resumes at the next page: a Bulk job's
locator (results stay in the org for days) or a REST ``nextRecordsUrl`` (alive while the query
cursor is, about 15 idle minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from sfimport.errors import (
    BulkUnsupported,
    ConnectionFailed,
    DailyLimitExceeded,
    ResourceNotFound,
    RunStopped,
    SalesforceError,
    SfimportError,
    TransientError,
)
from sfimport.extract.batches import csv_page_batches, rest_records_batch
from sfimport.extract.budget import BULK_PAGE_ROWS, REST_PAGE_ROWS
from sfimport.extract.cursor import select_soql
from sfimport.extract.plan import PlannedDataset
from sfimport.extract.prefetch import read_ahead
from sfimport.salesforce.bulk2 import BulkJob, StreamedPage
from sfimport.salesforce.client import SalesforceClient
from sfimport.salesforce.wire import QueryResult

#: Seconds between Bulk job status polls: quick at first, then capped.
POLL_INITIAL = 0.2
POLL_MAX = 5.0


class RestartRead(Exception):
    """The saved position can no longer be continued (the Bulk job is gone): read again."""


@dataclass
class Tally:
    """Running counters of one data set's download, shared with the progress reporter."""

    rows: int = 0
    pages: int = 0
    api_calls: int = 0
    method: str = ""
    #: Where Salesforce continues after the last page handed on (see :mod:`.resume`).
    position: dict[str, Any] | None = None
    #: Called as rows of a large (Bulk) page arrive, so progress moves within the page.
    on_rows: Callable[[Tally], None] | None = None


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
    upper: datetime | None = None,
    position: dict[str, Any] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Every record of the planned object with ``start <= cursor < upper`` as batches.

    Incremental reads use queryAll, so records deleted in Salesforce come back with
    ``IsDeleted`` true. ``position`` continues a read from a saved page position.
    """
    soql = select_soql(planned.source, schema.names, planned.cursor_field, start, upper)
    include_deleted = planned.mode == "incremental"
    known = planned.fields
    if position is not None:
        if position.get("done"):
            return
        if position["kind"] == "bulk":
            job = BulkJob(
                id=str(position["job"]),
                operation="queryAll" if include_deleted else "query",
                object=planned.source,
                state="JobComplete",
                api_version=str(position["api_version"]),
            )
            locator = position.get("locator")
            yield from _bulk_results(client, job, schema, tally, on_page, locator, resumed=True)
            return
        yield from _rest_pages(client, str(position["next_url"]), schema, tally, on_page, known)
        return
    if planned.method == "bulk":
        try:
            yield from _bulk_batches(
                client, soql, schema, tally, on_page, sleep, include_deleted, known
            )
            return
        except BulkUnsupported:
            # Refused at job creation or failed before any page: nothing was handed on yet.
            if tally.pages:
                raise
    tally.method = "rest"
    first = client.rest.query(
        soql,
        include_deleted=include_deleted,
        batch_size=REST_PAGE_ROWS,
        known_fields=known,
        exact_numbers=True,
    )
    yield from _rest_stream(first, schema, tally, on_page)


def _rest_pages(
    client: SalesforceClient,
    next_url: str,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
    known: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    """Continue a REST query cursor from a saved ``nextRecordsUrl``."""
    tally.method = "rest"

    def pages() -> Iterator[QueryResult]:
        url: str | None = next_url
        seen: set[str] = set()
        while url:
            if url in seen:
                raise SalesforceError(f"Salesforce repeated the query page {url}; stopped.")
            seen.add(url)
            page: QueryResult = client.get_json(
                url,
                headers={"Sforce-Query-Options": f"batchSize={REST_PAGE_ROWS}"},
                known_fields=known,
                exact_numbers=True,
            )
            yield page
            url = None if page["done"] else page.get("nextRecordsUrl")

    yield from _rest_stream(pages(), schema, tally, on_page)


def _rest_stream(
    pages: Iterator[QueryResult], schema: pa.Schema, tally: Tally, on_page: PageCallback
) -> Iterator[pa.RecordBatch]:
    for page in pages:
        tally.api_calls += 1
        tally.pages += 1
        records = page["records"]
        if records:
            batch = rest_records_batch(records, schema)
            tally.rows += batch.num_rows
            yield batch
        next_url = None if page["done"] else page.get("nextRecordsUrl")
        tally.position = {"kind": "rest", "next_url": next_url, "done": next_url is None}
        on_page(tally)


def _bulk_batches(
    client: SalesforceClient,
    soql: str,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
    sleep: Callable[[float], None],
    include_deleted: bool,
    known: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    tally.method = "bulk"
    job = client.bulk.create_query_job(soql, include_deleted=include_deleted, known_fields=known)
    tally.api_calls += 1
    try:
        job = _wait(client, job, tally, sleep)
    except SfimportError as error:
        # A job not recorded yet is not continued by a resume: after a shutdown (the network
        # still works) it is deleted rather than left in the org.
        if not resumable(error) or isinstance(error, RunStopped):
            _delete_quietly(client, job, tally)
        raise
    # The job is recorded before its first page: a resumed run reads its results, not a new job.
    tally.position = {"kind": "bulk", "job": job.id, "api_version": job.api_version}
    on_page(tally)
    yield from _bulk_results(client, job, schema, tally, on_page, None, resumed=False)


def _bulk_results(
    client: SalesforceClient,
    job: BulkJob,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
    locator: str | None,
    *,
    resumed: bool,
) -> Iterator[pa.RecordBatch]:
    tally.method = "bulk"
    calls_before = tally.api_calls
    try:
        pages = read_ahead(
            client.bulk.result_streams(job, max_records=BULK_PAGE_ROWS, locator=locator)
        )
        # closing(): a read stopped part-way gives its connection back at once, not at GC.
        with closing(pages):
            yield from _bulk_pages(pages, job, schema, tally, on_page)
    except ResourceNotFound as error:
        if resumed and tally.api_calls == calls_before:
            # The job of an earlier attempt was deleted (or expired) in the org.
            raise RestartRead(str(error)) from error
        _delete_quietly(client, job, tally)
        raise
    except SfimportError as error:
        # A job whose run will resume keeps its results; any other failure tidies up.
        if not resumable(error):
            _delete_quietly(client, job, tally)
        raise
    _delete_quietly(client, job, tally)


def _bulk_pages(
    pages: Iterator[StreamedPage],
    job: BulkJob,
    schema: pa.Schema,
    tally: Tally,
    on_page: PageCallback,
) -> Iterator[pa.RecordBatch]:
    for page in pages:
        tally.api_calls += 1
        # The page is parsed as it arrives (never held whole); it counts as read, and its
        # position is recorded, only once its last batch is handed on.
        for batch in csv_page_batches(page.chunks, schema):
            tally.rows += batch.num_rows
            yield batch
            if tally.on_rows is not None:
                tally.on_rows(tally)
        tally.pages += 1
        tally.position = {
            "kind": "bulk",
            "job": job.id,
            "api_version": job.api_version,
            "locator": page.next_locator,
            "done": page.next_locator is None,
        }
        on_page(tally)


def resumable(error: SfimportError) -> bool:
    """Errors after which the same read can continue later from its saved position."""
    return isinstance(error, DailyLimitExceeded | TransientError | ConnectionFailed | RunStopped)


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
