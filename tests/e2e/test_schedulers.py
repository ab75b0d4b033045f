"""Schedulers on one data folder: a due schedule fires exactly once however many schedulers
(threads, `sfimport scheduler` processes, `sfimport refresh --due` passes) see it due at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.e2e.refresh_org import LiveOrg, live_org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": 30}) as org:
        yield org


def _import_and_schedule(live: LiveOrg) -> None:
    """Sales.Contact imported, then scheduled daily with its next run already due."""
    with live.workspace() as workspace:
        live.connect(workspace)
        plan = workspace.build_plan(
            ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
        )
        assert workspace.run_import(plan).status == "complete"
        workspace.set_schedule("Sales.Contact", "1d")
        due = live.org.clock.now() - timedelta(minutes=1)
        workspace._schedules.set("Sales.Contact", "1d", due)


def _scheduled_runs(live: LiveOrg) -> list[str]:
    with Workspace(live.settings()) as workspace:
        return [r.id for r in workspace.list_runs() if r.trigger == "schedule"]


def test_a_scheduler_that_saw_the_schedule_due_too_late_does_not_fire_it_again(
    live: LiveOrg,
) -> None:
    _import_and_schedule(live)
    with live.workspace() as first, live.workspace() as second:
        seen = second.list_schedules()  # the second scheduler reads: due...
        second._schedules.all = lambda: seen  # type: ignore[method-assign]
        fired = first.run_due_schedules()  # ...the first fires it meanwhile...
        assert len(fired) == 1
        assert second.run_due_schedules() == []  # ...so the second's claim matches nothing
        first.wait(fired[0])
    assert _scheduled_runs(live) == fired


def test_refresh_due_runs_what_is_due_once_then_nothing(live: LiveOrg) -> None:
    _import_and_schedule(live)
    env = {
        "SFIMPORT_PRODUCTION_LOGIN_URL": live.base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }
    runner = CliRunner()
    first = runner.invoke(app, ["--home", str(live.home), "refresh", "--due"], env=env)
    assert first.exit_code == 0, first.output
    assert "complete" in first.stdout and "Contact" in first.stdout
    second = runner.invoke(app, ["--home", str(live.home), "refresh", "--due"], env=env)
    assert second.exit_code == 0
    assert "Nothing is due." in second.stdout
    assert len(_scheduled_runs(live)) == 1


@pytest.mark.slow
def test_two_scheduler_processes_fire_a_due_schedule_once(live: LiveOrg) -> None:
    _import_and_schedule(live)
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(live.home),
        "SFIMPORT_PRODUCTION_LOGIN_URL": live.base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }
    schedulers = [
        subprocess.Popen(
            [SFIMPORT, "scheduler", "--interval", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 90
        runs: list[str] = []
        while time.monotonic() < deadline:
            runs = _scheduled_runs(live)
            with Workspace(live.settings()) as workspace:
                if runs and all(workspace.get_run(r).status != "running" for r in runs):
                    break
            time.sleep(0.3)
        time.sleep(2.0)  # both keep passing over the (no longer due) schedule
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=60) for process in schedulers]
    assert all(p.returncode == 0 for p in schedulers), outputs
    runs = _scheduled_runs(live)
    assert len(runs) == 1, outputs
    started = [out.count("started run") for out, _ in outputs]
    assert sorted(started) == [0, 1], outputs
    with Workspace(live.settings()) as workspace:
        assert workspace.get_run(runs[0]).status == "complete"
