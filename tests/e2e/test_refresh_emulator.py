"""Refreshes against the emulator over loopback: inserts, updates and deletes made in the org
arrive, and every failure of the spec's error table ends with its message, remedy and actions,
leaving My Data intact. Faults are injected through the emulator's control API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sfimport.app.workspace import Workspace
from sfimport.errors import BudgetExceeded, StoreBusy, UsageError
from sfimport.extract.events import ProgressEvent
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.metadata import ConnectionStatus
from sfimport.store.mydata import MyData
from tests.e2e.refresh_org import ADMIN, LiveOrg, assert_exact_copy, live_org, my_rows

CONTACTS = '"Sales"."Contact"'
ACCOUNTS = '"Sales"."Account"'


#: Small enough to be quick; the daily-limit test needs two REST pages (over 2,000 rows).
SMALL = {"Account": 40, "Contact": 300}
TWO_PAGES = {"Account": 40, "Contact": 2600}


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveOrg]:
    scale = getattr(request, "param", SMALL)
    with live_org(tmp_path / "home", scale) as org:
        yield org


@pytest.fixture
def workspace(live: LiveOrg) -> Iterator[Workspace]:
    workspace = live.workspace()
    live.connect(workspace)
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        objects=(ObjectChoice("Account"), ObjectChoice("Contact")),
    )
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    live.advance(60)
    with workspace:
        yield workspace


def change_contacts(live: LiveOrg) -> list[str]:
    ids = sorted(live.live_rows("Contact"))
    live.control(
        "records/Contact",
        {
            "insert": [{"LastName": f"Newcomer{i}"} for i in range(3)],
            "update": [{"Id": ids[0], "LastName": "Renamed"}, {"Id": ids[1], "Title": "CFO"}],
            "delete": ids[2:6],
        },
    )
    live.advance(60)
    return ids


def test_refresh_picks_up_inserts_updates_and_deletes_exactly(
    live: LiveOrg, workspace: Workspace
) -> None:
    change_contacts(live)
    result = workspace.refresh(["Sales.Contact", "Sales.Account"])
    assert result.status == "complete", result.run
    contact = next(d for d in result.run.datasets if d.name == "Contact")
    assert (contact.added, contact.updated, contact.removed) == (3, 2, 4)
    assert contact.count_mismatch == 0
    account = next(d for d in result.run.datasets if d.name == "Account")
    assert (account.added, account.updated, account.removed) == (0, 0, 0)
    assert_exact_copy(live, workspace, "Contact", CONTACTS)
    assert_exact_copy(live, workspace, "Account", ACCOUNTS)
    assert workspace.get_dataset("Sales.Contact").row_count == len(live.live_rows("Contact"))


def test_refresh_reads_only_the_changes_not_the_whole_object(
    live: LiveOrg, workspace: Workspace
) -> None:
    change_contacts(live)
    before = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"]
    result = workspace.refresh(["Sales.Contact"])
    (contact,) = result.run.datasets
    assert contact.rows < 20, "only changed rows (and the small overlap) are read"
    used = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"] - before
    # describe + COUNT() to plan, one query page, one COUNT() check
    assert used <= 5


def test_a_new_field_appears_as_a_new_column_and_matches_the_org(
    live: LiveOrg, workspace: Workspace
) -> None:
    live.control(
        "fields", {"action": "hide", "object": "Contact", "field": "Title", "username": ADMIN}
    )
    live.advance(60)
    workspace.resolve_field_error(
        workspace.refresh(["Sales.Contact"]).run_id, "continue_without_field"
    )
    # (continue_without_field ran in the background; wait for every run to end)
    for run in workspace.list_runs():
        workspace.wait(run.id, timeout=30)
    assert "Title" not in {name for name, _ in workspace.get_dataset("Sales.Contact").columns}
    live.control(
        "fields", {"action": "show", "object": "Contact", "field": "Title", "username": ADMIN}
    )
    live.advance(60)
    result = workspace.refresh(["Sales.Contact"])
    assert result.status == "complete", result.run
    assert "Title" in {name for name, _ in workspace.get_dataset("Sales.Contact").columns}
    assert_exact_copy(live, workspace, "Contact", CONTACTS)


@pytest.mark.parametrize("how", ["hide", "remove"])
def test_a_field_gone_names_field_and_data_set_offers_three_actions_and_keeps_my_data(
    live: LiveOrg, workspace: Workspace, how: str
) -> None:
    before = my_rows(workspace, CONTACTS)
    live.control(
        "fields", {"action": how, "object": "Contact", "field": "Title", "username": ADMIN}
    )
    change_contacts(live)
    result = workspace.refresh(["Sales.Contact"])
    assert result.status == "failed"
    assert result.run.error is not None
    error = result.run.error
    assert error.kind == "field_unavailable" and error.field == "Title"
    assert "Title" in error.message and "Sales.Contact" in error.message
    assert "re-import" in error.remedy and "restore the field" in error.remedy
    assert error.actions == ("reimport", "retry", "continue_without_field")
    assert my_rows(workspace, CONTACTS) == before

    if how == "hide":
        run_id = workspace.resolve_field_error(result.run_id, "continue_without_field")
        assert workspace.wait(run_id, timeout=30).status == "complete"
        assert "Title" not in my_rows(workspace, CONTACTS)[next(iter(before))]
    else:
        live.control("fields", {"action": "restore", "object": "Contact", "field": "Title"})
        live.advance(60)
        run_id = workspace.resolve_field_error(result.run_id, "retry")
        assert workspace.wait(run_id, timeout=30).status == "complete"
        assert_exact_copy(live, workspace, "Contact", CONTACTS)


def test_reimport_action_imports_the_data_set_fresh_without_the_field(
    live: LiveOrg, workspace: Workspace
) -> None:
    live.control("fields", {"action": "remove", "object": "Contact", "field": "Title"})
    live.advance(60)
    failed = workspace.refresh(["Sales.Contact"])
    run_id = workspace.resolve_field_error(failed.run_id, "reimport")
    assert workspace.wait(run_id, timeout=30).status == "complete"
    assert_exact_copy(live, workspace, "Contact", CONTACTS)


@pytest.mark.parametrize("fault", ["revoke", "block_app"])
def test_a_dead_connection_stops_with_the_generic_error_and_needs_reauthorisation(
    live: LiveOrg, workspace: Workspace, fault: str
) -> None:
    before = my_rows(workspace, CONTACTS)
    change_contacts(live)
    if fault == "revoke":
        live.control("revoke", {"username": ADMIN})
    else:
        live.control("app", {"blocked": True})
    # The access token the workspace holds dies with the grant; refreshing it fails too.
    with pytest.raises(Exception) as raised:
        workspace.refresh(["Sales.Contact"])
    error = raised.value
    assert getattr(error, "kind", None) == "connection"
    assert "no longer works" in str(error)
    assert "Unblock the app" in getattr(error, "remedy", "")
    assert workspace.get_connection("demo").status == ConnectionStatus.NEEDS_REAUTH
    assert my_rows(workspace, CONTACTS) == before


def test_a_connection_that_dies_mid_run_marks_the_run_and_the_connection(
    live: LiveOrg, workspace: Workspace
) -> None:
    before = my_rows(workspace, CONTACTS)
    change_contacts(live)
    plans = workspace.plan_refreshes(["Sales.Contact"])  # planned while the grant is alive
    live.control("revoke", {"username": ADMIN})
    result = workspace.run_import(plans[0])
    assert result.status == "failed"
    assert result.run.error is not None and result.run.error.kind == "connection"
    assert "reauthorize" in result.run.error.actions
    assert workspace.get_connection("demo").status == ConnectionStatus.NEEDS_REAUTH
    assert my_rows(workspace, CONTACTS) == before


def test_api_disabled_for_the_user_gives_its_error_and_remedy(
    live: LiveOrg, workspace: Workspace
) -> None:
    before = my_rows(workspace, CONTACTS)
    plans = workspace.plan_refreshes(["Sales.Contact"])
    live.control(
        "permissions", {"username": ADMIN, "permission": "PermissionsApiEnabled", "enabled": False}
    )
    result = workspace.run_import(plans[0])
    assert result.status == "failed"
    error = result.run.error
    assert error is not None and error.kind == "api_disabled"
    assert "API Enabled" in error.remedy
    assert my_rows(workspace, CONTACTS) == before


def test_server_errors_are_retried_and_the_refresh_still_matches(
    live: LiveOrg, workspace: Workspace
) -> None:
    change_contacts(live)
    live.control("faults", {"error_rate": 0.4, "error_statuses": [500, 503], "seed": 3})
    try:
        result = workspace.refresh(["Sales.Contact", "Sales.Account"])
    finally:
        live.control("faults", {})
    assert result.status == "complete", result.run
    assert_exact_copy(live, workspace, "Contact", CONTACTS)


@pytest.mark.parametrize("live", [TWO_PAGES], indirect=True)
def test_daily_limit_mid_run_waits_keeps_what_completed_and_resumes_after_the_reset(
    live: LiveOrg, workspace: Workspace
) -> None:
    before = my_rows(workspace, CONTACTS)
    change_contacts(live)
    plans = workspace.plan_refreshes(["Sales.Contact"], whole=True)

    def use_up_the_allowance(event: ProgressEvent) -> None:
        # Other apps take the rest of the day's calls once the first page is in.
        if event.pages == 1 and event.phase == "downloading":
            live.control("limits", {"remaining": 0})

    result = workspace.run_import(plans[0], on_event=use_up_the_allowance)
    assert result.status == "waiting_for_limit"
    assert result.run.resume_at is not None and result.run.resume_at > live.org.clock.now()
    assert result.run.error is not None and result.run.error.kind == "daily_limit"
    assert my_rows(workspace, CONTACTS) == before, "nothing partial is published"
    assert workspace.resume_waiting_runs() == [], "not before the resume time"

    live.advance(24 * 3600)  # the org's allowance resets
    assert workspace.resume_waiting_runs() == [result.run_id]
    resumed = workspace.wait(result.run_id, timeout=30)
    assert resumed.status == "complete", resumed
    (contact,) = resumed.datasets
    assert contact.pages == 2, "the page read before the limit was not read again"
    assert_exact_copy(live, workspace, "Contact", CONTACTS)


def test_a_run_over_its_budget_starts_nothing(live: LiveOrg, workspace: Workspace) -> None:
    # 796 of 1,000 used once the limits are read: the 80% budget leaves 4 calls, enough to
    # plan (describe, COUNT()) but not to import.
    live.control("limits", {"max": 1000, "remaining": 205})
    spec = ImportSpec(
        connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),), budget_percent=80
    )
    plan = workspace.build_plan(spec)
    assert not plan.within_budget
    with pytest.raises(BudgetExceeded):
        workspace.run_import(plan)
    # With no call left in the budget, planning itself is refused before describe or COUNT().
    live.control("limits", {"max": 1000, "remaining": 201})
    used = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"]
    with pytest.raises(BudgetExceeded, match="Planning this import needs 2 API calls"):
        workspace.build_plan(spec)
    assert live.control("clock", {"advance_seconds": 0})["api_requests"]["used"] == used + 1


@pytest.mark.parametrize("live", [TWO_PAGES], indirect=True)
def test_the_budget_is_never_crossed_when_calls_run_out_mid_run(
    live: LiveOrg, workspace: Workspace
) -> None:
    live.control("limits", {"max": 1000, "remaining": 216})
    spec = ImportSpec(
        connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),), budget_percent=80
    )
    plan = workspace.build_plan(spec)
    assert plan.within_budget
    used_at_plan = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"]
    ceiling = 800
    # Other apps spend calls meanwhile: the run must stop before the org passes 80%.
    live.control("limits", {"remaining": 1000 - (ceiling - 1)})
    result = workspace.run_import(plan)
    used = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"]
    assert used_at_plan < ceiling
    assert used <= ceiling
    assert result.status == "waiting_for_limit"
    assert result.run.error is not None and result.run.error.kind == "api_budget"


@pytest.mark.parametrize("live", [TWO_PAGES], indirect=True)
def test_expired_query_locators_are_read_again_and_the_run_still_matches(
    live: LiveOrg, workspace: Workspace
) -> None:
    change_contacts(live)
    (plan,) = workspace.plan_refreshes(["Sales.Contact"], whole=True)
    expired: list[int] = []

    def expire_after_first_page(event: ProgressEvent) -> None:
        if event.pages == 1 and event.phase == "downloading" and not expired:
            expired.append(live.control("locators/expire", {})["expired_cursors"])

    result = workspace.run_import(plan, on_event=expire_after_first_page)
    assert expired == [1]
    assert result.status == "complete", result.run
    assert_exact_copy(live, workspace, "Contact", CONTACTS)


def test_schedules_refresh_a_data_set_and_a_whole_connection_when_due(
    live: LiveOrg, workspace: Workspace
) -> None:
    schedule = workspace.set_schedule("Sales.Contact", "1h")
    assert schedule.next_run_at == live.org.clock.now() + timedelta(hours=1)
    assert workspace.get_dataset("Sales.Contact").schedule == "1h"
    assert workspace.run_due_schedules() == []
    change_contacts(live)
    live.advance(3600)
    (run_id,) = workspace.run_due_schedules()
    assert workspace.wait(run_id, timeout=30).status == "complete"
    assert_exact_copy(live, workspace, "Contact", CONTACTS)

    workspace.remove_schedule("Sales.Contact")
    workspace.set_connection_schedule("demo", "0 6 * * *")
    live.advance(24 * 3600)
    started = workspace.run_due_schedules()
    runs = [workspace.wait(r, timeout=30) for r in started]
    assert {d.name for run in runs for d in run.datasets} == {"Account", "Contact"}
    assert all(run.status == "complete" for run in runs)
    with pytest.raises(UsageError):
        workspace.set_connection_schedule("demo", "every tuesday")


def test_default_concealment_carries_through_refreshes_to_fields_that_appear_later(
    live: LiveOrg,
) -> None:
    workspace = live.workspace()
    live.connect(workspace)
    hidden = {"object": "Contact", "field": "Email", "username": ADMIN}
    live.control("fields", {"action": "hide", **hidden})
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        objects=(ObjectChoice("Contact"),),
        conceal={"Contact": None},
    )
    with workspace:
        assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
        live.advance(60)
        assert workspace.refresh(["Sales.Contact"]).status == "complete"
        live.control("fields", {"action": "show", **hidden})
        live.advance(60)
        assert workspace.refresh(["Sales.Contact"]).status == "complete"
        dataset = workspace.get_dataset("Sales.Contact")
        assert "Email" in dataset.concealed
        emails = workspace.query('SELECT "Email" FROM "Sales"."Contact" WHERE "Email" IS NOT NULL')
        assert emails.rows
        assert all(email.endswith("@concealed.invalid") for (email,) in emails.rows)
        raw = {row["Email"] for row in live.live_rows("Contact").values() if row.get("Email")}
        assert raw and not raw & {email for (email,) in emails.rows}


def test_my_data_locked_at_publish_keeps_the_download_and_resumes_without_reading_again(
    live: LiveOrg, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = my_rows(workspace, CONTACTS)
    change_contacts(live)
    real_merge = MyData.merge
    real_publish = MyData.publish

    def locked(*args: object, **kwargs: object) -> object:
        raise StoreBusy("My Data stayed locked by another process for 30 s.")

    monkeypatch.setattr(MyData, "merge", locked)
    monkeypatch.setattr(MyData, "publish", locked)
    result = workspace.refresh(["Sales.Contact"])
    assert result.status != "complete"
    (contact,) = result.run.datasets
    assert contact.status == "interrupted"
    assert result.run.error is not None and "resume" in result.run.error.actions
    assert my_rows(workspace, CONTACTS) == before

    monkeypatch.setattr(MyData, "merge", real_merge)
    monkeypatch.setattr(MyData, "publish", real_publish)
    calls_before = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"]
    resumed = workspace.resume_run(result.run_id)
    assert resumed.status == "complete", resumed.run
    used = live.control("clock", {"advance_seconds": 0})["api_requests"]["used"] - calls_before
    assert used <= 2, "the staged pages were published, not downloaded again"
    assert_exact_copy(live, workspace, "Contact", CONTACTS)
