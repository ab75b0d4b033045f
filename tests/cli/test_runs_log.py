"""`sfimport runs --log RUN_ID`: the run's log on stdout (or in JSON), a note when it logged
nothing, and the not-found error for an unknown run."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke
from tests.fakes.services import FakeServices, interrupted_run


def test_runs_log_prints_the_log_and_json(invoke: Invoke, fake: FakeServices) -> None:
    run_id = interrupted_run(fake, "Sales.Lead", connection="prod")
    fake.logs[run_id] = "one\ntwo\n"
    shown = invoke(["runs", "--log", run_id])
    assert shown.exit_code == 0
    assert shown.stdout == "one\ntwo\n"
    as_json = json.loads(invoke(["runs", "--log", run_id, "--json"]).stdout)
    assert as_json == {"run_id": run_id, "log": "one\ntwo\n"}


def test_runs_log_of_a_silent_run_and_of_an_unknown_run(invoke: Invoke, fake: FakeServices) -> None:
    run_id = interrupted_run(fake, "Sales.Lead", connection="prod")
    silent = invoke(["runs", "--log", run_id])
    assert silent.exit_code == 0
    assert f"Run {run_id} has no log lines." in silent.stderr
    missing = invoke(["runs", "--log", "nosuch"])
    assert missing.exit_code != 0
    assert "There is no run nosuch." in missing.stderr
