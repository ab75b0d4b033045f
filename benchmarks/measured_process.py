"""One workload run in a child process of its own, measured from outside: its peak resident set
(the kernel's ru_maxrss from wait4, so nothing of the parent or the emulator is counted), its
CPU time, and the result the workload wrote as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKLOADS = Path(__file__).with_name("workloads.py")


@dataclass(frozen=True)
class Measured:
    #: What the workload reported (its own timings, rows, API calls).
    result: dict[str, Any]
    peak_rss_mb: float
    cpu_seconds: float


class WorkloadFailed(RuntimeError):
    pass


def run_workload(
    kind: str, config: dict[str, Any], scratch: Path, prefix: Sequence[str] = ()
) -> Measured:
    """Run ``workloads.py kind`` with ``config`` in a child and wait for it.

    ``prefix`` runs the child under another command (a profiler); its resource figures are
    then the wrapper's and mean little.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    config_path = scratch / f"{kind}-config.json"
    result_path = scratch / f"{kind}-result.json"
    log_path = scratch / f"{kind}.log"
    result_path.unlink(missing_ok=True)
    config_path.write_text(json.dumps(config))
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [*prefix, sys.executable, str(WORKLOADS), kind, str(config_path), str(result_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        # wait4 gives this child's own resource usage; ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(errors="replace")[-3000:]
        raise WorkloadFailed(f"workload {kind} exited with {child.returncode}:\n{tail}")
    return Measured(
        result=json.loads(result_path.read_text()),
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )
