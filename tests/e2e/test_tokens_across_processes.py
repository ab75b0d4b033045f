"""Tokens stay current across processes: a Workspace built before a connection was
re-authorised elsewhere (a `serve` started before `sfimport connect NAME --reauthorize` in a
terminal) uses the new grant on its next call, without a restart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sfimport.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.e2e.refresh_org import ADMIN, LiveOrg, live_org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": 30}) as org:
        yield org


def test_a_connection_reauthorised_elsewhere_works_in_a_workspace_started_before(
    live: LiveOrg,
) -> None:
    with live.workspace() as serving:  # the long-running process (e.g. `serve`)
        live.connect(serving)
        plan = serving.build_plan(
            ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
        )
        assert serving.run_import(plan).status == "complete"

        live.control("revoke", {"username": ADMIN})  # the grant dies...
        with live.workspace() as terminal:  # ...and is renewed by another process
            minted = live.control("tokens", {"username": ADMIN})
            connected = terminal.connect_with_refresh_token(
                "demo", minted["refresh_token"], login_url=live.base_url, reauthorize=True
            )
            assert connected.reauthorized

        live.advance(60)
        result = serving.refresh(["Sales.Contact"])  # no restart of the serving process
        assert result.status == "complete", result.run
        assert serving.test_connection("demo").status == "active"


def test_a_serve_process_uses_the_tokens_a_terminal_renewed(live: LiveOrg) -> None:
    """`sfimport serve` runs as its own process; `sfimport connect demo --reauthorize` in
    another process renews the dead grant; serve's next Test and import use the new tokens."""
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(live.home),
        "SFIMPORT_PRODUCTION_LOGIN_URL": live.base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }

    def terminal(*args: str, token: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SFIMPORT, *args, "--refresh-token", "-"],
            env=env,
            input=token + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = live.control("tokens", {"username": ADMIN})["refresh_token"]
    made = terminal("connect", "demo", "--login-url", live.base_url, token=first)
    assert made.returncode == 0, made.stderr

    with _serve(env) as api:
        spec = {"connection": "demo", "folder": "Sales", "objects": [{"name": "Contact"}]}
        started = api.post("/api/runs", json=spec)
        assert started.status_code == 202, started.text
        assert _finished(api, started.json()["run_id"])["status"] == "complete"

        live.control("revoke", {"username": ADMIN})  # every token of the grant dies
        dead = api.post("/api/connections/demo/test")
        assert dead.json()["kind"] == "connection", dead.text  # serve holds the dead grant

        second = live.control("tokens", {"username": ADMIN})["refresh_token"]
        renewed = terminal("connect", "demo", "--reauthorize", token=second)
        assert renewed.returncode == 0, renewed.stderr

        # No restart: serve's next calls use the tokens the terminal stored.
        tested = api.post("/api/connections/demo/test")
        assert tested.status_code == 200, tested.text
        assert tested.json()["status"] == "active"
        refreshed = api.post("/api/runs/refresh", json={"datasets": ["Sales.Contact"]})
        assert refreshed.status_code == 202, refreshed.text
        run = _finished(api, refreshed.json()["run_id"])
        assert run["status"] == "complete", run


@contextmanager
def _serve(env: dict[str, str]) -> Iterator[httpx2.Client]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [SFIMPORT, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "serve did not answer within a minute"
                try:
                    api.get("/healthz")
                    break
                except httpx2.TransportError:
                    time.sleep(0.1)
            yield api
    finally:
        process.terminate()
        process.communicate(timeout=60)


def _finished(api: httpx2.Client, run_id: str) -> dict[str, Any]:
    """The run once it is over (the API says ``final``)."""
    deadline = time.monotonic() + 120
    while True:
        answer = api.get(f"/api/runs/{run_id}/events").json()
        if answer["final"]:
            run: dict[str, Any] = answer["run"]
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {answer['status']}"
        time.sleep(0.2)
