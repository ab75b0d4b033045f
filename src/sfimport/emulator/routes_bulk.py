"""Bulk API 2.0 routes under /services/data/vXX.X/jobs/query: translate HTTP to `BulkJobs`."""

from __future__ import annotations

import gzip
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.api_call import api_call
from sfimport.emulator.bulk import BulkJobs
from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.org import Org, User
from sfimport.emulator.responses import json_response

ROOT = "/services/data/{version}/jobs/query"


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        value = json.loads(raw or b"{}")
    except ValueError as exc:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc
    if not isinstance(value, dict):
        raise SalesforceApiError(
            400, "JSON_PARSER_ERROR", "Cannot deserialize instance of job from array value"
        )
    return value


def bulk_routes(org: Org, jobs: BulkJobs) -> list[BaseRoute]:
    """Create, list, inspect, abort, delete and read the results of query jobs."""

    async def collection(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            if request.method == "POST":
                return json_response(jobs.create(user, await _body(request), version))
            return json_response(jobs.list(user))

        return await api_call(org, request, work)

    async def one(request: Request) -> Response:
        job_id = str(request.path_params["job_id"])

        async def work(user: User, version: str) -> Response:
            if request.method == "PATCH":
                return json_response(jobs.abort(user, job_id, await _body(request)))
            if request.method == "DELETE":
                jobs.delete(user, job_id)
                return Response(status_code=204)
            return json_response(jobs.info(user, job_id))

        return await api_call(org, request, work)

    async def results(request: Request) -> Response:
        job_id = str(request.path_params["job_id"])
        params = request.query_params
        wants_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()

        async def work(user: User, version: str) -> Response:
            page = await run_in_threadpool(
                jobs.results, user, job_id, version, params.get("locator"), params.get("maxRecords")
            )
            headers = {
                "Content-Type": "text/csv",
                "Sforce-Locator": page.locator,
                "Sforce-NumberOfRecords": str(page.records),
            }
            body = page.body
            if wants_gzip:
                # Salesforce compresses result pages when asked; level 1 keeps it cheap.
                body = await run_in_threadpool(gzip.compress, body, 1)
                headers["Content-Encoding"] = "gzip"
            return Response(body, headers=headers)

        return await api_call(org, request, work)

    async def result_pages(request: Request) -> Response:
        job_id = str(request.path_params["job_id"])
        locator = request.query_params.get("locator")

        async def work(user: User, version: str) -> Response:
            return json_response(jobs.result_pages(user, job_id, version, locator))

        return await api_call(org, request, work)

    return [
        Route(ROOT, collection, methods=["GET", "POST"]),
        Route(ROOT + "/{job_id}", one, methods=["GET", "PATCH", "DELETE"]),
        Route(ROOT + "/{job_id}/results", results, methods=["GET"]),
        Route(ROOT + "/{job_id}/resultPages", result_pages, methods=["GET"]),
    ]
