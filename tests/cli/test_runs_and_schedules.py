"""`resume`, `resolve`, `schedule`, `schedules` and `unschedule` against the real engine and the
emulator, and the exact commands a stopped run prints for what to do next."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from tests.cli.conftest import ADMIN, Run
from tests.cli.test_emulator_cli import LimitAfterFirstPage, browser_that_clicks

FIELD = {"object": "Lead", "field": "Rating"}


def control(base_url: str, what: str, body: dict[str, Any]) -> None:
    answer = httpx2.post(f"{base_url}/__emulator__/{what}", json=body)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def leads(connected: Run, base_url: str) -> Iterator[Run]:
    """``sfimport`` with Lead imported into Sales; the Rating field is restored afterwards."""
    imported = connected("import", "demo", "-o", "Lead", "-f", "Sales")
    assert imported.exit_code == 0, imported.output
    yield connected
    # Not asserted: the test may have restored it already (the emulator then answers 400).
    httpx2.post(f"{base_url}/__emulator__/fields", json={"action": "restore", **FIELD})


def columns(sfimport: Run, dataset: str) -> set[str]:
    preview = json.loads(sfimport("preview", dataset, "--limit", "1", "--json").stdout)
    return {c["name"] for c in preview["columns"]}


def run_id_of(output: str) -> str:
    match = re.search(r"^Run (\S+): ", output, re.MULTILINE)
    assert match, output
    return match.group(1)


@pytest.mark.parametrize(
    ("action", "restore_first", "rating_kept"),
    [
        ("continue-without-field", False, False),
        ("retry", True, True),
        ("reimport", False, False),
    ],
)
def test_a_removed_field_prints_the_resolve_commands_and_each_action_finishes_the_data_set(
    leads: Run, base_url: str, action: str, restore_first: bool, rating_kept: bool
) -> None:
    control(base_url, "fields", {"action": "remove", **FIELD})
    control(base_url, "clock", {"advance_seconds": 60})
    failed = leads("refresh", "Sales.Lead")
    assert failed.exit_code == 1, failed.output
    run_id = run_id_of(failed.stdout)
    assert "Rating" in failed.stderr
    offered = [
        f"sfimport resolve {run_id} --action reimport",
        f"sfimport resolve {run_id} --action retry",
        f"sfimport resolve {run_id} --action continue-without-field",
    ]
    assert failed.stderr.splitlines()[-4:] == ["Next, one of:", *(f"  {c}" for c in offered)]
    listed = json.loads(leads("runs", "--json").stdout)["runs"][0]
    assert listed["id"] == run_id and listed["next_commands"] == offered

    if restore_first:
        control(base_url, "fields", {"action": "restore", **FIELD})
        control(base_url, "clock", {"advance_seconds": 60})
    resolved = leads("resolve", run_id, "--action", action)
    assert resolved.exit_code == 0, resolved.output
    assert f"Run {run_id}: " not in resolved.stdout, "a new run, not the failed one"
    assert re.search(r"^Run \S+: Complete\.$", resolved.stdout, re.MULTILINE)
    assert "Lead: done" in resolved.stdout
    assert ("Rating" in columns(leads, "Sales.Lead")) is rating_kept


def test_resolve_needs_a_run_stopped_by_a_field_and_a_known_action(leads: Run) -> None:
    run_id = json.loads(leads("runs", "--json").stdout)["runs"][0]["id"]
    no_field = leads("resolve", run_id, "--action", "retry")
    assert no_field.exit_code == 2
    assert "no data set stopped by a missing field" in no_field.stderr
    unknown = leads("resolve", run_id, "--action", "ignore")
    assert unknown.exit_code == 2
    assert "'ignore' is not one of" in unknown.stderr


def test_a_run_waiting_for_the_limit_resumes_with_resume_run_id(
    workspace: Workspace, connected: Run, base_url: str
) -> None:
    limited = LimitAfterFirstPage(workspace, base_url)
    try:
        waiting = connected(
            "import",
            "demo",
            "-o",
            "Contact",
            "-f",
            "Sales",
            "--budget",
            "100",
            workspace_factory=lambda s: limited,
        )
    finally:
        control(base_url, "limits", {"max": 15000, "remaining": 15000})
    assert waiting.exit_code == 3, waiting.output
    run_id = run_id_of(waiting.stdout)
    resumed = connected("resume", run_id)
    assert resumed.exit_code == 0, resumed.output
    assert f"Run {run_id}: Complete." in resumed.stdout
    datasets = {
        d["qualified"]: d for d in json.loads(connected("datasets", "--json").stdout)["datasets"]
    }
    assert datasets["Sales.Contact"]["row_count"] > 0
    again = connected("resume", run_id)
    assert again.exit_code == 2
    assert "nothing to resume" in again.stderr


def test_schedules_per_data_set_and_per_connection_are_listed_and_removed(leads: Run) -> None:
    by_dataset = leads("schedule", "Sales.Lead", "--every", "1h")
    assert by_dataset.exit_code == 0, by_dataset.output
    assert by_dataset.stdout.startswith("Scheduled Sales.Lead every 1h; next run ")
    by_connection = leads("schedule", "--connection", "demo", "--every", "0 6 * * *", "--json")
    assert by_connection.exit_code == 0, by_connection.output
    assert json.loads(by_connection.stdout)["schedule"]["connection"] == "demo"

    listed = json.loads(leads("schedules", "--json").stdout)["schedules"]
    assert {(s["name"], s["dataset"], s["connection"], s["every"]) for s in listed} == {
        ("Sales.Lead", "Sales.Lead", None, "1h"),
        ("connection:demo", None, "demo", "0 6 * * *"),
    }
    table = leads("schedules").stdout.splitlines()
    assert table[0] == "Schedule\tRefreshes\tEvery\tNext run (UTC)"
    assert "connection:demo\tevery data set of connection 'demo'\t0 6 * * *\t" in table[2]

    assert leads("unschedule", "Lead").exit_code == 0  # a unique name finds Sales.Lead
    removed = leads("unschedule", "--connection", "demo")
    assert removed.exit_code == 0, removed.output
    assert "Removed the schedule of every data set of connection 'demo'." in removed.stdout
    assert json.loads(leads("schedules", "--json").stdout) == {"schedules": []}
    assert "No schedules." in leads("schedules").stdout

    gone = leads("unschedule", "Sales.Lead")
    assert gone.exit_code == 2
    assert gone.stderr.startswith("Error: There is no schedule for Sales.Lead.")


BAD_SCHEDULES = [
    (["schedule", "Sales.Lead", "--every", "sometimes"], "'sometimes' is not a schedule"),
    (["schedule", "--connection", "nobody", "--every", "1h"], "nobody"),
    (["schedule", "--every", "1h"], "Name a data set or pass --connection"),
    (["schedule", "Sales.Lead"], "Say how often with --every"),
    (["unschedule"], "Name the schedule to remove"),
]


def test_a_bad_schedule_is_exit_2_and_says_why(leads: Run) -> None:
    for args, says in BAD_SCHEDULES:
        result = leads(*args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.stderr.splitlines()[0], args
    assert json.loads(leads("schedules", "--json").stdout) == {"schedules": []}


class RevokedAfterFirstPage:
    """The real Workspace, with the admin's grant revoked in Salesforce once rows arrived."""

    def __init__(self, workspace: Workspace, base_url: str) -> None:
        self._workspace = workspace
        self._base_url = base_url

    def __getattr__(self, name: str) -> object:
        return getattr(self._workspace, name)

    def run_import(self, plan: object, on_event: Any = None) -> object:
        revoked = False

        def listener(event: Any) -> None:
            nonlocal revoked
            if not revoked and event.rows_done > 0:
                revoked = True
                control(self._base_url, "revoke", {"username": ADMIN})
            if on_event is not None:
                on_event(event)

        return self._workspace.run_import(plan, on_event=listener)  # type: ignore[arg-type]


def test_a_connection_revoked_mid_run_is_reauthorized_through_the_browser_and_resumed(
    workspace: Workspace, connected: Run, base_url: str
) -> None:
    assert connected("schedule", "--connection", "demo", "--every", "1d").exit_code == 0
    revoking = RevokedAfterFirstPage(workspace, base_url)
    stopped = connected(
        "import", "demo", "-o", "Contact", "-f", "Sales", workspace_factory=lambda s: revoking
    )
    assert stopped.exit_code == 1, stopped.output
    run_id = run_id_of(stopped.stdout)
    assert stopped.stderr.splitlines()[-3:] == [
        "Next, one of:",
        "  sfimport connect demo --reauthorize",
        f"  sfimport resume {run_id}",
    ]
    listed = json.loads(connected("connections", "--json").stdout)["connections"]
    assert [c["status"] for c in listed] == ["needs_reauth"]

    # The printed commands, as a person would run them: the login in a (scripted) browser,
    # its answer on the loopback redirect.
    threads: list[threading.Thread] = []
    again = connected(
        "connect",
        "demo",
        "--reauthorize",
        "--timeout",
        "20",
        open_browser=browser_that_clicks("allow", threads),
    )
    for thread in threads:
        thread.join()
    assert again.exit_code == 0, again.output
    assert "Re-authorised 'demo' as admin@sfimport-demo.example" in again.stdout
    listed = json.loads(connected("connections", "--json").stdout)["connections"]
    assert [(c["name"], c["status"]) for c in listed] == [("demo", "active")]
    schedules = json.loads(connected("schedules", "--json").stdout)["schedules"]
    assert [s["connection"] for s in schedules] == ["demo"]

    resumed = connected("resume", run_id)
    assert resumed.exit_code == 0, resumed.output
    assert f"Run {run_id}: Complete." in resumed.stdout


def test_reauthorize_keeps_the_connections_login_so_sandbox_and_login_url_are_refused(
    connected: Run,
) -> None:
    result = connected("connect", "demo", "--reauthorize", "--sandbox")
    assert result.exit_code == 2
    assert "--reauthorize logs in where the connection was made" in result.stderr
