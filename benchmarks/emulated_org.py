"""The emulator as a process of its own for the benchmarks: `sfimport emulator` started on a free
loopback port, its control API (tokens, API call counter, limits, record changes) called over
HTTP. A separate process keeps the emulator's memory and CPU out of the importer's figures."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

ADMIN = "admin@sfimport-demo.example"
CONTROL = "/__emulator__"
#: An allowance no benchmark reaches: the demo org's 15,000 calls a day would end a long run.
API_ALLOWANCE = 100_000_000


@dataclass(frozen=True)
class RunningEmulator:
    base_url: str
    scale: Mapping[str, int]
    #: Seconds from starting the emulators until this one answered (org generation included).
    startup_seconds: float

    def tokens(self) -> dict[str, Any]:
        """A fresh access and refresh token of the demo admin."""
        answer: dict[str, Any] = _post(self.base_url, "/tokens", {"username": ADMIN})
        return answer

    def api_calls_used(self) -> int:
        """Calls counted against the org's daily allowance so far (the org's own count)."""
        state = httpx2.get(f"{self.base_url}{CONTROL}/state", timeout=30).json()
        return int(state["api_requests"]["used"])

    def update_records(self, sobject: str, rows: list[dict[str, Any]]) -> int:
        """Change records by Id; their LastModifiedDate and SystemModstamp move to now."""
        answer = _post(self.base_url, f"/records/{sobject}", {"object": sobject, "update": rows})
        return int(answer.get("updated", 0))


def _post(base_url: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    response = httpx2.post(f"{base_url}{CONTROL}{path}", json=dict(body), timeout=120)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sfimport_command() -> list[str]:
    beside = Path(sys.executable).with_name("sfimport")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("sfimport")
    if found is None:
        raise RuntimeError("the sfimport command is not installed (make bench installs it)")
    return [found]


@contextmanager
def emulator_processes(
    scales: Mapping[str, Mapping[str, int]], log_dir: Path, *, timeout: float = 900.0
) -> Iterator[dict[str, RunningEmulator]]:
    """Start one `sfimport emulator --scale ...` per entry, all at once (their orgs generate in
    parallel, before anything is measured), and stop them when the block ends."""
    started = time.perf_counter()
    processes: dict[str, tuple[subprocess.Popen[bytes], str, Path]] = {}
    try:
        for name, scale in scales.items():
            port = _free_port()
            spec = ",".join(f"{sobject}={count}" for sobject, count in scale.items())
            command = [*sfimport_command(), "emulator", "--port", str(port)]
            if spec:
                command += ["--scale", spec]
            log_path = log_dir / f"emulator-{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            processes[name] = (process, f"http://127.0.0.1:{port}", log_path)
        running = {}
        for name, (process, base_url, log_path) in processes.items():
            _wait_until_serving(process, base_url, timeout, log_path)
            _post(base_url, "/limits", {"max": API_ALLOWANCE, "remaining": API_ALLOWANCE})
            running[name] = RunningEmulator(
                base_url, dict(scales[name]), time.perf_counter() - started
            )
        yield running
    finally:
        for process, _, _ in processes.values():
            _stop(process)


def _wait_until_serving(
    process: subprocess.Popen[bytes], base_url: str, timeout: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited early; see {log_path}")
        try:
            if httpx2.get(f"{base_url}{CONTROL}/state", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not answer within {timeout:.0f}s")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)
