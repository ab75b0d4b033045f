"""Reports API calls: list reports (SOQL on Report, and the recently viewed list), describe,
and run synchronously or asynchronously (report instances) with ``reportMetadata`` overrides.

Every analytics call needs the user's Run Reports permission (403 otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from sfimport.errors import SalesforceError
from sfimport.salesforce.wire import (
    ReportDescribe,
    ReportInstance,
    ReportListItem,
    ReportMetadata,
    ReportRecord,
    ReportRun,
)

if TYPE_CHECKING:
    from sfimport.salesforce.client import SalesforceClient

#: The Report sObject lists every report the user can see; /analytics/reports only the
#: recently viewed ones.
REPORT_LIST_SOQL = (
    "SELECT Id, Name, DeveloperName, FolderName, Format, Description, LastRunDate, "
    "LastModifiedDate FROM Report ORDER BY FolderName, Name"
)


class ReportsApi:
    """The Reports API calls of one :class:`~sfimport.salesforce.client.SalesforceClient`."""

    def __init__(self, client: SalesforceClient) -> None:
        self._client = client

    def list_reports(self) -> Iterator[ReportRecord]:
        """Every report the user can see, with its folder, via SOQL on ``Report``."""
        for record in self._client.rest.records(REPORT_LIST_SOQL):
            yield cast(ReportRecord, record)

    def recent(self) -> list[ReportListItem]:
        """``GET /analytics/reports``: up to 200 recently viewed reports."""
        body = self._client.get_json(self._client.data_path("analytics/reports"))
        if not isinstance(body, list):
            raise SalesforceError("Salesforce sent an unexpected report list.")
        return cast(list[ReportListItem], body)

    def describe(self, report_id: str) -> ReportDescribe:
        """``GET /analytics/reports/{id}/describe``: metadata, column info, report type."""
        body = self._client.get_json(self._path(report_id, "/describe"))
        return cast(ReportDescribe, _report_body(body, "reportMetadata"))

    def run(
        self,
        report_id: str,
        *,
        metadata: ReportMetadata | None = None,
        include_details: bool = True,
    ) -> ReportRun:
        """Run a report synchronously; ``metadata`` overrides filters etc. without saving.

        At most 2,000 detail rows come back; ``allData`` is false when rows were cut.
        """
        path = self._path(report_id)
        params: dict[str, str | int] = {"includeDetails": "true" if include_details else "false"}
        if metadata is None:
            body = self._client.get_json(path, params=params, exact_numbers=True)
        else:
            body = self._client.send_json(
                "POST", path, {"reportMetadata": metadata}, params=params, exact_numbers=True
            )
        return cast(ReportRun, _report_body(body, "factMap"))

    def start_run(
        self,
        report_id: str,
        *,
        metadata: ReportMetadata | None = None,
        include_details: bool = True,
    ) -> ReportInstance:
        """``POST /analytics/reports/{id}/instances``: run the report asynchronously (slow
        reports time out synchronously); poll :meth:`instance` for its results."""
        path = self._path(report_id, "/instances")
        params: dict[str, str | int] = {"includeDetails": "true" if include_details else "false"}
        body = {"reportMetadata": metadata} if metadata is not None else None
        answer = self._client.send_json("POST", path, body, params=params)
        if not isinstance(answer, dict) or "id" not in answer or "status" not in answer:
            raise SalesforceError("Salesforce sent an unexpected report instance.")
        return cast(ReportInstance, answer)

    def instance(self, report_id: str, instance_id: str) -> tuple[ReportInstance, ReportRun | None]:
        """``GET .../instances/{instanceId}``: the instance's status, and its run once the
        status is ``Success``."""
        path = self._path(report_id, f"/instances/{quote(instance_id, safe='')}")
        # Money exactly as Salesforce wrote it: amounts parsed as decimals, not binary floats.
        body = self._client.get_json(path, exact_numbers=True)
        attributes = body.get("attributes") if isinstance(body, dict) else None
        if not isinstance(attributes, dict) or "status" not in attributes:
            raise SalesforceError("Salesforce sent an unexpected report instance.")
        status = cast(ReportInstance, attributes)
        if status["status"] != "Success":
            return status, None
        return status, cast(ReportRun, _report_body(body, "factMap"))

    def _path(self, report_id: str, suffix: str = "") -> str:
        return self._client.data_path(f"analytics/reports/{quote(report_id, safe='')}{suffix}")


def _report_body(body: object, required: str) -> dict[str, object]:
    if not isinstance(body, dict) or required not in body or "reportMetadata" not in body:
        raise SalesforceError("Salesforce sent an unexpected Reports API answer.")
    return body
