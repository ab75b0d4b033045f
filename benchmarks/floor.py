"""The floor: the fastest a client could read one object through Bulk API 2.0, written
independently of the product (Python's standard library for HTTP and gzip, pyarrow's CSV reader
for parsing, nothing of sfimport imported) so that it cannot share the product's mistakes.

It does what any import has to do at the least: describe the object, create one query job over
its fields, poll until it completes, download every result page (gzip, ``maxRecords`` pages)
and parse each page into Arrow. Nothing is kept. The benchmark times it as a whole process,
start-up included, exactly like the import it is compared with.

    python benchmarks/floor.py BASE_URL ACCESS_TOKEN Account RESULT.json
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
import urllib.request
import zlib
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

API = "v62.0"
PAGE_ROWS = 100_000
#: Field types a Bulk query cannot select (compound fields) or that no import keeps.
UNSELECTABLE = {"address", "location", "base64", "complexvalue"}


class Org:
    """Bearer-token calls to one org over plain urllib (keep-alive is not needed for ~20
    requests; each page is megabytes)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + f"/services/data/{API}"
        self.token = token

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, gzip: bool = False
    ) -> tuple[bytes, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if gzip:
            headers["Accept-Encoding"] = "gzip"
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for key, value in headers.items():
            request.add_header(key, value)
        with urllib.request.urlopen(request, timeout=600) as response:
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if answer_headers.get("content-encoding") == "gzip":
                inflate = zlib.decompressobj(wbits=31)
                parts = []
                while chunk := response.read(1 << 20):
                    parts.append(inflate.decompress(chunk))
                parts.append(inflate.flush())
                return b"".join(parts), answer_headers
            return response.read(), answer_headers

    def json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return json.loads(self.call(method, path, body)[0])


def main(argv: list[str]) -> int:
    base_url, token, sobject, result_path = argv
    started = time.perf_counter()
    org = Org(base_url, token)
    fields = [
        f["name"]
        for f in org.json("GET", f"/sobjects/{sobject}/describe")["fields"]
        if f["type"] not in UNSELECTABLE
    ]
    job = org.json(
        "POST",
        "/jobs/query",
        {
            "operation": "query",
            "query": f"SELECT {', '.join(fields)} FROM {sobject}",
            "contentType": "CSV",
            "lineEnding": "LF",
        },
    )
    while job["state"] not in ("JobComplete", "Failed", "Aborted"):
        time.sleep(0.05)
        job = org.json("GET", f"/jobs/query/{job['id']}")
    if job["state"] != "JobComplete":
        raise SystemExit(f"the Bulk job ended {job['state']}")
    parse = pcsv.ParseOptions(newlines_in_values=True)
    convert = pcsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=True)
    rows = pages = wire_bytes = 0
    locator = ""
    while True:
        query = {"maxRecords": str(PAGE_ROWS)}
        if locator:
            query["locator"] = locator
        path = f"/jobs/query/{job['id']}/results?{urllib.parse.urlencode(query)}"
        body, headers = org.call("GET", path, gzip=True)
        wire_bytes += len(body)
        table = pcsv.read_csv(pa.py_buffer(body), parse_options=parse, convert_options=convert)
        rows += table.num_rows
        pages += 1
        del table, body
        locator = headers.get("sforce-locator", "null")
        if not locator or locator == "null":
            break
    with open(result_path, "w") as out:
        json.dump(
            {
                "rows": rows,
                "columns": len(fields),
                "pages": pages,
                "csv_bytes": wire_bytes,
                "seconds_inside": time.perf_counter() - started,
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
