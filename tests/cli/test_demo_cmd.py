"""`sfimport demo` in a real subprocess: a port that is taken makes it move to the next free one
and say so."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


def test_demo_moves_to_the_next_free_port_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        demo = subprocess.Popen(
            [SFIMPORT, "--home", str(tmp_path / "home"), "demo", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        # Never wait forever on a demo that does not print: kill it after a minute.
        watchdog = threading.Timer(60, demo.kill)
        watchdog.start()
        try:
            assert demo.stdout is not None
            moved = demo.stdout.readline().strip()
            opened = demo.stdout.readline().strip()
            served = _first_answer(opened.split()[3]) if opened.count(" ") >= 3 else None
        finally:
            watchdog.cancel()
            demo.terminate()
            _, errors = demo.communicate(timeout=30)
    match = re.fullmatch(rf"Port {port} is taken; using (\d+) instead\.", moved)
    assert match, (moved, errors)
    chosen = int(match.group(1))
    assert port < chosen < port + 20
    assert opened == f"sfimport demo: open http://127.0.0.1:{chosen}/ (Ctrl-C to stop)"
    assert served is not None and served < 500, "the web app answers on the port it named"


def _first_answer(url: str, within: float = 20.0) -> int | None:
    """The status of the first answer from ``url`` while the server starts, or None."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            return httpx2.get(url, timeout=2).status_code
        except httpx2.TransportError:
            time.sleep(0.1)
    return None
