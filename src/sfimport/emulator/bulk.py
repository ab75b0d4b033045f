"""Bulk API 2.0 query jobs over the org: creation with Bulk's own refusals, the job's states
over (wall) time, abort and delete, and CSV result pages addressed by opaque locators.

A job runs its query when it is created, against a snapshot of the org's tables, so later
inserts, updates and deletes do not change results already computed (as a finished job in
Salesforce). The state then moves UploadComplete -> InProgress -> JobComplete as
`BulkSettings.delay_seconds` pass, so that clients have to poll.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from sfimport.emulator.bulk_csv import DELIMITERS, LINE_ENDINGS, render_page
from sfimport.emulator.errors import SalesforceApiError, not_found
from sfimport.emulator.formulas import with_cross_record_values
from sfimport.emulator.ids import mint_id
from sfimport.emulator.org import Org, User
from sfimport.emulator.query import Plan, QueryScope, execute, plan, timestamp
from sfimport.emulator.schema import COMPOUND_TYPES
from sfimport.emulator.soql import parse

# Objects Bulk API refuses outright (a version-specific list; see section 9.1 of the notes).
BULK_UNSUPPORTED_OBJECTS = frozenset(
    {
        "AcceptedEventRelation",
        "AccountBrandShare",
        "AccountFeed",
        "AggregateResult",
        "AssetFeed",
        "AssetTokenEvent",
        "AttachedContentDocument",
        "AttachedContentNote",
        "Attachment",
        "CaseStatus",
        "CaseTeamMember",
        "CaseTeamRole",
        "CaseTeamTemplate",
        "CaseTeamTemplateMember",
        "CaseTeamTemplateRecord",
        "CombinedAttachment",
        "ContentFolderItem",
        "ContractStatus",
        "DeclinedEventRelation",
        "EventWhoRelation",
        "FieldSecurityClassification",
        "FolderedContentDocument",
        "KnowledgeArticle",
        "KnowledgeArticleVersion",
        "LookedUpFromActivity",
        "Name",
        "NoteAndAttachment",
        "OpenActivity",
        "OrderStatus",
        "OwnedContentDocument",
        "PartnerRole",
        "QuoteTemplateRichTextData",
        "RecentlyViewed",
        "SolutionStatus",
        "TaskPriority",
        "TaskStatus",
        "TaskWhoRelation",
        "UndecidedEventRelation",
        "UserRecordAccess",
    }
)
TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})
#: resultPages exists from API version 58.0 on and hands out at most five result URLs at once.
RESULT_PAGES_SINCE = 58.0
PARALLEL_RESULT_PAGES = 5
FAILED_MESSAGE = (
    "Unexpected exception encountered in query processing. Please contact support with the "
    "following id: 326566388-63578 (-436445966)"
)


@dataclass
class BulkSettings:
    """Run-time knobs: how long a job takes, the default page size, jobs forced to fail."""

    delay_seconds: float = 0.3
    # Salesforce pages by size when maxRecords is absent; the emulator by row count.
    default_page_rows: int = 50_000
    fail_next: int = 0


@dataclass
class Job:
    id: str
    operation: str
    sobject: str
    user_id: str
    api_version: str
    column_delimiter: str
    line_ending: str
    created: datetime
    started: float
    delay: float
    fails: bool
    scope: QueryScope
    plan: Plan
    indices: pa.Array
    ended: str | None = None
    ended_at: datetime | None = None
    locators_expired: bool = False


@dataclass(frozen=True)
class ResultPage:
    body: bytes
    records: int
    # The string "null" on the last page, as Salesforce sends it.
    locator: str


def _bad_request(message: str, code: str = "API_ERROR") -> SalesforceApiError:
    return SalesforceApiError(400, code, message)


def encode_locator(offset: int) -> str:
    # Opaque to clients; base64 of the row offset without padding, like Salesforce's MTAwMDA.
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int | None:
    padded = locator + "=" * (-len(locator) % 4)
    try:
        text = base64.b64decode(padded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class BulkJobs:
    """Every Bulk API 2.0 query job of one org."""

    def __init__(
        self,
        org: Org,
        settings: BulkSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.org = org
        self.settings = settings or BulkSettings()
        self.monotonic = monotonic
        self.jobs: dict[str, Job] = {}
        self._serial = 0

    # --- lifecycle -------------------------------------------------------------------------

    def create(self, user: User, body: Mapping[str, Any], version: str) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in {"query", "queryAll"}:
            raise _bad_request(f"Invalid value for operation: {operation}", "INVALIDJOB")
        content_type = body.get("contentType", "CSV")
        if content_type != "CSV":
            raise _bad_request(f"Invalid value for contentType: {content_type}", "INVALIDJOB")
        delimiter = body.get("columnDelimiter", "COMMA")
        if delimiter not in DELIMITERS:
            raise _bad_request(f"Invalid value for columnDelimiter: {delimiter}", "INVALIDJOB")
        line_ending = body.get("lineEnding", "LF")
        if line_ending not in LINE_ENDINGS:
            raise _bad_request(f"Invalid value for lineEnding: {line_ending}", "INVALIDJOB")
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise _bad_request("A query string has to be specified", "INVALIDJOB")
        scope = self._snapshot(user)
        planned = plan(scope, parse(soql))
        self._refuse(planned)
        indices = execute(scope, planned, include_deleted=operation == "queryAll")
        self._serial += 1
        fails = self.settings.fail_next > 0
        if fails:
            self.settings.fail_next -= 1
        job = Job(
            id=mint_id("750", 5000 + self._serial),
            operation=operation,
            sobject=planned.sobject.name,
            user_id=user.id,
            api_version=version,
            column_delimiter=delimiter,
            line_ending=line_ending,
            created=self.org.clock.now(),
            started=self.monotonic(),
            delay=self.settings.delay_seconds,
            fails=fails,
            scope=scope,
            plan=planned,
            indices=indices,
        )
        self.jobs[job.id] = job
        # The create answer is always the queued state, even for an instant job.
        return self._info(job, "UploadComplete", brief=True)

    def info(self, user: User, job_id: str) -> dict[str, Any]:
        job = self._job(user, job_id)
        return self._info(job, self.state(job))

    def list(self, user: User) -> dict[str, Any]:
        mine = [job for job in self.jobs.values() if job.user_id == user.id]
        return {
            "done": True,
            "records": [self._info(job, self.state(job), listed=True) for job in mine],
            "nextRecordsUrl": None,
        }

    def abort(self, user: User, job_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        job = self._job(user, job_id)
        if body.get("state") != "Aborted":
            raise _bad_request(f"Invalid value for state: {body.get('state')}", "INVALIDJOB")
        state = self.state(job)
        if state in TERMINAL:
            raise _bad_request(
                f"Error encountered when aborting the job because the job is terminated "
                f"(state: {state})",
                "INVALIDJOBSTATE",
            )
        job.ended, job.ended_at = "Aborted", self.org.clock.now()
        return self._info(job, "Aborted")

    def delete(self, user: User, job_id: str) -> None:
        job = self._job(user, job_id)
        if self.state(job) not in TERMINAL:
            raise _bad_request(
                "Error encountered when deleting the job because the job is not terminated"
            )
        del self.jobs[job.id]

    def expire_locators(self) -> int:
        """Fault: every locator handed out so far stops working; returns how many jobs."""
        for job in self.jobs.values():
            job.locators_expired = True
        return len(self.jobs)

    # --- results ---------------------------------------------------------------------------

    def _results_offset(self, job: Job, version: str, locator: str | None) -> int:
        """Where a read of a finished job's results starts, checked as Salesforce checks it
        for both /results and /resultPages."""
        if version != job.api_version:
            # Results must be read with the API version the job was created with.
            raise SalesforceApiError(
                409,
                "API_ERROR",
                f"The API version {version} of the request does not match the job's API "
                f"version {job.api_version}",
            )
        state = self.state(job)
        if state != "JobComplete":
            raise _bad_request(
                f"Job is not in a valid state to get results. Current state: {state}",
                "INVALIDJOBSTATE",
            )
        if not locator:
            return 0
        decoded = decode_locator(locator)
        if decoded is None or decoded > len(job.indices) or job.locators_expired:
            raise _bad_request("invalid query locator", "INVALID_QUERY_LOCATOR")
        return decoded

    def results(
        self,
        user: User,
        job_id: str,
        version: str,
        locator: str | None,
        max_records: str | None,
    ) -> ResultPage:
        job = self._job(user, job_id)
        offset = self._results_offset(job, version, locator)
        page_rows = self.settings.default_page_rows
        if max_records is not None:
            if not max_records.isdigit() or int(max_records) <= 0:
                raise _bad_request(f"Invalid value for maxRecords: {max_records}", "INVALIDJOB")
            page_rows = int(max_records)
        page = job.indices[offset : offset + page_rows]
        body = render_page(
            job.scope,
            job.plan.sobject.name,
            job.plan.selected,
            page,
            delimiter=DELIMITERS[job.column_delimiter],
            line_ending=LINE_ENDINGS[job.line_ending],
        )
        end = offset + len(page)
        # Sforce-Locator is the string "null" on the last page.
        next_locator = encode_locator(end) if end < len(job.indices) else "null"
        return ResultPage(body, len(page), next_locator)

    def result_pages(
        self, user: User, job_id: str, version: str, locator: str | None
    ) -> dict[str, Any]:
        """GET .../resultPages (v58.0+): up to five result URLs to read in parallel.

        Shape from Salesforce's reference ("Get Parallel Results for a Query Job"):
        `{"resultPages": [{"resultUrl": ".../results?locator=..."}], "nextRecordsUrl", "done"}`;
        each URL reads one page of the default size, `nextRecordsUrl` (null when done) the next
        five."""
        if float(version) < RESULT_PAGES_SINCE:
            raise not_found()
        job = self._job(user, job_id)
        offset = self._results_offset(job, version, locator)
        rows = self.settings.default_page_rows
        root = f"/services/data/v{version}/jobs/query/{job.id}"
        starts = list(range(offset, len(job.indices), rows))[:PARALLEL_RESULT_PAGES]
        if not starts:
            starts = [offset]  # an empty result still has its one (empty) page
        following = starts[-1] + rows
        done = following >= len(job.indices)
        return {
            "resultPages": [
                {"resultUrl": f"{root}/results?locator={encode_locator(start)}"} for start in starts
            ],
            "nextRecordsUrl": None
            if done
            else f"{root}/resultPages?locator={encode_locator(following)}",
            "done": done,
        }

    # --- internals -------------------------------------------------------------------------

    def state(self, job: Job) -> str:
        if job.ended is not None:
            return job.ended
        elapsed = self.monotonic() - job.started
        if elapsed >= job.delay:
            job.ended = "Failed" if job.fails else "JobComplete"
            job.ended_at = self.org.clock.now()
            return job.ended
        return "UploadComplete" if elapsed < job.delay / 3 else "InProgress"

    def _job(self, user: User, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.user_id != user.id:
            raise not_found()
        return job

    def _snapshot(self, user: User) -> QueryScope:
        live = self.org.scope(user)
        tables = dict(self.org.tables)

        def table(name: str) -> pa.Table:
            spec = self.org.objects.get(name.lower())
            if spec is not None and spec.name in tables:
                return with_cross_record_values(spec, tables[spec.name], tables, self.org.objects)
            return live.table(name)

        return QueryScope(
            objects=live.objects,
            fields=live.fields,
            table=table,
            object_for_prefix=live.object_for_prefix,
            now=live.now,
        )

    def _refuse(self, planned: Plan) -> None:
        """Bulk's own refusals, beyond what SOQL over REST already rejects."""
        query = planned.query
        if planned.sobject.name in BULK_UNSUPPORTED_OBJECTS:
            raise _bad_request(
                f"Entity '{planned.sobject.name}' is not supported by the Bulk API.",
                "INVALIDENTITY",
            )
        if query.count_only or query.aggregates or query.group_by:
            raise _bad_request("Aggregate queries are not supported by Bulk Query")
        if query.offset is not None:
            raise _bad_request("OFFSET clause is not supported by Bulk Query")
        if query.subqueries:
            # Bulk API does not nest SOQL (wording inferred, code as its siblings).
            raise _bad_request("Nested queries are not supported in Bulk Query")
        if query.field_sets:
            # Bulk API 2.0 refuses FIELDS() of any kind (wording inferred, code as its siblings).
            raise _bad_request("FIELDS() is not supported in Bulk Query")
        for item in planned.selected:
            if item.field.type in COMPOUND_TYPES:
                raise _bad_request("Selecting compound data not supported in Bulk Query")
            if item.field.type == "base64":
                raise _bad_request("Selecting base64 data not supported in Bulk Query")

    def _info(
        self, job: Job, state: str, *, brief: bool = False, listed: bool = False
    ) -> dict[str, Any]:
        stamp = job.ended_at if job.ended_at is not None and not brief else job.created
        body: dict[str, Any] = {
            "id": job.id,
            "operation": job.operation,
            "object": job.sobject,
            "createdById": job.user_id,
            "createdDate": timestamp(job.created),
            "systemModstamp": timestamp(stamp),
            "state": state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            # A JSON number, unlike the "v62.0" of URLs.
            "apiVersion": float(job.api_version),
        }
        if not brief:
            body["jobType"] = "V2Query"
        body["lineEnding"] = job.line_ending
        body["columnDelimiter"] = job.column_delimiter
        if brief or listed:
            return body
        done = state == "JobComplete"
        body["numberRecordsProcessed"] = len(job.indices) if done else 0
        body["retries"] = 0
        body["totalProcessingTime"] = int(job.delay * 1000) if state in TERMINAL else 0
        body["isPkChunkingSupported"] = not job.plan.query.order_by and job.plan.query.limit is None
        if state == "Failed":
            body["errorMessage"] = FAILED_MESSAGE
        return body
