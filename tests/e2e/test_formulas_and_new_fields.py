"""Refresh is exact where SystemModstamp does not help: a formula or roll-up that changes with
another record is stale after an incremental read alone and fresh once formulas are re-read;
a field new in Salesforce is backfilled (Id plus that field), not re-imported."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sfimport.app.history import ChangeKind, ColumnChange
from sfimport.app.workspace import Workspace
from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.e2e.refresh_org import ADMIN, LiveOrg, assert_exact_copy, live_org, my_rows

OPPORTUNITIES = '"Sales"."Opportunity"'
ACCOUNTS = '"Sales"."Account"'


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 12, "Opportunity": 60, "Contact": 40}) as org:
        yield org


def import_objects(live: LiveOrg, *names: str) -> Workspace:
    workspace = live.workspace()
    live.connect(workspace)
    spec = ImportSpec(
        connection="demo", folder="Sales", objects=tuple(ObjectChoice(n) for n in names)
    )
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    live.advance(60)
    return workspace


def org_rows(live: LiveOrg, sobject: str) -> dict[str, dict[str, Any]]:
    """What the org answers for each live record, formulas computed as when it is queried."""
    return live.live_rows(sobject)


def test_a_cross_object_formula_is_stale_without_a_formula_pass_and_exact_with_one(
    live: LiveOrg,
) -> None:
    with import_objects(live, "Account", "Opportunity") as workspace:
        workspace.set_formula_schedule("Sales.Opportunity", "never")
        opportunity = next(
            r for r in org_rows(live, "Opportunity").values() if r["Account_Industry__c"]
        )
        account_id = opportunity["AccountId"]
        stamp = opportunity["SystemModstamp"]
        live.control("records/Account", {"update": [{"Id": account_id, "Industry": "Banking"}]})
        live.advance(60)
        assert org_rows(live, "Opportunity")[opportunity["Id"]]["SystemModstamp"] == stamp
        assert org_rows(live, "Opportunity")[opportunity["Id"]]["Account_Industry__c"] == "Banking"

        # Stale: nothing of the opportunity changed by SystemModstamp, so nothing was read.
        assert workspace.refresh(["Sales.Opportunity"]).status == "complete"
        mine = my_rows(workspace, OPPORTUNITIES)[opportunity["Id"]]
        assert mine["Account_Industry__c"] == opportunity["Account_Industry__c"] != "Banking"
        # The import read every formula; nothing has re-read them since.
        imported = workspace.get_dataset("Sales.Opportunity").formulas_refreshed_at
        assert imported is not None
        assert workspace.get_dataset("Sales.Opportunity").formulas_refreshed_at == imported

        # Fixed: the default schedule re-reads formulas at every refresh of a small data set.
        workspace.set_formula_schedule("Sales.Opportunity", "default")
        live.advance(60)
        result = workspace.refresh(["Sales.Opportunity"])
        assert result.status == "complete", result.run
        linked = [
            i for i, r in org_rows(live, "Opportunity").items() if r["AccountId"] == account_id
        ]
        for record_id in linked:
            mine = my_rows(workspace, OPPORTUNITIES)[record_id]
            assert mine["Account_Industry__c"] == "Banking"
        info = workspace.get_dataset("Sales.Opportunity")
        assert info.formulas_refreshed_at is not None  # the page and datasets --json say so
        assert info.formulas_refreshed_at > imported
        (run, *_) = workspace.changes("Sales.Opportunity")
        logged = {
            r.record_id: {c.column: c.new for c in r.columns}
            for r in run.records
            if r.kind is ChangeKind.UPDATED
        }
        assert set(logged) == set(linked)
        assert all(columns == {"Account_Industry__c": "Banking"} for columns in logged.values())


def test_a_roll_up_follows_its_children_by_default(live: LiveOrg) -> None:
    with import_objects(live, "Account", "Opportunity") as workspace:
        child = next(r for r in org_rows(live, "Opportunity").values() if r["AccountId"])
        parent = child["AccountId"]
        before = org_rows(live, "Account")[parent]["Total_Opportunity_Amount__c"]
        live.control(
            "records/Opportunity",
            {"update": [{"Id": child["Id"], "Amount": float(child["Amount"] or 0) + 1000.0}]},
        )
        live.advance(60)
        after = org_rows(live, "Account")[parent]["Total_Opportunity_Amount__c"]
        assert after == pytest.approx(before + 1000.0)
        assert workspace.refresh(["Sales.Account"]).status == "complete"
        mine = my_rows(workspace, ACCOUNTS)[parent]["Total_Opportunity_Amount__c"]
        assert mine == Decimal(str(after)).quantize(Decimal("0.01"))


def test_a_new_field_is_backfilled_not_reimported(live: LiveOrg) -> None:
    live.control(
        "fields", {"action": "hide", "object": "Contact", "field": "Title", "username": ADMIN}
    )
    with import_objects(live, "Contact") as workspace:
        assert "Title" not in {c.name for c in workspace.get_dataset("Sales.Contact").columns}
        live.control(
            "fields", {"action": "show", "object": "Contact", "field": "Title", "username": ADMIN}
        )
        live.advance(60)
        plan = workspace.plan_refreshes(["Sales.Contact"])[0]
        (planned,) = plan.datasets
        assert planned.mode == "incremental" and planned.backfill == ("Title",)
        assert "New in Salesforce since the last import: Title" in planned.note
        result = workspace.run_import(plan)
        assert result.status == "complete", result.run
        (contact,) = result.run.datasets
        # Only the changes (here the consistency overlap's row) are read, and the Title column.
        assert contact.rows < 5 < len(my_rows(workspace, '"Sales"."Contact"'))
        assert_exact_copy(live, workspace, "Contact", '"Sales"."Contact"')
        # The schema change is in the data set's history; no row counts as changed by it.
        (run,) = workspace.changes("Sales.Contact")
        added = ColumnChange("Title", None, None)
        assert [(r.kind, r.columns) for r in run.records] == [(ChangeKind.COLUMN_ADDED, (added,))]
