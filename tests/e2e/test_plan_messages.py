"""What a person reads when a plan cannot be made, against the emulator: unsupported objects
say why, unknown objects and reports are named, and an org whose daily API allowance is used up
starts nothing and says when to try again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import (
    build_demo_org,
    create_emulator,
    serve_in_thread,
)
from sfimport.errors import DailyLimitExceeded, NotFound, NotSupportedObject
from sfimport.extract.spec import ImportSpec, ObjectChoice

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def base_url() -> Iterator[str]:
    org = build_demo_org(scale={"Account": 50, "Contact": 50})
    with serve_in_thread(create_emulator(org)) as server:
        yield server.base_url


@pytest.fixture
def workspace_clock() -> Callable[[], datetime]:
    return lambda: NOW


def spec(*objects: str, reports: tuple[str, ...] = ()) -> ImportSpec:
    return ImportSpec(
        connection="demo",
        folder="Sales",
        objects=tuple(ObjectChoice(name) for name in objects),
        reports=reports,
    )


def test_a_change_event_object_is_refused_as_a_stream_with_its_source_object_named(
    workspace: Workspace,
) -> None:
    with pytest.raises(NotSupportedObject) as refused:
        workspace.build_plan(spec("AccountChangeEvent"))
    assert "not supported" in refused.value.message
    assert "change-event" in refused.value.message
    assert "Account" in refused.value.remedy and "instead" in refused.value.remedy


def test_an_object_on_the_unsupported_list_says_it_is_on_the_list(workspace: Workspace) -> None:
    with pytest.raises(NotSupportedObject) as refused:
        workspace.build_plan(spec("CaseStatus"))
    assert "not supported" in refused.value.message
    assert "list of unsupported objects" in refused.value.message
    assert "Choose another object" in refused.value.remedy


def test_an_unknown_object_is_named_instead_of_salesforces_generic_words(
    workspace: Workspace,
) -> None:
    with pytest.raises(NotFound) as missing:
        workspace.build_plan(spec("Account", "Foo"))
    assert missing.value.message == (
        "Salesforce has no object named 'Foo' that this user can read."
    )
    assert "requested resource" not in missing.value.describe()


@pytest.mark.parametrize("ref", ["No Such Report", "00O000000000000AAA"])
def test_an_unknown_report_is_named(workspace: Workspace, ref: str) -> None:
    with pytest.raises(NotFound) as missing:
        workspace.build_plan(spec(reports=(ref,)))
    assert f"Salesforce has no report {ref!r}" in missing.value.message
    assert "requested resource" not in missing.value.describe()


def exhaust_allowance(base_url: str) -> None:
    httpx2.post(f"{base_url}/__emulator__/limits", json={"max": 15000, "remaining": 0})


def test_planning_with_the_daily_allowance_used_up_starts_nothing_and_says_when_to_retry(
    workspace: Workspace, base_url: str
) -> None:
    exhaust_allowance(base_url)
    with pytest.raises(DailyLimitExceeded) as refused:
        workspace.build_plan(spec("Account"))
    assert "nothing was started" in refused.value.message
    assert "try again after 2026-03-05 11:00 UTC" in refused.value.remedy
    assert "rolling 24 hours" in refused.value.remedy
    assert "automatically" not in refused.value.describe()
    assert workspace.list_runs() == []


def test_a_refresh_with_the_daily_allowance_used_up_starts_nothing_but_is_recorded(
    workspace: Workspace, base_url: str
) -> None:
    assert workspace.run_import(workspace.build_plan(spec("Account"))).status == "complete"
    exhaust_allowance(base_url)
    with pytest.raises(DailyLimitExceeded) as refused:
        workspace.refresh(["Sales.Account"])
    assert "nothing was started" in refused.value.message
    assert "try again after" in refused.value.remedy
    # Every attempt is a run: this one failed before its first page, with the same words.
    attempt, imported = workspace.list_runs()
    assert imported.status == "complete"
    assert (attempt.kind, attempt.status) == ("refresh", "failed")
    assert attempt.error is not None and attempt.error.remedy == refused.value.remedy
    assert [(d.name, d.rows, d.api_calls) for d in attempt.datasets] == [("Account", 0, 0)]
