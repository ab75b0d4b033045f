"""The background loop starts due schedules and resumes waiting runs while the app runs."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from sfimport.web import create_app
from sfimport.web.scheduler import SchedulerLoop
from tests.fakes.services import FakeServices


def test_the_scheduler_runs_while_the_app_is_up_and_stops_with_it(
    workspace: FakeServices,
) -> None:
    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=0.01)
    with TestClient(app, base_url="http://127.0.0.1:8000"):
        deadline = time.monotonic() + 5
        while workspace.scheduler_ticks < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert workspace.scheduler_ticks >= 2
    ticks = workspace.scheduler_ticks
    time.sleep(0.05)
    assert workspace.scheduler_ticks == ticks


def test_a_failing_pass_does_not_stop_the_loop(workspace: FakeServices) -> None:
    calls: list[int] = []

    def boom() -> list[str]:
        calls.append(1)
        raise RuntimeError("org unreachable")

    workspace.run_due_schedules = boom  # type: ignore[method-assign]
    loop = SchedulerLoop(workspace)
    loop.tick()
    loop.tick()
    assert len(calls) == 2
    assert workspace.scheduler_ticks == 2
