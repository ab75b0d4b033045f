"""`sfimport serve`: refuses clearly without a Connected App, serves the web app with one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
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
        if answer is None:
            # Stopped here, not read here: the stderr of a server still running never ends.
            process.kill()
        assert answer is not None, "sfimport serve gave no answer in 30 s"
        assert answer.status_code == 200
        assert answer.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
    assert f"open http://127.0.0.1:{port}/" in out


def test_serve_stops_on_sigterm_even_during_a_runaway_query(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(tmp_path),
        "SFIMPORT_CLIENT_ID": "3MVG9-test",
        "SFIMPORT_CLIENT_SECRET": "test-secret",
        "SFIMPORT_QUERY_TIMEOUT": "600",
    }
    process = subprocess.Popen(
        [SFIMPORT, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    answers: list[httpx2.Response] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx2.get(f"{base}/healthz", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        cross_join = "SELECT count(*) FROM range(100000000) a, range(100000000) b"
        worker = threading.Thread(
            target=lambda: answers.append(
                httpx2.post(f"{base}/api/query", json={"sql": cross_join}, timeout=120)
            )
        )
        worker.start()
        time.sleep(1.5)  # the query is running
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        took = time.monotonic() - stopped_at
        worker.join(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert took < 30  # not the query's minutes of work, nor its 600 s deadline
    assert answers and answers[0].status_code == 503
    assert answers[0].json()["kind"] == "query_cancelled"


def test_serve_on_every_interface_needs_the_access_token_it_prints_once(tmp_path: Path) -> None:
    port = _free_port()
    token = "t0k3n-for-this-test-only-0123456789"
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(tmp_path),
        "SFIMPORT_CLIENT_ID": "3MVG9-test",
        "SFIMPORT_CLIENT_SECRET": "test-secret",
        "SFIMPORT_ACCESS_TOKEN": token,
    }
    process = subprocess.Popen(
        [SFIMPORT, "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx2.get(f"{base}/healthz", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        refused = httpx2.get(f"{base}/api/connections", timeout=5)
        allowed = httpx2.get(
            f"{base}/api/connections", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        page = httpx2.get(f"{base}/data", timeout=5)
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert out.count(token) == 1
    assert token not in (tmp_path / "access.json").read_text()
