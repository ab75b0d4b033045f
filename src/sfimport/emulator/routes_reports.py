"""Reports and Dashboards API routes under /services/data/vXX.X/analytics/reports: translate
HTTP to the report runner in `reports`."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator import report_run, reports
from sfimport.emulator.api_call import api_call
from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.org import Org, User
from sfimport.emulator.report_instances import ReportInstances
from sfimport.emulator.responses import json_response

ROOT = "/services/data/{version}/analytics/reports"


async def _metadata(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if not raw:
        return None
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc
    metadata = body.get("reportMetadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        raise SalesforceApiError(400, "BAD_REQUEST", "The request body must hold reportMetadata.")
    return metadata


def report_routes(org: Org, instances: ReportInstances) -> list[BaseRoute]:
    """The recent list, describe, synchronous runs (GET, or POST with overrides) and
    asynchronous runs (instances)."""

    async def recent(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            return json_response(reports.recent_reports(org, user, version))

        return await api_call(org, request, work)

    async def describe(request: Request) -> Response:
        report_id = str(request.path_params["report_id"])

        async def work(user: User, version: str) -> Response:
            return json_response(reports.describe_report(org, user, report_id, version))

        return await api_call(org, request, work)

    async def run(request: Request) -> Response:
        report_id = str(request.path_params["report_id"])
        # Synchronous runs leave detail rows out unless includeDetails=true.
        details = request.query_params.get("includeDetails", "false").lower() == "true"

        async def work(user: User, version: str) -> Response:
            overrides = await _metadata(request) if request.method == "POST" else None
            body = await run_in_threadpool(
                report_run.run_report, org, user, report_id, overrides, details, version
            )
            return json_response(body)

        return await api_call(org, request, work)

    async def instance_list(request: Request) -> Response:
        report_id = str(request.path_params["report_id"])
        details = request.query_params.get("includeDetails", "false").lower() == "true"

        async def work(user: User, version: str) -> Response:
            if request.method == "POST":
                overrides = await _metadata(request)
                created = instances.create(user, report_id, overrides, details, version)
                return json_response(created)
            return json_response(instances.list(user, report_id))

        return await api_call(org, request, work)

    async def instance(request: Request) -> Response:
        report_id = str(request.path_params["report_id"])
        instance_id = str(request.path_params["instance_id"])

        async def work(user: User, version: str) -> Response:
            if request.method == "DELETE":
                instances.delete(user, report_id, instance_id)
                return Response(status_code=204)
            body = await run_in_threadpool(instances.result, user, report_id, instance_id)
            return json_response(body)

        return await api_call(org, request, work)

    return [
        Route(ROOT, recent, methods=["GET"]),
        Route(ROOT + "/{report_id}/instances", instance_list, methods=["GET", "POST"]),
        Route(ROOT + "/{report_id}/instances/{instance_id}", instance, methods=["GET", "DELETE"]),
        Route(ROOT + "/{report_id}/describe", describe, methods=["GET"]),
        Route(ROOT + "/{report_id}", run, methods=["GET", "POST"]),
    ]
