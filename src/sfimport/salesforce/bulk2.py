"""Bulk API 2.0 query jobs: create, wait with capped backoff, read CSV result pages by
locator, abort and delete.

Every job call uses the API version the job was created with: Salesforce answers 409 to
results requested with another version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sfimport.errors import BulkUnsupported, SalesforceError, TransientError
from sfimport.salesforce.redaction import redacting_logger
from sfimport.salesforce.wire import BulkJobInfo, BulkQueryJobRequest

if TYPE_CHECKING:
    from sfimport.salesforce.client import SalesforceClient

logger = redacting_logger(__name__)

TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})


@dataclass(frozen=True)
class BulkJob:
    """A Bulk API 2.0 query job as last seen."""

    id: str
    operation: str
    object: str
    state: str
    #: "62.0": the version every later call about this job must use.
    api_version: str
    records_processed: int | None = None
    error_message: str | None = None

    @property
    def is_done(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_wire(cls, info: BulkJobInfo) -> BulkJob:
        # apiVersion is a JSON number (57.0); URLs want "57.0".
        return cls(
            id=info["id"],
            operation=info["operation"],
            object=info.get("object", ""),
            state=info["state"],
            api_version=f"{float(info['apiVersion']):.1f}",
            records_processed=info.get("numberRecordsProcessed"),
            error_message=info.get("errorMessage"),
        )


@dataclass(frozen=True)
class ResultPage:
    """One page of a job's results: raw CSV bytes, header row included (on every page)."""

    data: bytes
    #: ``Sforce-NumberOfRecords`` of this page, when Salesforce sent it.
    number_of_records: int | None
    #: The locator of the next page, or None on the last page.
    next_locator: str | None


@dataclass(frozen=True)
class StreamedPage:
    """One page of a job's results whose CSV body (header row included) is still arriving."""

    #: The body as it arrives; read to the end before the next page is requested.
    chunks: Iterator[bytes]
    number_of_records: int | None
    next_locator: str | None


@dataclass(frozen=True)
class PollPolicy:
    """Capped exponential backoff while a job runs."""

    initial_delay: float = 0.5
    max_delay: float = 10.0
    factor: float = 1.5
    timeout: float = 3600.0


class BulkApi:
    """The Bulk API 2.0 query calls of one :class:`~sfimport.salesforce.client.SalesforceClient`."""

    def __init__(
        self,
        client: SalesforceClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._clock = clock

    def create_query_job(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        known_fields: Collection[str] = (),
    ) -> BulkJob:
        """Start a query (or ``queryAll`` with ``include_deleted``) job returning CSV."""
        body: BulkQueryJobRequest = {
            "operation": "queryAll" if include_deleted else "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        info = self._client.send_json(
            "POST", self._client.data_path("jobs/query"), body, known_fields=known_fields
        )
        job = BulkJob.from_wire(_job_info(info))
        logger.info("Bulk query job %s created for %s", job.id, job.object or "a query")
        return job

    def job(self, job: BulkJob | str) -> BulkJob:
        """The job's current state."""
        path = self._job_path(job)
        return BulkJob.from_wire(_job_info(self._client.get_json(path)))

    def wait(self, job: BulkJob, *, poll: PollPolicy | None = None) -> BulkJob:
        """Poll until the job completes; raise if it fails, is aborted or takes too long.

        A ``Failed`` job raises :class:`~sfimport.errors.BulkUnsupported` so the caller
        falls back to the REST API.
        """
        poll = poll or PollPolicy()
        deadline = self._clock() + poll.timeout
        delay = poll.initial_delay
        current = job
        while not current.is_done:
            if self._clock() >= deadline:
                raise TransientError(
                    f"Bulk query job {job.id} was still {current.state} after {poll.timeout:.0f}s."
                )
            self._sleep(delay)
            delay = min(poll.max_delay, delay * poll.factor)
            current = self.job(current)
        if current.state == "Failed":
            raise BulkUnsupported(
                f"Bulk query job {job.id} failed: {current.error_message or 'no reason given'}",
                error_code="Failed",
            )
        if current.state == "Aborted":
            raise SalesforceError(f"Bulk query job {job.id} was aborted.", error_code="Aborted")
        return current

    def result_pages(
        self,
        job: BulkJob,
        *,
        max_records: int | None = None,
        locator: str | None = None,
    ) -> Iterator[ResultPage]:
        """The job's CSV result pages, fetched lazily one at a time.

        ``locator`` resumes from a page already known. ``max_records`` is a hint; pages can
        be shorter and still have a next locator.
        """
        path = f"{self._job_path(job)}/results"
        current = locator
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {}
            if current:
                params["locator"] = current
            if max_records:
                params["maxRecords"] = max_records
            response = self._client.request(
                "GET", path, params=params or None, headers={"Accept": "text/csv"}
            )
            next_locator = _next_locator(response.headers.get("Sforce-Locator"))
            yield ResultPage(
                data=response.content,
                number_of_records=_record_count(response.headers),
                next_locator=next_locator,
            )
            if next_locator is None:
                return
            if next_locator in seen:
                raise SalesforceError(f"Salesforce repeated the result locator of job {job.id}.")
            seen.add(next_locator)
            current = next_locator

    def result_streams(
        self,
        job: BulkJob,
        *,
        max_records: int | None = None,
        locator: str | None = None,
    ) -> Generator[StreamedPage, None, None]:
        """Like :meth:`result_pages`, but each page's body arrives as chunks while it is read,
        so a page is never held whole. Read a page's ``chunks`` to the end before asking for
        the next page: the next request is sent only then, and the previous body is closed."""
        # client.py imports this module: import its body reader when first needed.
        from sfimport.salesforce.client import body_chunks

        path = f"{self._job_path(job)}/results"
        current = locator
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {}
            if current:
                params["locator"] = current
            if max_records:
                params["maxRecords"] = max_records
            with self._client.stream(
                "GET", path, params=params or None, headers={"Accept": "text/csv"}
            ) as response:
                next_locator = _next_locator(response.headers.get("Sforce-Locator"))
                yield StreamedPage(
                    chunks=body_chunks(response),
                    number_of_records=_record_count(response.headers),
                    next_locator=next_locator,
                )
            if next_locator is None:
                return
            if next_locator in seen:
                raise SalesforceError(f"Salesforce repeated the result locator of job {job.id}.")
            seen.add(next_locator)
            current = next_locator

    def abort(self, job: BulkJob) -> BulkJob:
        """Ask Salesforce to stop the job."""
        info = self._client.send_json("PATCH", self._job_path(job), {"state": "Aborted"})
        return BulkJob.from_wire(_job_info(info)) if info else job

    def delete(self, job: BulkJob) -> None:
        """Delete a finished (complete, failed or aborted) job and its results."""
        self._client.request("DELETE", self._job_path(job))

    def _job_path(self, job: BulkJob | str) -> str:
        if isinstance(job, str):
            return self._client.data_path(f"jobs/query/{job}")
        return self._client.data_path(f"jobs/query/{job.id}", api_version=job.api_version)


def _next_locator(header: str | None) -> str | None:
    # Sforce-Locator is the string "null" on the last page; a missing header ends too.
    if not header or header.strip() == "null":
        return None
    return header


def _record_count(headers: Mapping[str, str]) -> int | None:
    count = headers.get("Sforce-NumberOfRecords", "")
    return int(count) if count.strip().isdigit() else None


def _job_info(body: object) -> BulkJobInfo:
    if not isinstance(body, dict) or not {"id", "state", "apiVersion"} <= body.keys():
        raise SalesforceError("Salesforce sent an unexpected Bulk API job answer.")
    return cast(BulkJobInfo, body)
