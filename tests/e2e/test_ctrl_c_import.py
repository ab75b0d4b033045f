"""Ctrl-C in a terminal import, with the installed `sfimport` in a real subprocess against the
emulator: the import stops within a page (not at the end of the data set), the run is recorded
as interrupted (not failed), the person reads an Error: and a Fix: line naming
`sfimport resume`, and that command finishes it with every row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Org, build_demo_org
from sfimport.salesforce.client import DEFAULT_API_VERSION
from tests.e2e.staged import staged_rows

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))
ADMIN = "admin@sfimport-demo.example"
#: Under the Bulk threshold: read over REST in pages of 2,000 rows.
CONTACTS = 9_000
PAGE = 2_000
#: Each query page is held this long by the emulator, so the read takes several seconds.
PAGE_SECONDS = 1.5


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(scale={"Account": 20, "Contact": CONTACTS})


def _env(home: Path, base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SFIMPORT_HOME": str(home),
        "SFIMPORT_PRODUCTION_LOGIN_URL": base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "COLUMNS": "200",
    }


def _run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SFIMPORT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


def test_ctrl_c_stops_within_a_page_records_interrupted_and_resume_finishes(
    tmp_path: Path, base_url: str, org: Org
) -> None:
    home = tmp_path / "home"
    env = _env(home, base_url)
    token = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": ADMIN}).json()
    connected = _run(env, "connect", "demo", "--refresh-token", "-", stdin=token["refresh_token"])
    assert connected.returncode == 0, connected.stderr
    live = sum(1 for r in org.tables["Contact"].to_pylist() if not r.get("IsDeleted"))
    assert live > 3 * PAGE

    # Every query page (the first and each next one) is slow from here on.
    faults = {
        "hang_rate": 1.0,
        "hang_seconds": PAGE_SECONDS,
        "seed": 1,
        "path_prefix": f"/services/data/v{DEFAULT_API_VERSION}/query",
    }
    httpx2.post(f"{base_url}/__emulator__/faults", json=faults).raise_for_status()
    try:
        child = subprocess.Popen(
            [SFIMPORT, "import", "demo", "-o", "Contact", "-f", "Sales"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while staged_rows(home) < 1:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "no page was staged"
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
    finally:
        httpx2.post(f"{base_url}/__emulator__/faults", json={}).raise_for_status()

    assert child.returncode == 130, (out, err)
    assert "Traceback" not in err
    runs = json.loads(_run(env, "runs", "--json").stdout)["runs"]
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "interrupted"
    contact = run["datasets"][0]
    assert contact["status"] == "interrupted"
    # Within a page: the page being read when Ctrl-C came is kept, then it stops. Counted in
    # rows, not seconds (a loaded machine makes any time limit flaky): had it read on, every
    # slow page would have been saved.
    assert 0 < contact["rows"] <= 2 * PAGE < live
    error_lines = [line for line in err.splitlines() if line.startswith("Error: ")]
    fix_lines = [line for line in err.splitlines() if line.startswith("Fix: ")]
    assert error_lines == [
        "Error: Contact: You stopped the run (Ctrl-C); it stopped after its last saved page."
    ]
    assert fix_lines == [f"Fix: Continue it where it stopped with 'sfimport resume {run['id']}'."]
    assert f"Run {run['id']}: Interrupted" in out

    resumed = _run(env, "resume", run["id"])
    assert resumed.returncode == 0, resumed.stderr
    rows = json.loads(
        _run(env, "sql", 'SELECT count(*) AS n FROM "Sales"."Contact"', "--json").stdout
    )
    assert rows["rows"] == [[live]]
