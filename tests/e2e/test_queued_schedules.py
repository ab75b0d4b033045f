"""Scheduled and resumed work through the job queue: `sfimport scheduler --queue` processes
put each due schedule's refresh and each due resume on the queue once, however many of them
pass at once, and `sfimport worker` runs it; `sfimport resume RUN --queue` returns the run id
and a worker finishes the run to an exact copy of the org."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select

from sfimport.app.workspace import Workspace
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.jobs.sql import jobs_table
from tests.e2e.refresh_org import LiveOrg, assert_exact_copy, live_org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))
pytestmark = pytest.mark.slow

#: Read over REST in pages of 2,000 rows: an import stopped after its first page is unfinished.
CONTACTS = 5_000
CONTACT = ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": CONTACTS}) as org:
        with org.workspace() as workspace:
            org.connect(workspace)
        yield org


def sfimport(live: LiveOrg, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [SFIMPORT, *args], env=live.cli_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    return done


def service(live: LiveOrg, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SFIMPORT, *args, "--interval", "0.2"],
        env=live.cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class HoldSecondPage(httpx2.BaseTransport):
    """Holds a query's next page until released, so the run is stopped after its first."""

    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        self.reached = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if "/query/" in request.url.path and not self.reached.is_set():
            self.reached.set()
            self.release.wait(10)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def stopped_import(live: LiveOrg) -> str:
    """A Contact import stopped after its first page (its process closed): resumable."""
    hold = HoldSecondPage()
    workspace = Workspace(
        live.settings(), transport=hold, clock=live.org.clock.now, sleep=lambda s: None
    )
    run_id = workspace.start_import(workspace.build_plan(CONTACT))
    assert hold.reached.wait(30)
    threading.Timer(0.2, hold.release.set).start()
    workspace.close()
    with live.workspace() as again:
        stopped = again.get_run(run_id)
        assert stopped.status == "failed" and stopped.error is not None
        assert stopped.error.actions == ("resume",) and stopped.resume_at is not None
        assert stopped.datasets[0].rows < CONTACTS
    return run_id


def jobs_of(workspace: Workspace, run_id: str) -> int:
    """How many jobs the queue holds for a run, whatever their status."""
    with workspace._ledger.engine.connect() as connection:
        ids = connection.scalars(select(jobs_table.c.id).where(jobs_table.c.run_id == run_id))
        return len(ids.all())


def import_and_schedule(live: LiveOrg) -> None:
    """Sales.Contact imported, then scheduled daily with its next run already due."""
    with live.workspace() as workspace:
        assert workspace.run_import(workspace.build_plan(CONTACT)).status == "complete"
        workspace.set_schedule("Sales.Contact", "1d")
        workspace._schedules.set("Sales.Contact", "1d", live.org.clock.now() - timedelta(minutes=1))


def test_a_queue_scheduler_that_saw_the_schedule_due_too_late_queues_nothing(
    live: LiveOrg,
) -> None:
    import_and_schedule(live)
    with live.workspace() as first, live.workspace() as second:
        seen = second.list_schedules()  # the second scheduler reads: due...
        second._schedules.all = lambda: seen  # type: ignore[method-assign]
        (run_id,) = first.run_due_schedules(queue=True)  # ...the first queues it...
        assert second.run_due_schedules(queue=True) == []  # ...the second's claim misses
        assert first.get_run(run_id).status == "queued"
        assert jobs_of(first, run_id) == 1


def test_two_queue_schedulers_queue_a_due_schedule_once_and_a_worker_runs_it(
    live: LiveOrg,
) -> None:
    import_and_schedule(live)
    schedulers = [service(live, "scheduler", "--queue") for _ in range(2)]
    worker = service(live, "worker")
    processes = [*schedulers, worker]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with Workspace(live.settings()) as workspace:
                runs = [r for r in workspace.list_runs() if r.trigger == "schedule"]
            if runs and all(r.status == "complete" for r in runs):
                break
            time.sleep(0.3)
        time.sleep(1.0)  # the schedulers keep passing over the (no longer due) schedule
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=60) for process in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    with Workspace(live.settings()) as workspace:
        runs = [r for r in workspace.list_runs() if r.trigger == "schedule"]
        assert [r.status for r in runs] == ["complete"], outputs
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
        assert jobs_of(workspace, runs[0].id) == 1
    (run,) = runs
    queued = sorted(out.count(f"queued run {run.id}") for out, _ in outputs[:2])
    assert queued == [0, 1], outputs
    assert not any("started run" in out for out, _ in outputs[:2]), "a queue scheduler runs none"
    assert f"took run {run.id}" in outputs[2][0], outputs


def test_resume_queue_returns_the_run_id_and_a_worker_finishes_the_run_exactly(
    live: LiveOrg,
) -> None:
    run_id = stopped_import(live)
    answer = json.loads(sfimport(live, "resume", run_id, "--queue", "--json").stdout)
    assert answer == {"run_id": run_id, "status": "queued"}
    with live.workspace() as workspace:
        assert workspace.get_run(run_id).status == "queued"
        assert jobs_of(workspace, run_id) == 1
    again = sfimport(live, "resume", run_id, "--queue", code=2)
    assert "nothing to resume" in again.stderr

    ran = json.loads(sfimport(live, "worker", "--once", "--json").stdout)
    assert ran["runs"] == [{"id": run_id, "status": "complete"}]
    with live.workspace() as workspace:
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
    state = httpx2.get(f"{live.base_url}/__emulator__/state").json()
    assert state["open_cursors"] == 0, state


def test_two_queue_schedulers_queue_a_due_resume_once(live: LiveOrg) -> None:
    run_id = stopped_import(live)
    with live.workspace() as first, live.workspace() as second:
        seen = second._ledger.due_for_resume(live.org.clock.now())  # the second reads: due...
        second._ledger.due_for_resume = lambda now: seen  # type: ignore[method-assign]
        assert first.resume_waiting_runs(queue=True) == [run_id]  # ...the first queues it...
        assert second.resume_waiting_runs(queue=True) == []  # ...the second's claim misses
        assert first.get_run(run_id).status == "queued"
        assert jobs_of(first, run_id) == 1
    ran = json.loads(sfimport(live, "worker", "--once", "--json").stdout)
    assert ran["runs"] == [{"id": run_id, "status": "complete"}], "one job, run once"
    with live.workspace() as workspace:
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
