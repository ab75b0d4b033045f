"""A tiny in-memory org behind httpx2.MockTransport: describe, COUNT() and paged REST queries
of one object, enough to drive the engine before (and besides) the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from sfimport.salesforce.client import RetryPolicy, SalesforceClient

INSTANCE = "https://fake.my.salesforce.com"

FIELDS: list[dict[str, Any]] = [
    {"name": "Id", "label": "Contact ID", "type": "id", "soapType": "tns:ID"},
    {"name": "LastName", "label": "Last Name", "type": "string"},
    {"name": "Email", "label": "Email", "type": "email"},
    {"name": "Note", "label": "Note", "type": "string"},
    {"name": "Score", "label": "Score", "type": "double", "soapType": "xsd:double"},
    {"name": "Active", "label": "Active", "type": "boolean", "soapType": "xsd:boolean"},
    {"name": "Photo", "label": "Photo", "type": "base64"},
    {"name": "SystemModstamp", "label": "System Modstamp", "type": "datetime"},
]


def make_records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "Id": f"003{i:015d}",
            "LastName": f"Secretname{i}",
            "Email": f"person{i}@secret.example",
            "Note": "NA" if i % 2 else None,
            "Score": i * 1.5,
            "Active": i % 3 == 0,
            "SystemModstamp": datetime(2024, 1 + i % 12, 1, 12, 0, tzinfo=UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000+0000"
            ),
        }
        for i in range(count)
    ]


class FakeOrg:
    def __init__(self, records: list[dict[str, Any]], page_size: int = 3) -> None:
        self.records = records
        self.page_size = page_size
        self.queries: list[str] = []
        self.fail_query: Callable[[str], bool] = lambda soql: False
        self.bulk_refuses = False
        self.jobs: dict[str, str] = {}
        self.deleted_jobs: list[str] = []

    def _matching(self, soql: str) -> list[dict[str, Any]]:
        match = re.search(r"SystemModstamp >= (\S+)", soql)
        if not match:
            return self.records
        start = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        return [
            r
            for r in self.records
            if datetime.strptime(r["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.000%z") >= start
        ]

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        headers = {"Sforce-Limit-Info": "api-usage=10/15000", "Content-Type": "application/json"}
        path = urlsplit(str(request.url)).path
        if "/jobs/query" in path:
            return self._bulk(request, path, headers)
        if path.endswith("/sobjects/Contact/describe"):
            return httpx2.Response(200, headers=headers, json={"name": "Contact", "fields": FIELDS})
        if "/query/" in path and path.rsplit("/", 1)[-1].startswith("01g"):
            soql, _, offset = path.rsplit("/", 1)[-1].partition("-")
            return self._page(self.queries[int(soql[3:])], int(offset), headers)
        if path.endswith("/query"):
            soql = parse_qs(urlsplit(str(request.url)).query)["q"][0]
            if self.fail_query(soql):
                body = [
                    {
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                        "message": "TotalRequests Limit exceeded.",
                    }
                ]
                return httpx2.Response(403, headers=headers, json=body)
            if soql.startswith("SELECT COUNT()"):
                body = {"totalSize": len(self._matching(soql)), "done": True, "records": []}
                return httpx2.Response(200, headers=headers, json=body)
            self.queries.append(soql)
            return self._page(soql, 0, headers)
        return httpx2.Response(404, json=[{"errorCode": "NOT_FOUND", "message": "nope"}])

    def _bulk(self, request: httpx2.Request, path: str, headers: dict[str, str]) -> httpx2.Response:
        if request.method == "POST":
            if self.bulk_refuses:
                body = [
                    {
                        "errorCode": "INVALIDENTITY",
                        "message": "Entity 'Contact' is not supported by the Bulk API.",
                    }
                ]
                return httpx2.Response(400, headers=headers, json=body)
            job_id = f"750{len(self.jobs):015d}"
            self.jobs[job_id] = json.loads(request.content)["query"]
            return httpx2.Response(200, headers=headers, json=self._job(job_id, "UploadComplete"))
        job_id = path.split("/jobs/query/", 1)[1].split("/")[0]
        if request.method == "DELETE":
            self.deleted_jobs.append(job_id)
            return httpx2.Response(204)
        if path.endswith("/results"):
            return self._csv_page(request, self.jobs[job_id])
        return httpx2.Response(200, headers=headers, json=self._job(job_id, "JobComplete"))

    def _job(self, job_id: str, state: str) -> dict[str, Any]:
        return {
            "id": job_id,
            "operation": "query",
            "object": "Contact",
            "state": state,
            "apiVersion": 62.0,
        }

    def _csv_page(self, request: httpx2.Request, soql: str) -> httpx2.Response:
        fields = soql.split("SELECT ", 1)[1].split(" FROM", 1)[0].split(", ")
        rows = self._matching(soql)
        offset = int(request.url.params.get("locator") or 0)
        page = rows[offset : offset + self.page_size]

        def text(value: Any) -> str:
            if value is None:
                return ""
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, str) and value.endswith(".000+0000"):
                return value.replace("+0000", "Z")
            return str(value)

        lines = [",".join(f'"{f}"' for f in fields)]
        lines += [
            ",".join('"' + text(r.get(f)).replace('"', '""') + '"' for f in fields) for r in page
        ]
        more = offset + self.page_size < len(rows)
        headers = {
            "Content-Type": "text/csv",
            "Sforce-Locator": str(offset + self.page_size) if more else "null",
            "Sforce-NumberOfRecords": str(len(page)),
        }
        return httpx2.Response(200, headers=headers, content=("\n".join(lines) + "\n").encode())

    def _page(self, soql: str, offset: int, headers: dict[str, str]) -> httpx2.Response:
        fields = soql.split("SELECT ", 1)[1].split(" FROM", 1)[0].split(", ")
        rows = self._matching(soql)
        page = rows[offset : offset + self.page_size]
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": offset + self.page_size >= len(rows),
            "records": [
                {"attributes": {"type": "Contact"}, **{f: r.get(f) for f in fields}} for r in page
            ],
        }
        if not body["done"]:
            index = self.queries.index(soql)
            body["nextRecordsUrl"] = (
                f"/services/data/v62.0/query/01g{index:015d}-{offset + self.page_size}"
            )
        return httpx2.Response(200, headers=headers, content=json.dumps(body).encode())


class BearerAuth(httpx2.Auth):
    def auth_flow(self, request: httpx2.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = "Bearer token"
        yield request


def client_for(org: FakeOrg) -> Callable[[str], SalesforceClient]:
    def factory(name: str) -> SalesforceClient:
        http = httpx2.Client(transport=httpx2.MockTransport(org.handler))
        return SalesforceClient(
            INSTANCE, BearerAuth(), http=http, retry=RetryPolicy(attempts=1), sleep=lambda s: None
        )

    return factory
