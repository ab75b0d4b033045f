"""`sfimport demo` survives a restart: the demo orgs come back with their records, tokens and
ports, so a connection saved before still imports and refreshes; `--reset` starts afresh; a
saved port that another program holds is a clear error."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sfimport.cli.demo_cmd import PORTS_FILE, DemoPortTaken, demo_stack
from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.emulator.conftest import ADMIN

WAIT = 60.0
SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningDemo:
    web: str
    production: str
    sandbox: str
    lines: list[str]


@contextmanager
def running_demo(home: Path, *extra: str) -> Iterator[RunningDemo]:
    """`sfimport demo` in a subprocess until its URLs are printed; Ctrl-C (SIGINT) at the end."""
    process = subprocess.Popen(
        [SFIMPORT, "--home", str(home), "demo", "--port", str(_free_port()), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    # Never wait forever on a demo that does not print: kill it after a while.
    watchdog = threading.Timer(WAIT, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + WAIT
        web = org = None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if found := re.search(r"open (http://\S+)/ \(Ctrl-C", line):
                web = found.group(1)
            if found := re.search(r"Demo Salesforce org: (\S+) \(sandbox: (\S+)\)", line):
                org = found.groups()
            if web and org and line.startswith("Log in to the demo org"):
                break
        assert web and org, "\n".join(lines)
        watchdog.cancel()
        _wait_until_up(web)
        yield RunningDemo(web, org[0], org[1], lines)
    finally:
        watchdog.cancel()
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            rest, _ = process.communicate()
        lines.extend(rest.splitlines())


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            httpx2.get(f"{url}/healthz", timeout=5)
            return
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _finished_run(web: str, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        run: dict[str, Any] = httpx2.get(f"{web}/api/runs/{run_id}", timeout=10).json()
        if run["status"] in {"complete", "partial", "interrupted", "failed"}:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.2)


@pytest.mark.slow  # three demo starts in subprocesses: 40-80 s on a loaded 2-core machine
def test_a_saved_demo_connection_survives_a_restart_and_reset_starts_afresh(
    tmp_path: Path,
) -> None:
    with running_demo(tmp_path) as first:
        token = httpx2.post(
            f"{first.production}/__emulator__/tokens", json={"username": ADMIN}
        ).json()
        connected = httpx2.post(
            f"{first.web}/api/connections",
            json={"name": "demo", "refresh_token": token["refresh_token"]},
            timeout=30,
        )
        assert connected.status_code == 201, connected.text
        org_id = connected.json()["connection"]["org_id"]
        started = httpx2.post(
            f"{first.web}/api/runs",
            json={"connection": "demo", "folder": "Demo", "objects": [{"name": "Account"}]},
            timeout=30,
        )
        assert started.status_code == 202, started.text
        assert _finished_run(first.web, started.json()["run_id"])["status"] == "complete"
        # A record changed in the org before the restart is still changed after it.
        account = httpx2.get(
            f"{first.production}/services/data/v62.0/query",
            params={"q": "SELECT Id FROM Account LIMIT 1"},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        ).json()["records"][0]["Id"]
        changed = httpx2.post(
            f"{first.production}/__emulator__/records/Account",
            json={"update": [{"Id": account, "Name": "Renamed Before Restart"}]},
        )
        assert changed.status_code == 200, changed.text

    with running_demo(tmp_path) as second:
        assert (second.production, second.sandbox) == (first.production, first.sandbox)
        assert any("Demo orgs resumed from" in line for line in second.lines), second.lines
        # Three hours later the saved access token's session has timed out: the product must
        # refresh it with the refresh token the org issued before the restart.
        httpx2.post(f"{second.production}/__emulator__/clock", json={"advance_seconds": 3 * 3600})
        before = httpx2.get(f"{second.production}/__emulator__/state").json()
        refreshed = httpx2.post(
            f"{second.web}/api/runs/refresh", json={"datasets": ["Demo.Account"]}, timeout=30
        )
        assert refreshed.status_code == 202, refreshed.text
        run = _finished_run(second.web, refreshed.json()["run_id"])
        assert run["status"] == "complete", run
        after = httpx2.get(f"{second.production}/__emulator__/state").json()
        assert after["access_tokens"] > before["access_tokens"] - 1  # a refresh issued one
        rows = httpx2.post(
            f"{second.web}/api/query",
            json={"sql": "SELECT Name FROM Demo.Account WHERE Name = 'Renamed Before Restart'"},
            timeout=30,
        )
        assert rows.status_code == 200, rows.text
        assert "Renamed Before Restart" in rows.text
        connection = httpx2.get(f"{second.web}/api/connections/demo", timeout=10).json()
        assert connection["org_id"] == org_id
        assert connection["status"] == "active"

    with running_demo(tmp_path, "--reset") as fresh:
        assert any(
            line.startswith("Reset the demo: deleted") and "starting afresh" in line
            for line in fresh.lines
        ), fresh.lines
        assert httpx2.get(f"{fresh.web}/api/connections", timeout=10).json()["items"] == []
        refused = httpx2.post(
            f"{fresh.production}/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            },
        )
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
        assert httpx2.get(f"{fresh.production}/__emulator__/state").json()["refresh_tokens"] == 0


def test_a_taken_saved_port_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "emulator"
    with demo_stack(tmp_path, "http://127.0.0.1:1", state_dir=state) as stack:
        production_port = int(stack.production_url.rsplit(":", 1)[1])
    assert (state / PORTS_FILE).is_file()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", production_port))
        holder.listen()
        with (
            pytest.raises(DemoPortTaken) as caught,
            demo_stack(tmp_path, "http://127.0.0.1:1", state_dir=state),
        ):
            pass
    assert f"port {production_port} is taken" in caught.value.message
    assert "sfimport demo --reset" in caught.value.remedy
    assert "another 'sfimport demo'" in caught.value.remedy
