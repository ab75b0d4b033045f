"""How fast the emulator generates a large org and serves Bulk API 2.0 result pages.

Generation is timed in this process. Serving runs `sfimport emulator --scale ...` in a
subprocess (uvicorn, h11) and downloads every result page of one queryAll job over loopback
with httpx2, discarding the bytes; it prints MB/s and rows/s, without and with gzip.

    .venv/bin/python benchmarks/emulator_serving.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import httpx2

from sfimport.emulator import build_demo_org
from sfimport.emulator.schema import COMPOUND_TYPES

ADMIN = "admin@sfimport-demo.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(base: str, process: subprocess.Popen[bytes], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the emulator exited before serving")
        try:
            httpx2.get(f"{base}/services/data/", timeout=1.0)
            return
        except httpx2.TransportError:
            time.sleep(0.2)
    raise SystemExit("the emulator did not start")


def _download(client: httpx2.Client, path: str, gzip: bool, max_records: int) -> tuple[int, int]:
    """(bytes on the wire after decoding, rows) of every page."""
    headers = {"Accept-Encoding": "gzip" if gzip else "identity", "Accept": "text/csv"}
    total_bytes = rows = 0
    locator: str | None = None
    while True:
        params: dict[str, str | int] = {"maxRecords": max_records}
        if locator:
            params["locator"] = locator
        with client.stream("GET", path, params=params, headers=headers) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                total_bytes += len(chunk)
        rows += int(response.headers["Sforce-NumberOfRecords"])
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            return total_bytes, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--max-records", type=int, default=50_000)
    args = parser.parse_args()

    started = time.perf_counter()
    org = build_demo_org(scale={"Account": args.rows})
    generation = time.perf_counter() - started
    table = org.tables["Account"]
    print(
        f"generation: {args.rows:,} Account rows x {table.num_columns} columns in "
        f"{generation:.2f} s (whole demo org included)"
    )
    fields = [f.name for f in org.objects["account"].fields if f.type not in COMPOUND_TYPES]
    del org, table

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        os.path.join(os.path.dirname(sys.executable), "sfimport"),
        "emulator",
        "--port",
        str(port),
        "--scale",
        f"Account={args.rows}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        _wait(base, process)
        with httpx2.Client(base_url=base, timeout=600.0) as client:
            client.post("/__emulator__/bulk", json={"delay_seconds": 0})
            token = client.post("/__emulator__/tokens", json={"username": ADMIN}).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            soql = f"SELECT {', '.join(fields)} FROM Account"
            for gzip in (False, True):
                job = client.post(
                    "/services/data/v62.0/jobs/query",
                    json={"operation": "queryAll", "query": soql, "contentType": "CSV"},
                ).json()
                path = f"/services/data/v62.0/jobs/query/{job['id']}/results"
                while client.get(f"/services/data/v62.0/jobs/query/{job['id']}").json()[
                    "state"
                ] not in {"JobComplete", "Failed"}:
                    time.sleep(0.05)
                began = time.perf_counter()
                size, rows = _download(client, path, gzip, args.max_records)
                elapsed = time.perf_counter() - began
                label = "gzip" if gzip else "identity"
                print(
                    f"serving ({label}): {rows:,} rows, {size / 1e6:,.0f} MB of CSV in "
                    f"{elapsed:.2f} s = {size / 1e6 / elapsed:,.0f} MB/s, "
                    f"{rows / elapsed:,.0f} rows/s (pages of {args.max_records:,})"
                )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
