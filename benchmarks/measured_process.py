"""One workload run in a child process of its own, measured from outside: its wall time from
just before the process starts until it has exited (interpreter start-up and imports included),
its peak resident set (the kernel's ru_maxrss from wait4, so nothing of the parent or the
emulator is counted), its CPU time, and the result the workload wrote as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
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
    #: Wall time of the whole process, measured by the parent.
    process_seconds: float = 0.0


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
    command = [*prefix, sys.executable, str(WORKLOADS), kind, str(config_path), str(result_path)]
    measured = run_command(command, log_path, name=kind)
    if not result_path.exists():
        raise WorkloadFailed(f"workload {kind} wrote no result; see {log_path}")
    return Measured(
        result=json.loads(result_path.read_text()),
        peak_rss_mb=measured.peak_rss_mb,
        cpu_seconds=measured.cpu_seconds,
        process_seconds=measured.process_seconds,
    )


def run_command(
    command: Sequence[str],
    log_path: Path,
    *,
    name: str,
    stdout: Path | None = None,
    env: dict[str, str] | None = None,
    on_start: Callable[[float], None] | None = None,
) -> Measured:
    """Run ``command`` to its end and measure it from outside (``result`` stays empty).

    ``stdout`` keeps the child's standard output apart from its log (a JSON answer);
    ``on_start`` is called with the perf_counter instant just before the process starts."""
    with log_path.open("wb") as log, (stdout or Path(os.devnull)).open("wb") as out:
        started = time.perf_counter()
        if on_start is not None:
            on_start(started)
        child = subprocess.Popen(list(command), stdout=out if stdout else log, stderr=log, env=env)
        # wait4 gives this child's own resource usage; ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise WorkloadFailed(f"{name} exited with {child.returncode}:\n{tail}")
    return Measured(
        result={},
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        process_seconds=seconds,
    )
