"""Measure CSV pages -> Arrow -> concealment -> Parquet staging -> publish: rows/s and peak RSS.

Not a test (pytest does not collect it); run by hand and read the figures:

    .venv/bin/python tests/store/bench_staging.py --rows 1000000

Each mode runs in a fresh process so its peak RSS is its own. ``parse`` is the floor (pages to
Arrow only); ``stage-plain`` adds Parquet staging; ``stage`` also conceals three columns of
unique values; ``publish-plain`` and ``publish`` then publish into a fresh My Data file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from sfimport.extract.batches import csv_page_batches
from sfimport.extract.conceal import Concealer, concealment_shapes
from sfimport.extract.schema import FieldSpec, arrow_schema
from sfimport.store.mydata import MyData, Publication

PAGE_ROWS = 50_000
MODES = ["parse", "stage-plain", "stage", "publish-plain", "publish"]

FIELDS = (
    [FieldSpec("Id", "Id", "id"), FieldSpec("OwnerId", "Owner", "reference")]
    + [FieldSpec(f"Text{i}__c", f"Text {i}", "string") for i in range(13)]
    + [FieldSpec("Email", "Email", "email"), FieldSpec("Phone", "Phone", "phone")]
    + [FieldSpec("LastName", "Last Name", "string")]
    + [FieldSpec(f"Pick{i}__c", f"Pick {i}", "picklist") for i in range(5)]
    + [FieldSpec(f"Int{i}__c", f"Int {i}", "int") for i in range(4)]
    + [FieldSpec(f"Num{i}__c", f"Num {i}", "double") for i in range(5)]
    + [FieldSpec(f"Flag{i}__c", f"Flag {i}", "boolean") for i in range(3)]
    + [FieldSpec(f"Day{i}__c", f"Day {i}", "date") for i in range(3)]
    + [FieldSpec("CreatedDate", "Created", "datetime")]
    + [FieldSpec("SystemModstamp", "Modstamp", "datetime")]
)
SCHEMA = arrow_schema(FIELDS)


def make_page(page: int) -> bytes:
    """One Bulk-like CSV page: every value quoted, datetimes in the ...Z form."""
    rng = np.random.default_rng(page)
    n = PAGE_ROWS
    start = page * n
    ids = pa.array([f"001R{start + i:014d}" for i in range(n)])
    columns: dict[str, pa.Array] = {"Id": ids, "OwnerId": pa.array(["005R0000000UyrWIAS"] * n)}
    words = np.array(["alpha", "beta", "NA", "gamma, delta", 'say "hi"', "", "omega"])
    for f in FIELDS[2:]:
        if f.name in columns:
            continue
        if f.sf_type in ("string", "picklist"):
            columns[f.name] = pa.array(words[rng.integers(0, len(words), n)])
        elif f.sf_type == "email":
            columns[f.name] = pc.binary_join_element_wise(
                "p", pc.cast(pa.array(np.arange(start, start + n)), pa.string()), "@x.example", ""
            )
        elif f.sf_type == "phone":
            columns[f.name] = pc.cast(pa.array(rng.integers(10**9, 10**10, n)), pa.string())
        elif f.sf_type == "int":
            columns[f.name] = pa.array(rng.integers(-(10**6), 10**6, n))
        elif f.sf_type == "double":
            columns[f.name] = pa.array(rng.random(n) * 1000)
        elif f.sf_type == "boolean":
            columns[f.name] = pa.array(rng.random(n) > 0.5)
        elif f.sf_type == "date":
            columns[f.name] = pa.array(rng.integers(0, 20000, n).astype("int32"), pa.date32())
        elif f.sf_type == "datetime":
            seconds = rng.integers(1_500_000_000, 1_700_000_000, n)
            stamps = pa.array(seconds * 1000, pa.timestamp("ms"))
            columns[f.name] = pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")
    table = pa.table({f.name: columns[f.name] for f in FIELDS})
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink, pcsv.WriteOptions(quoting_style="all_valid"))
    # pyarrow writes booleans as true/false and nulls as empty fields, as Salesforce does.
    return bytes(sink.getvalue())


def peak_rss_mb() -> int:
    # VmHWM, not getrusage: ru_maxrss survives exec, so it would report the parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run(mode: str, rows: int, page_file: Path) -> dict[str, float]:
    # One page replayed: generating a million distinct rows would cost more than parsing them
    # (and its memory would hide the import's own peak); the parser does not care.
    pages = [page_file.read_bytes()]
    page_bytes = len(pages[0])
    concealer = Concealer(b"bench-key-" * 4)
    shapes = concealment_shapes(SCHEMA, ["Email", "Phone", "LastName"])
    with tempfile.TemporaryDirectory() as tmp:
        mydata = MyData.for_data_dir(Path(tmp))
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        done = 0
        writer = mydata.stage("bench", "Bench", "Account", SCHEMA) if mode != "parse" else None
        page = 0
        while done < rows:
            for batch in csv_page_batches(pages[page % len(pages)], SCHEMA):
                done += batch.num_rows
                if writer is not None:
                    if not mode.endswith("-plain"):
                        batch = concealer.conceal_batch(batch, shapes)
                    writer.write(batch)
            page += 1
        staged_at = time.perf_counter()
        if writer is not None:
            staged = writer.close()
            if mode.startswith("publish"):
                mydata.publish(staged, Publication("Bench", "Account", "bench", "Account"))
            else:
                staged.discard()
        finished = time.perf_counter()
    return {
        "rows": done,
        "seconds": round(finished - started, 2),
        "rows_per_s": round(done / (finished - started)),
        "stage_rows_per_s": round(done / (staged_at - started)),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "csv_mb_per_page": round(page_bytes / len(pages) / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("--page", type=Path)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run(args.mode, args.rows, args.page)))
        return
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z, {len(FIELDS)} columns, {args.rows:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.csv"
        page.write_bytes(make_page(0))
        for mode in MODES:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    mode,
                    "--rows",
                    str(args.rows),
                    "--page",
                    str(page),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(f"{mode:11s} {out.stdout.strip()}")


if __name__ == "__main__":
    main()
