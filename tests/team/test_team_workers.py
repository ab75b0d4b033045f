"""Team mode end to end: `sfimport import --queue` and `sfimport worker` processes share the
metadata and the queue in PostgreSQL (procrastinate); a worker SIGKILLed mid-page loses its
job, and a second worker resumes the run from its last saved page to an exact copy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.e2e.refresh_org import LiveOrg, assert_exact_copy, live_org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))
#: Pages of 2,000 rows over REST: three pages, so the kill falls between two.
CONTACTS = 5_000

pytestmark = pytest.mark.slow


@pytest.fixture
def team(tmp_path: Path, postgres_url: str) -> Iterator[tuple[LiveOrg, str]]:
    with live_org(tmp_path / "home", {"Account": 5, "Contact": CONTACTS}) as org:
        with org.workspace(database_url=postgres_url) as workspace:
            org.connect(workspace)
        yield org, postgres_url


def env(team: tuple[LiveOrg, str]) -> dict[str, str]:
    org, url = team
    return {
        **os.environ,
        "SFIMPORT_HOME": str(org.home),
        "SFIMPORT_DATABASE_URL": url,
        "SFIMPORT_PRODUCTION_LOGIN_URL": org.base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "SFIMPORT_LEASE_SECONDS": "2",
    }


def sfimport(team: tuple[LiveOrg, str], *args: str) -> Any:
    done = subprocess.run(
        [SFIMPORT, *args, "--json"], env=env(team), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)


def run_of(team: tuple[LiveOrg, str], run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in sfimport(team, "runs")["runs"] if r["id"] == run_id)
    return found


def worker(team: tuple[LiveOrg, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SFIMPORT, "worker", "--interval", "0.2"],
        env=env(team),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_worker_killed_mid_page_is_replaced_through_the_postgresql_queue(
    team: tuple[LiveOrg, str],
) -> None:
    org, url = team
    answer = sfimport(team, "import", "demo", "-o", "Contact", "-f", "Sales", "--queue")
    run_id = answer["run_id"]
    assert answer["status"] == "queued"
    with psycopg.connect(url) as db:
        queued = db.execute("SELECT status, lock FROM procrastinate_jobs").fetchall()
    assert queued == [("todo", run_id)], "the job is procrastinate's, locked by its run"

    version = org.settings().api_version
    org.control(
        "faults",
        {"hang_rate": 1.0, "hang_seconds": 20, "path_prefix": f"/services/data/v{version}/query/"},
    )
    first = worker(team)
    try:

        def first_page_saved() -> bool:
            run = run_of(team, run_id)
            return run["status"] == "running" and run["datasets"][0]["pages"] >= 1

        wait_for(first_page_saved, "the first worker should save a page, then hang")
        assert run_of(team, run_id)["worker"]["pid"] == first.pid
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=30)
    org.control("faults", {})

    second = worker(team)
    try:
        wait_for(
            lambda: run_of(team, run_id)["status"] == "complete",
            "the second worker should take the run over and finish it",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
    assert second.returncode == 0, (out, err)
    with psycopg.connect(url) as db:
        ended = db.execute("SELECT status, attempts FROM procrastinate_jobs").fetchall()
    assert ended == [("succeeded", 2)], "claimed twice: by the killed worker, then the second"
    with org.workspace(database_url=url) as workspace:
        assert_exact_copy(org, workspace, "Contact", '"Sales"."Contact"')
    assert not (org.home / "metadata.sqlite").exists()
