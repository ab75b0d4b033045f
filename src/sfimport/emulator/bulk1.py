"""Bulk API 1.0 query jobs (`/services/async/VERSION/job`): XML or JSON job and batch info,
CSV or JSON results, and PK chunking (`Sforce-Enable-PKChunking`).

Shapes follow the recorded Bulk 1.0 lifecycle in shared/recordings/bulk1 (job create 201, batch
create 201 in state Queued, job and batch GETs, close, result list); the JSON forms carry the
same keys. A batch runs its query when it is added, against the tables of that moment, and is
Completed (or Failed, with Salesforce's `InvalidBatch : Failed to process query:` message) the
next time it is read. With PK chunking the added batch becomes NotProcessed and one batch per
chunk of Ids holds the rows, as Salesforce splits them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.bulk_csv import render_page
from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.ids import mint_id
from sfimport.emulator.org import Org, User
from sfimport.emulator.query import Plan, QueryScope, execute, plan, render_records
from sfimport.emulator.soql import parse

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
XML_TYPE = "application/xml"
JSON_TYPE = "application/json"
ROOT = "/services/async/{version}/job"
_XML_ELEMENT = re.compile(r"<(\w+)>([^<]*)</\1>")
DEFAULT_CHUNK = 100_000
MAX_CHUNK = 250_000


class AsyncApiError(Exception):
    """Bulk 1.0's error body: `exceptionCode` and `exceptionMessage` (not REST's array)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Batch:
    id: str
    job_id: str
    created: datetime
    state: str = "Queued"
    indices: pa.Array | None = None
    message: str | None = None
    chunk: bool = False


@dataclass
class Job1:
    id: str
    user_id: str
    operation: str
    sobject: str
    content_type: str
    version: str
    created: datetime
    chunk_size: int | None
    state: str = "Open"
    batches: dict[str, Batch] = field(default_factory=dict)
    plans: dict[str, tuple[Plan, QueryScope]] = field(default_factory=dict)


class Bulk1Jobs:
    """The org's Bulk 1.0 jobs (one registry per org: `bulk1_jobs_for`)."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.jobs: dict[str, Job1] = {}
        self._serial = 0

    def _mint(self, prefix: str) -> str:
        self._serial += 1
        return mint_id(prefix, self._serial)

    def create(
        self, user: User, body: Mapping[str, Any], version: str, pk_chunking: str | None
    ) -> Job1:
        operation = str(body.get("operation", ""))
        if operation not in {"query", "queryAll"}:
            raise AsyncApiError(
                400, "InvalidJob", f"Operation {operation or '(none)'} is not a query operation"
            )
        name = str(body.get("object", ""))
        spec = self.org.visible_object(user, name)
        if spec is None:
            raise AsyncApiError(400, "InvalidJob", f"Unable to find object: {name}")
        content_type = str(body.get("contentType") or "CSV").upper()
        if content_type not in {"CSV", "JSON"}:
            raise AsyncApiError(
                400, "InvalidJob", f"Content type {content_type} is not supported for query"
            )
        job = Job1(
            self._mint("750"),
            user.id,
            operation,
            spec.name,
            content_type,
            version,
            self.org.clock.now().replace(microsecond=0),
            _chunk_size(pk_chunking),
        )
        self.jobs[job.id] = job
        return job

    def job(self, user: User, job_id: str) -> Job1:
        job = self.jobs.get(job_id)
        if job is None or job.user_id != user.id:
            raise AsyncApiError(400, "InvalidJob", f"Invalid job id: {job_id}")
        return job

    def set_state(self, user: User, job_id: str, state: str) -> Job1:
        job = self.job(user, job_id)
        if state not in {"Closed", "Aborted"}:
            raise AsyncApiError(400, "InvalidJobState", f"Invalid state: {state}")
        job.state = state
        return job

    def add_batch(self, user: User, job_id: str, soql: str) -> Batch:
        job = self.job(user, job_id)
        if job.state != "Open":
            raise AsyncApiError(400, "InvalidJobState", f"Job {job.id} is not open")
        batch = Batch(self._mint("751"), job.id, self.org.clock.now().replace(microsecond=0))
        job.batches[batch.id] = batch
        scope = self.org.scope(user)
        try:
            planned = plan(scope, parse(soql))
            if planned.sobject.name != job.sobject:
                raise SalesforceApiError(
                    400, "INVALID_TYPE", f"sObject type in query must be {job.sobject}"
                )
            if planned.count_only or planned.aggregate_keys or planned.group_keys:
                raise SalesforceApiError(
                    400, "FeatureNotEnabled", "Aggregate Relationships not supported in Batch Query"
                )
            indices = execute(scope, planned, job.operation == "queryAll")
        except SalesforceApiError as error:
            batch.state = "Failed"
            batch.message = f"InvalidBatch : Failed to process query: {error.error_code}: " + (
                error.message
            )
            return batch
        job.plans[batch.id] = (planned, scope)
        if job.chunk_size is None:
            batch.indices = indices
            return batch
        # PK chunking: the original batch is not processed; one batch per chunk of Ids.
        batch.message = "Original batch is not processed with PK chunking"
        ids = pc.take(scope.table(job.sobject)["Id"], indices)
        order = pc.sort_indices(ids)
        ordered = pc.take(indices, order)
        for start in range(0, max(len(ordered), 1), job.chunk_size):
            chunk = Batch(
                self._mint("751"),
                job.id,
                batch.created,
                indices=ordered[start : start + job.chunk_size],
                chunk=True,
            )
            job.batches[chunk.id] = chunk
            job.plans[chunk.id] = (planned, scope)
        batch.state = "NotProcessed"
        batch.indices = pa.array([], type=pa.int64())
        return batch

    def batch(self, user: User, job_id: str, batch_id: str) -> Batch:
        job = self.job(user, job_id)
        found = job.batches.get(batch_id)
        if found is None:
            raise AsyncApiError(400, "InvalidBatch", f"Invalid batch id: {batch_id}")
        if found.state == "Queued":
            # Queued when added, done by the next read.
            found.state = "Completed"
        return found

    def result_ids(self, user: User, job_id: str, batch_id: str) -> list[str]:
        batch = self.batch(user, job_id, batch_id)
        if batch.state != "Completed":
            raise AsyncApiError(
                400, "InvalidBatch", f"Batch not completed: {batch_id} ({batch.state})"
            )
        return ["752" + batch.id[3:]]

    def result(self, user: User, job_id: str, batch_id: str, result_id: str) -> bytes:
        job = self.job(user, job_id)
        if result_id not in self.result_ids(user, job_id, batch_id):
            raise AsyncApiError(400, "InvalidBatch", f"Invalid result id: {result_id}")
        batch = job.batches[batch_id]
        planned, scope = job.plans[batch_id]
        indices = batch.indices if batch.indices is not None else pa.array([], type=pa.int64())
        if job.content_type == "CSV":
            if len(indices) == 0:
                return b"Records not found for this query"
            return render_page(scope, planned.sobject.name, planned.selected, indices)
        records = render_records(scope, planned, indices, job.version)
        return json.dumps([_epoch_dates(planned, r) for r in records]).encode()

    def info(self, job: Job1) -> dict[str, Any]:
        batches = list(job.batches.values())
        for item in batches:
            if item.state == "Queued":
                item.state = "Completed"

        def count(state: str) -> int:
            return sum(1 for b in batches if b.state == state)

        processed = sum(len(b.indices) for b in batches if b.indices is not None)
        return {
            "id": job.id,
            "operation": job.operation,
            "object": job.sobject,
            "createdById": job.user_id,
            "createdDate": _stamp(job.created),
            "systemModstamp": _stamp(job.created),
            "state": job.state,
            "concurrencyMode": "Parallel",
            "contentType": job.content_type,
            "numberBatchesQueued": count("Queued"),
            "numberBatchesInProgress": 0,
            "numberBatchesCompleted": count("Completed"),
            "numberBatchesFailed": count("Failed"),
            "numberBatchesTotal": len(batches),
            "numberRecordsProcessed": processed,
            "numberRetries": 0,
            "apiVersion": float(job.version),
            "numberRecordsFailed": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }

    @staticmethod
    def batch_info(batch: Batch) -> dict[str, Any]:
        body: dict[str, Any] = {"id": batch.id, "jobId": batch.job_id, "state": batch.state}
        if batch.message and batch.state in {"Failed", "NotProcessed"}:
            body["stateMessage"] = batch.message
        body.update(
            {
                "createdDate": _stamp(batch.created),
                "systemModstamp": _stamp(batch.created),
                "numberRecordsProcessed": 0
                if batch.indices is None or batch.state == "Queued"
                else len(batch.indices),
                "numberRecordsFailed": 0,
                "totalProcessingTime": 0,
                "apiActiveProcessingTime": 0,
                "apexProcessingTime": 0,
            }
        )
        return body


def _chunk_size(header: str | None) -> int | None:
    if header is None or header.strip().lower() in {"", "false"}:
        return None
    size = DEFAULT_CHUNK
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "chunksize":
            if not value.strip().isdigit() or not 1 <= int(value) <= MAX_CHUNK:
                raise AsyncApiError(
                    400, "InvalidJob", f"Invalid chunkSize: {value} (1 to {MAX_CHUNK})"
                )
            size = int(value)
    return size


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _epoch_dates(planned: Plan, record: dict[str, Any]) -> dict[str, Any]:
    """Bulk 1.0 JSON gives dates and date-times as epoch milliseconds (top-level fields)."""
    for item in planned.selected:
        if len(item.names) != 1 or item.field.type not in {"date", "datetime"}:
            continue
        value = record.get(item.names[0])
        if isinstance(value, str):
            text = value if item.field.type == "datetime" else f"{value}T00:00:00.000+0000"
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
            record[item.names[0]] = int(moment.timestamp() * 1000)
    return record


# --- HTTP ----------------------------------------------------------------------------------


def _xml(root: str, body: Mapping[str, Any]) -> bytes:
    element = ElementTree.Element(root, xmlns=NAMESPACE)
    for key, value in body.items():
        child = ElementTree.SubElement(element, key)
        child.text = str(value).lower() if isinstance(value, bool) else str(value)
    text = ElementTree.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>{text}'.encode()


def _wants_json(request: Request, job: Job1 | None = None) -> bool:
    kinds = f"{request.headers.get('content-type', '')} {request.headers.get('accept', '')}"
    if "json" in kinds.lower():
        return True
    return job is not None and job.content_type == "JSON" and "xml" not in kinds.lower()


def _answer(
    request: Request, root: str, body: Mapping[str, Any], job: Job1 | None, status: int = 200
) -> Response:
    if _wants_json(request, job):
        return Response(json.dumps(body), status_code=status, media_type=JSON_TYPE)
    return Response(_xml(root, body), status_code=status, media_type=XML_TYPE)


def _error(request: Request, error: AsyncApiError) -> Response:
    body = {"exceptionCode": error.code, "exceptionMessage": error.message}
    return _answer(request, "error", body, None, error.status)


def _parse_job(request_body: bytes, is_json: bool) -> dict[str, Any]:
    try:
        if is_json:
            value = json.loads(request_body or b"{}")
            if not isinstance(value, dict):
                raise ValueError("not an object")
            return value
        text = request_body.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise AsyncApiError(400, "InvalidJob", f"Unable to parse job: {exc}") from exc
    # A jobInfo holds flat elements only: read them without an XML parser (no entities).
    found = dict(_XML_ELEMENT.findall(text))
    if "<jobInfo" not in text or not found:
        raise AsyncApiError(400, "InvalidJob", "Unable to parse job: expected a jobInfo element")
    return found


_JOBS: WeakKeyDictionary[Org, Bulk1Jobs] = WeakKeyDictionary()


def bulk1_routes(org: Org) -> list[BaseRoute]:
    jobs = _JOBS.setdefault(org, Bulk1Jobs(org))

    def user_of(request: Request) -> User:
        token = request.headers.get("x-sfdc-session")
        header = f"Bearer {token}" if token else request.headers.get("authorization")
        try:
            user = org.authenticate(header)
            org.begin_api_call(user)
        except SalesforceApiError as error:
            if error.status == 401:
                raise AsyncApiError(400, "InvalidSessionId", "Invalid session id") from error
            raise AsyncApiError(error.status, error.error_code, error.message) from error
        return user

    def version_of(request: Request) -> str:
        raw = str(request.path_params["version"])
        number = raw.removeprefix("v").removesuffix(".0")
        if not number.isdigit():
            raise AsyncApiError(400, "InvalidVersion", f"Invalid version: {raw}")
        return f"{int(number)}.0"

    async def collection(request: Request) -> Response:
        try:
            user = user_of(request)
            body = _parse_job(await request.body(), _wants_json(request))
            job = jobs.create(
                user,
                body,
                version_of(request),
                request.headers.get("sforce-enable-pkchunking"),
            )
            return _answer(request, "jobInfo", jobs.info(job), job, 201)
        except AsyncApiError as error:
            return _error(request, error)

    async def one(request: Request) -> Response:
        try:
            user = user_of(request)
            job_id = str(request.path_params["job_id"])
            if request.method == "POST":
                job = jobs.job(user, job_id)
                body = _parse_job(await request.body(), _wants_json(request, job))
                job = jobs.set_state(user, job_id, str(body.get("state", "")))
            else:
                job = jobs.job(user, job_id)
            return _answer(request, "jobInfo", jobs.info(job), job)
        except AsyncApiError as error:
            return _error(request, error)

    async def batches(request: Request) -> Response:
        try:
            user = user_of(request)
            job = jobs.job(user, str(request.path_params["job_id"]))
            if request.method == "POST":
                soql = (await request.body()).decode("utf-8", errors="replace")
                batch = jobs.add_batch(user, job.id, soql)
                shown = Bulk1Jobs.batch_info(batch)
                if batch.state == "NotProcessed" or batch.state == "Failed":
                    # Added in state Queued; what happened shows on the next read.
                    shown = {**shown, "state": "Queued"}
                    shown.pop("stateMessage", None)
                return _answer(request, "batchInfo", shown, job, 201)
            listed = [Bulk1Jobs.batch_info(jobs.batch(user, job.id, b)) for b in list(job.batches)]
            if _wants_json(request, job):
                return _answer(request, "batchInfoList", {"batchInfo": listed}, job)
            element = ElementTree.Element("batchInfoList", xmlns=NAMESPACE)
            for item in listed:
                child = ElementTree.SubElement(element, "batchInfo")
                for key, value in item.items():
                    ElementTree.SubElement(child, key).text = str(value)
            text = ElementTree.tostring(element, encoding="unicode")
            xml = f'<?xml version="1.0" encoding="UTF-8"?>{text}'
            return Response(xml.encode(), media_type=XML_TYPE)
        except AsyncApiError as error:
            return _error(request, error)

    async def batch(request: Request) -> Response:
        try:
            user = user_of(request)
            job = jobs.job(user, str(request.path_params["job_id"]))
            found = jobs.batch(user, job.id, str(request.path_params["batch_id"]))
            return _answer(request, "batchInfo", Bulk1Jobs.batch_info(found), job)
        except AsyncApiError as error:
            return _error(request, error)

    async def result_list(request: Request) -> Response:
        try:
            user = user_of(request)
            job = jobs.job(user, str(request.path_params["job_id"]))
            ids = jobs.result_ids(user, job.id, str(request.path_params["batch_id"]))
            if _wants_json(request, job):
                return Response(json.dumps(ids), media_type=JSON_TYPE)
            results = "".join(f"<result>{i}</result>" for i in ids)
            xml = f'<result-list xmlns="{NAMESPACE}">{results}</result-list>'
            return Response(xml.encode(), media_type=XML_TYPE)
        except AsyncApiError as error:
            return _error(request, error)

    async def result(request: Request) -> Response:
        try:
            user = user_of(request)
            job = jobs.job(user, str(request.path_params["job_id"]))
            content = jobs.result(
                user,
                job.id,
                str(request.path_params["batch_id"]),
                str(request.path_params["result_id"]),
            )
            kind = "text/csv" if job.content_type == "CSV" else JSON_TYPE
            return Response(content, media_type=f"{kind};charset=UTF-8")
        except AsyncApiError as error:
            return _error(request, error)

    return [
        Route(ROOT, collection, methods=["POST"]),
        Route(ROOT + "/{job_id}", one, methods=["GET", "POST"]),
        Route(ROOT + "/{job_id}/batch", batches, methods=["GET", "POST"]),
        Route(ROOT + "/{job_id}/batch/{batch_id}", batch, methods=["GET"]),
        Route(ROOT + "/{job_id}/batch/{batch_id}/result", result_list, methods=["GET"]),
        Route(ROOT + "/{job_id}/batch/{batch_id}/result/{result_id}", result, methods=["GET"]),
    ]
