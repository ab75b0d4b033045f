"""The change log of a refresh matches exactly what was changed in the org, concealed columns
stay concealed in it, and history mode answers "as of" across updates and deletes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sfimport.app.history import ChangeKind, changes_json
from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.web import create_app
from tests.e2e.refresh_org import LiveOrg, live_org, my_rows

CONTACTS = '"Sales"."Contact"'
#: Salesforce sets these itself on every change.
AUDIT = {"SystemModstamp", "LastModifiedDate", "LastModifiedById"}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": 120}) as org:
        yield org


@pytest.fixture
def workspace(live: LiveOrg) -> Iterator[Workspace]:
    workspace = live.workspace()
    live.connect(workspace)
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        objects=(ObjectChoice("Contact"),),
        conceal={"Contact": ("Email",)},
    )
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    live.advance(60)
    with workspace:
        yield workspace


def changed_columns(before: dict[str, Any], after: dict[str, Any], kept: set[str]) -> set[str]:
    return {c for c in kept if c in after and before.get(c) != after.get(c)}


def test_the_change_log_of_a_refresh_is_exactly_what_changed_in_the_org(
    live: LiveOrg, workspace: Workspace
) -> None:
    before = live.live_rows("Contact")
    ids = sorted(before)
    live.control(
        "records/Contact",
        {
            "insert": [{"LastName": f"Newcomer{i}"} for i in range(3)],
            "update": [
                {"Id": ids[0], "LastName": "Renamed"},
                {"Id": ids[1], "Title": "CFO", "Department": "Finance"},
                {"Id": ids[2], "Email": "new.person@example.com"},
            ],
            "delete": ids[3:6],
        },
    )
    live.advance(60)
    after = live.live_rows("Contact")
    assert workspace.refresh(["Sales.Contact"]).status == "complete"

    (run,) = workspace.changes("Sales.Contact")
    assert set(run.ids(ChangeKind.ADDED)) == set(after) - set(before)
    assert set(run.ids(ChangeKind.REMOVED)) == set(ids[3:6])
    kept = {c.name for c in workspace.get_dataset("Sales.Contact").columns}
    updated = {r.record_id: r for r in run.records if r.kind is ChangeKind.UPDATED}
    assert set(updated) == set(ids[:3])
    for record_id, record in updated.items():
        logged = {c.column for c in record.columns}
        assert logged - AUDIT == changed_columns(before[record_id], after[record_id], kept) - AUDIT
        assert "SystemModstamp" in logged
    values = {c.column: (c.old, c.new) for c in updated[ids[0]].columns}
    assert values["LastName"] == (before[ids[0]]["LastName"], "Renamed")
    values = {c.column: (c.old, c.new) for c in updated[ids[1]].columns}
    assert values["Title"] == (before[ids[1]]["Title"] or None, "CFO")
    assert values["Department"] == (before[ids[1]]["Department"] or None, "Finance")

    # A concealed column's change is logged as pseudonyms: the ones My Data holds, never raw.
    old, new = {c.column: (c.old, c.new) for c in updated[ids[2]].columns}["Email"]
    assert new == my_rows(workspace, CONTACTS)[ids[2]]["Email"]
    assert new != "new.person@example.com" and old != before[ids[2]]["Email"]
    logged_text = repr(workspace.changes("Sales.Contact"))
    assert "new.person@example.com" not in logged_text
    assert str(before[ids[2]]["Email"]) not in logged_text

    # A refresh that finds nothing new logs nothing.
    live.advance(60)
    assert workspace.refresh(["Sales.Contact"]).status == "complete"
    assert len(workspace.changes("Sales.Contact")) == 1


def test_history_mode_answers_as_of_across_updates_and_deletes(
    live: LiveOrg, workspace: Workspace
) -> None:
    workspace.set_history_mode("Sales.Contact", True)
    ids = sorted(live.live_rows("Contact"))
    first = live.org.clock.now()
    live.advance(60)
    live.control("records/Contact", {"update": [{"Id": ids[0], "LastName": "Second"}]})
    live.advance(60)
    assert workspace.refresh(["Sales.Contact"]).status == "complete"
    second = live.org.clock.now()
    live.advance(60)
    live.control("records/Contact", {"delete": [ids[0]]})
    live.advance(60)
    assert workspace.refresh(["Sales.Contact"]).status == "complete"
    gone = live.org.clock.now()

    def last_name(moment: Any) -> str | None:
        rows = workspace.as_of("Sales.Contact", moment, limit=10_000)
        names = [name for name, _ in rows.columns]
        found = [r for r in rows.rows if r[names.index("Id")] == ids[0]]
        return None if not found else str(found[0][names.index("LastName")])

    original = live.live_rows("Contact")[ids[1]]  # untouched throughout
    assert last_name(first) not in (None, "Second")
    assert last_name(second) == "Second"
    assert last_name(gone) is None
    everyone = workspace.as_of("Sales.Contact", gone, limit=10_000)
    assert len(everyone.rows) == len(live.live_rows("Contact"))
    assert original["Id"] in {r[0] for r in everyone.rows}
    # Pipes and SQL read the versions as a table of My Data.
    table = workspace.dataset_history("Sales.Contact").history_table
    assert table == '"Sales"."Contact__history"'
    versions = workspace.query(f"SELECT count(*) FROM {table} WHERE \"Id\" = '{ids[0]}'")
    assert versions.rows[0][0] == 2


def test_cli_web_and_api_show_the_same_change_log(live: LiveOrg, workspace: Workspace) -> None:
    ids = sorted(live.live_rows("Contact"))
    live.control(
        "records/Contact",
        {"update": [{"Id": ids[0], "LastName": "Renamed"}], "delete": [ids[1]]},
    )
    live.advance(60)
    assert workspace.refresh(["Sales.Contact"]).status == "complete"
    expected = changes_json(workspace.changes("Sales.Contact"))
    assert expected[0]["removed"] == [ids[1]]

    runner = CliRunner()
    home = ["--home", str(live.home)]
    shown = runner.invoke(app, [*home, "changes", "Sales.Contact", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["changes"] == expected
    table = runner.invoke(app, [*home, "changes", "Sales.Contact"])
    assert "Renamed" in table.stdout and ids[1] in table.stdout
    later = runner.invoke(app, [*home, "changes", "Sales.Contact", "--since", "2999-01-01"])
    assert later.exit_code == 0 and "Renamed" not in later.stdout
    bad = runner.invoke(app, [*home, "changes", "Sales.Contact", "--since", "yesterday"])
    assert bad.exit_code == 2 and "Error:" in bad.output
    on = runner.invoke(app, [*home, "history", "Sales.Contact", "--on", "--formulas", "daily"])
    assert on.exit_code == 0, on.output
    assert '"Sales"."Contact__history"' in on.stdout
    now = live.org.clock.now().isoformat()
    as_of = runner.invoke(
        app, [*home, "history", "Sales.Contact", "--as-of", now, "--limit", "1000", "--json"]
    )
    assert as_of.exit_code == 0, as_of.output
    rows = json.loads(as_of.stdout)["result"]["rows"]
    assert len(rows) == len(live.live_rows("Contact"))
    listed = runner.invoke(app, [*home, "datasets", "--json"])
    (entry,) = json.loads(listed.stdout)["datasets"]
    assert entry["history_mode"] is True and entry["formulas_every"] == "daily"

    web = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    with TestClient(web, base_url="http://127.0.0.1:8000") as client:
        page = client.get("/mydata/Sales.Contact/changes")
        assert page.status_code == 200
        assert "What changed" in page.text and "Renamed" in page.text and ids[1] in page.text
        assert "Contact__history" in page.text
        assert "What changed" in client.get("/mydata/Sales.Contact").text
        answer = client.get("/api/datasets/Sales.Contact/changes")
        assert answer.status_code == 200
        assert answer.json()["changes"] == expected
        assert client.get("/api/datasets/Sales.Contact/changes?since=nope").status_code == 400
        turned = client.put("/api/datasets/Sales.Contact/history", json={"history": False})
        assert turned.status_code == 200 and turned.json()["history_table"] is None
