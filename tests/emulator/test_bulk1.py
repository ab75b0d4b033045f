"""Bulk API 1.0 query jobs compared with the recorded lifecycle (shared/recordings/bulk1):
the same requests get the same statuses, content types and element names, in order."""

from __future__ import annotations

import re
from typing import Any

import pyarrow.compute as pc
import yaml

from tests.emulator.conftest import Http, fresh_org
from tests.salesforce.recordings import recordings_dir

RECORDING = recordings_dir() / "bulk1" / "snowfakery__bulk1_query_job_lifecycle.yaml"
ELEMENT = re.compile(r"<(\w+)>")


def _names(xml: str) -> list[str]:
    return ELEMENT.findall(xml)


def _interactions() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(RECORDING.read_text())
    return [i for i in loaded["interactions"] if "/services/async/" in i["request"]["uri"]]


def test_the_recorded_bulk1_lifecycle_replays_with_the_same_shapes() -> None:
    http = Http(fresh_org())
    token = http.token()
    ids: dict[str, str] = {}
    for interaction in _interactions():
        request, recorded = interaction["request"], interaction["response"]
        path = "/" + request["uri"].split("/", 3)[3].replace("vxx.0", "v62.0")
        for real, mine in ids.items():
            path = path.replace(real, mine)
        body = request.get("body") or None
        answer = http.request(
            request["method"],
            path,
            headers={"X-SFDC-Session": token, "Content-Type": "application/xml; charset=UTF-8"},
            content=body,
        )
        expected = recorded["body"]["string"]
        assert answer.status_code == recorded["status"]["code"], (path, answer.text)
        assert answer.headers["content-type"].startswith("application/xml")
        mine_names, real_names = _names(answer.text), _names(expected)
        # The same elements in the same order (the emulator may add none the org lacks).
        assert [n for n in real_names if n in mine_names] == [
            n for n in mine_names if n in real_names
        ]
        assert set(mine_names) >= set(real_names) - {"result"}, (
            path,
            set(real_names) - set(mine_names),
        )
        # Remember the recorded ids -> the emulator's, for the next requests' paths.
        for tag in ("id", "result"):
            real_id = re.search(rf"<{tag}>(\w+)</{tag}>", expected)
            my_id = re.search(rf"<{tag}>(\w+)</{tag}>", answer.text)
            if real_id and my_id and tag == "id":
                ids.setdefault(real_id.group(1), my_id.group(1))
    assert len(ids) == 2  # the job and the batch


def test_csv_results_and_pk_chunking() -> None:
    org = fresh_org()
    http = Http(org)
    token = http.token()
    headers = {
        "X-SFDC-Session": token,
        "Content-Type": "application/json",
        "Sforce-Enable-PKChunking": "chunkSize=1000",
    }
    job = http.post(
        "/services/async/62.0/job",
        headers=headers,
        json={"operation": "query", "object": "Contact", "contentType": "CSV"},
    ).json()
    assert job["state"] == "Open" and job["contentType"] == "CSV"
    added = http.post(
        f"/services/async/62.0/job/{job['id']}/batch",
        headers={**headers, "Content-Type": "text/csv"},
        content=b"SELECT Id, LastName FROM Contact",
    )
    assert added.status_code == 201
    batches = http.get(f"/services/async/62.0/job/{job['id']}/batch", headers=headers).json()[
        "batchInfo"
    ]
    assert batches[0]["state"] == "NotProcessed"
    chunks = batches[1:]
    table = org.tables["Contact"]
    live = table.filter(pc.invert(table["IsDeleted"])).num_rows
    assert len(chunks) == -(-live // 1000)
    assert all(c["state"] == "Completed" for c in chunks)
    seen: list[str] = []
    for chunk in chunks:
        base = f"/services/async/62.0/job/{job['id']}/batch/{chunk['id']}/result"
        (result_id,) = http.get(base, headers=headers).json()
        csv = http.get(f"{base}/{result_id}", headers=headers)
        assert csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.splitlines()
        assert lines[0] == '"Id","LastName"'
        seen += [line.split(",")[0].strip('"') for line in lines[1:]]
    assert len(seen) == len(set(seen)) == live
    assert seen == sorted(seen)  # chunks follow the Id order


def test_bulk1_errors_use_the_async_error_body() -> None:
    http = Http(fresh_org())
    answer = http.post(
        "/services/async/62.0/job",
        headers={"X-SFDC-Session": "nope", "Content-Type": "application/json"},
        json={"operation": "query", "object": "Account"},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "exceptionCode": "InvalidSessionId",
        "exceptionMessage": "Invalid session id",
    }
    token = http.token()
    insert = http.post(
        "/services/async/62.0/job",
        headers={"X-SFDC-Session": token},
        content=b'<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>insert</operation><object>Account</object></jobInfo>',
    )
    assert insert.status_code == 400 and "<exceptionCode>InvalidJob</exceptionCode>" in insert.text
