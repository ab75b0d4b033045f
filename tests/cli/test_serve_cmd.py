"""`sfimport serve`: refuses clearly without a Connected App, serves the web app with one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.settings import Settings

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


def test_serve_without_a_client_id_says_what_to_set_and_exits_2(tmp_path: Path) -> None:
    state = CliState(settings=Settings(home=tmp_path, client_id=None))
    result = CliRunner().invoke(app, ["serve"], obj=state)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("Error: SFIMPORT_CLIENT_ID is not set")
    assert "sfimport demo" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_the_web_app_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(tmp_path),
        "SFIMPORT_CLIENT_ID": "3MVG9-test",
        "SFIMPORT_CLIENT_SECRET": "test-secret",
    }
    process = subprocess.Popen(
        [SFIMPORT, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        assert answer is not None, process.stderr.read() if process.stderr else ""
        assert answer.status_code == 200
        assert answer.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
    assert f"open http://127.0.0.1:{port}/" in out
