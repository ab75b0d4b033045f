"""Workers as separate processes on one data folder: `sfimport import --queue` returns a run id
and a `sfimport worker` runs it; a worker SIGKILLed in the middle of a page loses its lease and
a second worker resumes the run from its last saved page, to an exact copy of the org; SIGTERM
hands a run back to the queue; the loop `serve` and `demo` host runs queued work too."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sfimport.app.ports import RunInfo
from sfimport.app.workspace import Workspace
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.web.scheduler import SchedulerLoop
from tests.e2e.refresh_org import LiveOrg, assert_exact_copy, live_org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))
pytestmark = pytest.mark.slow

#: Read over REST in pages of 2,000 rows: three pages, so a kill can fall between two.
CONTACTS = 5_000
#: The test's lease: a dead worker's run is free two seconds after its last renewal.
LEASE_SECONDS = "2"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": CONTACTS}) as org:
        with org.workspace() as workspace:
            org.connect(workspace)
        yield org


def sfimport(live: LiveOrg, *args: str) -> Any:
    """Run one `sfimport ... --json` command to its end; its JSON answer."""
    done = subprocess.run(
        [SFIMPORT, *args, "--json"],
        env=live.cli_env(SFIMPORT_LEASE_SECONDS=LEASE_SECONDS),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)


def start_worker(live: LiveOrg, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SFIMPORT, "worker", "--interval", "0.2", *args],
        env=live.cli_env(SFIMPORT_LEASE_SECONDS=LEASE_SECONDS),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def queue_contacts(live: LiveOrg) -> str:
    answer = sfimport(live, "import", "demo", "-o", "Contact", "-f", "Sales", "--queue")
    assert answer["status"] == "queued"
    run_id: str = answer["run_id"]
    return run_id


def run_of(live: LiveOrg, run_id: str) -> dict[str, Any]:
    """The run as `sfimport runs --json` shows it."""
    runs = sfimport(live, "runs")["runs"]
    found: dict[str, Any] = next(r for r in runs if r["id"] == run_id)
    return found


def seen(live: LiveOrg, run_id: str) -> RunInfo:
    """The run as a process on the data folder reads it (cheaper than a CLI call, for polls)."""
    with Workspace(live.settings()) as workspace:
        return workspace.get_run(run_id)


def wait_for(predicate: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_queued_import_returns_its_run_id_and_a_worker_runs_it(live: LiveOrg) -> None:
    run_id = queue_contacts(live)
    queued = run_of(live, run_id)
    assert queued["status"] == "queued" and queued["worker"] is None

    answer = sfimport(live, "worker", "--once")
    assert answer["runs"] == [{"id": run_id, "status": "complete"}]
    with live.workspace() as workspace:
        assert workspace.get_run(run_id).status == "complete"
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
    assert sfimport(live, "worker", "--once")["runs"] == [], "the queue is empty now"


def test_a_queued_refresh_brings_the_changes_when_a_worker_runs_it(live: LiveOrg) -> None:
    queue_contacts(live)
    sfimport(live, "worker", "--once")
    changed = sorted(live.live_rows("Contact"))[:25]
    live.control(
        "records/Contact",
        {
            "update": [{"Id": record_id, "Description": "moved on"} for record_id in changed],
            "insert": [{"LastName": "Newcomer"}],
        },
    )
    live.advance(90)

    answer = sfimport(live, "refresh", "Sales.Contact", "--queue")
    assert answer["status"] == "queued" and len(answer["run_ids"]) == 1
    (run_id,) = answer["run_ids"]
    assert run_of(live, run_id)["kind"] == "refresh"
    assert sfimport(live, "worker", "--once")["runs"] == [{"id": run_id, "status": "complete"}]
    with live.workspace() as workspace:
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')


def test_a_worker_killed_mid_page_is_replaced_and_the_run_finishes_exactly(
    live: LiveOrg,
) -> None:
    run_id = queue_contacts(live)
    # The query's next pages hang: the first worker is killed while it waits for page two.
    version = live.settings().api_version
    live.control(
        "faults",
        {"hang_rate": 1.0, "hang_seconds": 20, "path_prefix": f"/services/data/v{version}/query/"},
    )
    first = start_worker(live)
    try:

        def first_page_saved() -> bool:
            run = seen(live, run_id)
            return run.status == "running" and run.datasets[0].pages >= 1

        wait_for(first_page_saved, "the first worker should save a page, then hang")
        running = run_of(live, run_id)
        assert running["worker"]["pid"] == first.pid, running["worker"]
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=30)
    live.control("faults", {})
    # Its job stays held by the dead worker's lease (no process id decides on the queue):
    # the second worker takes the job over once that lease lapses.

    second = start_worker(live)
    try:
        # (Seen from this host, the dead worker's run reads "failed, resumes at once" as soon
        # as anything opens the data folder: the holder's process is known gone.)
        wait_for(
            lambda: seen(live, run_id).status == "complete",
            "the second worker should take the run over and finish it",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
    assert second.returncode == 0, (out, err)
    assert f"took run {run_id}" in out, (out, err)

    ended = run_of(live, run_id)
    assert ended["status"] == "complete", ended
    assert ended["worker"] is None
    with live.workspace() as workspace:
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
    # Resumed, not restarted: the second worker read on from the first worker's query cursor
    # (its last saved locator) to its end, so the org holds no open cursor.
    state = httpx2.get(f"{live.base_url}/__emulator__/state").json()
    assert state["open_cursors"] == 0, state


def test_a_worker_stopped_with_sigterm_hands_its_run_back_to_be_resumed(live: LiveOrg) -> None:
    run_id = queue_contacts(live)
    version = live.settings().api_version
    live.control(
        "faults",
        # Long enough for the SIGTERM to arrive while page two is on its way.
        {"hang_rate": 1.0, "hang_seconds": 10, "path_prefix": f"/services/data/v{version}/query/"},
    )
    first = start_worker(live)
    try:

        def first_page_saved() -> bool:
            run = seen(live, run_id)
            return run.status == "running" and run.datasets[0].pages >= 1

        wait_for(first_page_saved, "the first worker should save a page, then wait for more")
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=30)
    assert first.returncode == 0, (out, err)
    live.control("faults", {})

    stopped = run_of(live, run_id)
    assert stopped["status"] != "complete" and stopped["worker"] is None, (stopped, out, err)
    assert stopped["resume_at"] is not None, "stopped resumably, due at once"
    assert stopped["datasets"][0]["rows"] < CONTACTS

    # Handed back, not held: the next worker takes it at once, without waiting out a lease.
    answer = sfimport(live, "worker", "--once")
    assert answer["runs"] == [{"id": run_id, "status": "complete"}]
    with live.workspace() as workspace:
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
    state = httpx2.get(f"{live.base_url}/__emulator__/state").json()
    assert state["open_cursors"] == 0, state


def test_the_loop_serve_and_demo_host_runs_a_queued_import(live: LiveOrg) -> None:
    with live.workspace() as web:
        spec = ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Account"),))
        run_id = web.queue_import(web.build_plan(spec))
        assert web.get_run(run_id).status == "queued"
        loop = SchedulerLoop(web, interval=0.05)
        loop.start()
        try:
            wait_for(lambda: web.get_run(run_id).status == "complete", "the embedded worker")
        finally:
            loop.stop()
        assert_exact_copy(live, web, "Account", '"Sales"."Account"')


def test_one_pass_of_a_worker_runs_every_queued_run_however_few_its_slots(
    live: LiveOrg,
) -> None:
    with live.workspace(workers=1) as workspace:
        run_ids = [
            workspace.queue_import(
                workspace.build_plan(
                    ImportSpec(connection="demo", folder=folder, objects=(ObjectChoice("Account"),))
                )
            )
            for folder in ("North", "South", "West")
        ]
        assert sorted(workspace.work_queue(until_empty=True)) == sorted(run_ids)
        assert {workspace.get_run(r).status for r in run_ids} == {"complete"}
        assert workspace.work_queue(until_empty=True) == []
