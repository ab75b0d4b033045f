"""Every attempt is a run: a scheduled or manual refresh that fails before its first page (the
token revoked) is recorded with its error, remedy and actions, and My Data shows that failure
beside the data set's last success."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sfimport.app.workspace import Workspace
from sfimport.errors import ConnectionFailed
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.runs import DatasetStatus, RunStatus
from tests.e2e.refresh_org import ADMIN, LiveOrg, live_org


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 30, "Contact": 40}) as org:
        yield org


@pytest.fixture
def workspace(live: LiveOrg) -> Iterator[Workspace]:
    with live.workspace() as workspace:
        live.connect(workspace)
        plan = workspace.build_plan(
            ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
        )
        assert workspace.run_import(plan).status == "complete"
        yield workspace


def test_a_revoked_token_and_a_one_minute_schedule_record_a_failed_run_with_the_remedy(
    live: LiveOrg, workspace: Workspace
) -> None:
    workspace.set_schedule("Sales.Contact", "1m")
    live.control("revoke", {"username": ADMIN})
    live.advance(61)

    fired = workspace.run_due_schedules()  # nothing could start, yet the attempt is a run

    (failed, imported) = workspace.list_runs()
    assert fired == [failed.id]
    assert imported.kind == "import" and imported.status == "complete"
    assert (failed.kind, failed.status, failed.trigger) == ("refresh", "failed", "schedule")
    assert failed.error is not None
    assert failed.error.kind == "connection"
    assert "authoris" in failed.error.remedy.lower() or "authoriz" in failed.error.remedy.lower()
    assert failed.error.actions == ("reauthorize",)
    assert [(d.name, d.status) for d in failed.datasets] == [("Contact", "failed")]
    # Statuses are typed: enums that read and serialise as their values.
    assert failed.status is RunStatus.FAILED
    assert failed.datasets[0].status is DatasetStatus.FAILED

    dataset = workspace.get_dataset("Sales.Contact")
    assert dataset.status == "complete"  # the last success is still there...
    assert dataset.last_failure is not None  # ...and the failure beside it
    assert dataset.last_failure.run_id == failed.id
    assert dataset.last_failure.error is not None
    assert dataset.last_failure.error.remedy == failed.error.remedy


def test_a_manual_refresh_that_cannot_start_is_recorded_too(
    live: LiveOrg, workspace: Workspace
) -> None:
    live.advance(60)  # the org's clock drives the workspace: the refresh starts after the import
    live.control("revoke", {"username": ADMIN})
    with pytest.raises(ConnectionFailed):
        workspace.refresh(["Sales.Contact"])
    latest = workspace.list_runs()[0]
    assert (latest.kind, latest.status, latest.trigger) == ("refresh", "failed", "manual")
    assert latest.error is not None and latest.error.actions == ("reauthorize",)


def test_a_later_success_hides_an_older_failure(live: LiveOrg, workspace: Workspace) -> None:
    # The org's frozen clock drives the workspace: without a step the failed refresh ties with
    # the import that made the data set, and which one counts as newer is a coin toss.
    live.advance(60)
    live.control("revoke", {"username": ADMIN})
    with pytest.raises(ConnectionFailed):
        workspace.refresh(["Sales.Contact"])
    assert workspace.get_dataset("Sales.Contact").last_failure is not None
    live.advance(timedelta(minutes=5).total_seconds())
    live.connect(workspace, "demo2")  # a fresh grant; re-authorise "demo" with it
    minted = live.control("tokens", {"username": ADMIN})
    workspace.connect_with_refresh_token(
        "demo", minted["refresh_token"], login_url=live.base_url, reauthorize=True
    )
    assert workspace.refresh(["Sales.Contact"]).status == "complete"
    assert workspace.get_dataset("Sales.Contact").last_failure is None
