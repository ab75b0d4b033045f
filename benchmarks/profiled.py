"""Where an import's wall time goes: py-spy samples of the importer child (idle time included,
so waiting on the emulator shows), summed per stage of the product's pipeline."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

#: Sampling rate (Hz): samples / RATE = seconds.
RATE = 100

#: Stages by the frames that identify them, checked innermost first on each sampled stack.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("waiting for the org's HTTP answer", ("httpcore2/", "SyncStream.read")),
    ("gzip decoding", ("_decoders.py",)),
    ("Bulk job polling (sleep)", ("objects.py:_wait", "_wait (sfimport/extract/objects.py")),
    ("CSV page -> Arrow", ("csv_page_batches", "_conform")),
    ("REST page -> Arrow", ("rest_records_batch",)),
    ("concealment", ("conceal.py",)),
    ("page appends into My Data's staging table", ("append_staged",)),
    ("Parquet staging writes (column passes)", ("staging.py", "parquet/core.py")),
    # Closing a write connection checkpoints the pages appended (DuckDB compresses them then);
    # opening one may wait for another writer.
    ("My Data connection open/close (checkpoint, lock waits)", ("_connect (",)),
    ("publish/merge into DuckDB", ("publish (", "merge (", "mydata.py")),
    ("start-up imports", ("<module>",)),
)


def py_spy_command(output: Path) -> list[str]:
    """The prefix that runs a command under py-spy, writing raw (collapsed) stacks."""
    found = Path(sys.executable).with_name("py-spy")
    binary = str(found) if found.exists() else shutil.which("py-spy")
    if binary is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy")
    rate = str(RATE)
    return [
        binary,
        "record",
        "--idle",
        "--threads",
        "--format",
        "raw",
        "-r",
        rate,
        "-o",
        str(output),
        "--",
    ]


def stage_seconds(raw: Path) -> dict[str, float]:
    """Seconds per stage in the run thread(s) of the import; the rest is "other"."""
    totals: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or "run-" not in frames[0] or not count.isdigit():
            continue
        totals[_stage(frames)] += int(count)
    return {stage: samples / RATE for stage, samples in totals.most_common()}


def _stage(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, marks in STAGES:
            if any(mark in frame for mark in marks):
                return stage
    return "other"
