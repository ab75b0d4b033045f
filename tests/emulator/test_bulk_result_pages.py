"""Bulk API 2.0 parallel results (v58.0+): GET .../resultPages hands out up to five result
URLs (each one page, addressed by a locator) and the URL of the next five; read together they
give exactly the rows that following Sforce-Locator gives."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.emulator.conftest import Http, error_of, fresh_org
from tests.emulator.test_bulk import JOBS, create, pages

PAGE = 500


def _complete_job(http: Http, token: str, soql: str, version: str = "v62.0") -> str:
    http.post("/__emulator__/bulk", json={"delay_seconds": 0, "default_page_rows": PAGE})
    jobs = JOBS.replace("v62.0", version)
    response = http.post(
        jobs, json={"operation": "query", "query": soql, "contentType": "CSV"}, token=token
    )
    assert response.status_code == 200, response.text
    job_id = str(response.json()["id"])
    info = http.get(f"{jobs}/{job_id}", token=token).json()
    assert info["state"] == "JobComplete", info
    return job_id


def test_result_pages_cover_the_results_five_urls_at_a_time() -> None:
    http = Http(fresh_org())
    token = http.token()
    soql = "SELECT Id, LastName FROM Contact ORDER BY Id"
    job_id = _complete_job(http, token, soql)
    sets: list[dict[str, Any]] = []
    url: str | None = f"{JOBS}/{job_id}/resultPages"
    while url is not None:
        response = http.get(url, token=token)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"resultPages", "nextRecordsUrl", "done"}
        sets.append(body)
        url = body["nextRecordsUrl"]
        assert body["done"] is (url is None)
    total = http.query("SELECT COUNT() FROM Contact", token).json()["totalSize"]
    expected_pages = -(-total // PAGE)
    assert [len(s["resultPages"]) for s in sets] == [5] * (expected_pages // 5) + (
        [expected_pages % 5] if expected_pages % 5 else []
    )
    parallel: list[list[str]] = []
    for entry in (page for s in sets for page in s["resultPages"]):
        assert set(entry) == {"resultUrl"}
        assert entry["resultUrl"].startswith(f"{JOBS}/{job_id}/results?locator=")
        page = http.get(entry["resultUrl"], token=token)
        assert page.status_code == 200
        rows = list(csv.reader(io.StringIO(page.text)))
        assert rows[0] == ["Id", "LastName"]
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(rows) - 1 <= PAGE
        parallel.extend(rows[1:])
    sequential = [row for rows, _ in pages(http, token, job_id) for row in rows[1:]]
    assert parallel == sequential
    assert len(parallel) == total


def test_result_pages_exist_from_v58_and_need_a_complete_job() -> None:
    http = Http(fresh_org())
    token = http.token()
    old = _complete_job(http, token, "SELECT Id FROM Account", version="v57.0")
    response = http.get(f"{JOBS.replace('v62.0', 'v57.0')}/{old}/resultPages", token=token)
    assert error_of(response)[:2] == (404, "NOT_FOUND")
    http.post("/__emulator__/bulk", json={"delay_seconds": 30})
    running = create(http, token, "SELECT Id FROM Account").json()["id"]
    status, code, message = error_of(http.get(f"{JOBS}/{running}/resultPages", token=token))
    assert (status, code) == (400, "INVALIDJOBSTATE")
    assert "Current state: " in message


def test_an_empty_result_has_one_empty_page() -> None:
    http = Http(fresh_org())
    token = http.token()
    job_id = _complete_job(http, token, "SELECT Id FROM Account WHERE Name = 'No such name'")
    body = http.get(f"{JOBS}/{job_id}/resultPages", token=token).json()
    assert body["done"] is True and body["nextRecordsUrl"] is None
    (only,) = body["resultPages"]
    page = http.get(only["resultUrl"], token=token)
    assert page.text.strip() == '"Id"'
    assert page.headers["Sforce-Locator"] == "null"
