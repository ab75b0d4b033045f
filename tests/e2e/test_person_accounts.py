"""Person Accounts and polymorphic lookups against the emulator: a person account's name and
email are concealed by default (never stored raw), and lookups that point to one of several
objects (OwnerId to a User or a Queue, WhoId to a Contact or a Lead) land as the org holds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator.demo import build_demo_org
from sfimport.emulator.org import Org
from sfimport.extract.spec import ImportSpec, ObjectChoice


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(
        seed=3, scale={"Account": 150, "Contact": 120, "Lead": 120, "Case": 200, "Task": 200}
    )


def _live(org: Org, name: str) -> list[dict[str, Any]]:
    return [r for r in org.tables[name].to_pylist() if not r["IsDeleted"]]


def test_a_person_accounts_name_and_email_are_concealed_by_default(
    workspace: Workspace, org: Org, tmp_path: Path
) -> None:
    spec = ImportSpec(
        connection="demo",
        folder="People",
        objects=(ObjectChoice("Account"),),
        conceal={"Account": None},
    )
    plan = workspace.build_plan(spec)
    (account,) = plan.datasets
    assert {"Name", "FirstName", "LastName", "PersonEmail", "PersonMobilePhone"} <= set(
        account.concealed
    )
    assert {"PersonBirthdate", "Salutation"} <= set(account.concealed)
    assert "IsPersonAccount" not in account.concealed and "Id" not in account.concealed
    assert workspace.run_import(plan).status == "complete"
    people = [a for a in _live(org, "Account") if a["IsPersonAccount"]]
    assert len(people) > 10
    data = (tmp_path / "home" / "mydata.duckdb").read_bytes()
    for person in people:
        for value in (person["Name"], person["PersonEmail"]):
            assert value.encode() not in data, "a person account's data was stored raw"
    got = workspace.query(
        'SELECT count(*) FILTER (WHERE "IsPersonAccount"), count(DISTINCT "Name") '
        'FROM "People"."Account"'
    )
    assert got.rows[0][0] == len(people) and got.rows[0][1] > len(people)


def test_polymorphic_lookups_keep_the_ids_of_every_target_object(
    workspace: Workspace, org: Org
) -> None:
    spec = ImportSpec(
        connection="demo",
        folder="Service",
        objects=(ObjectChoice("Case"), ObjectChoice("Task")),
        conceal={"Case": None},
    )
    plan = workspace.build_plan(spec)
    assert "OwnerId" not in plan.dataset("Case").concealed
    assert workspace.run_import(plan).status == "complete"
    owners = workspace.query('SELECT "Id", "OwnerId" FROM "Service"."Case"')
    assert dict(owners.rows) == {c["Id"]: c["OwnerId"] for c in _live(org, "Case")}
    prefixes = {owner[:3] for _, owner in owners.rows}
    assert prefixes == {"005", "00G"}  # users and queues own cases
    queues = {g["Id"] for g in org.tables["Group"].to_pylist() if g["Type"] == "Queue"}
    assert {owner for _, owner in owners.rows if owner.startswith("00G")} <= queues
    who = workspace.query('SELECT DISTINCT left("WhoId", 3) FROM "Service"."Task" ORDER BY 1')
    assert [r[0] for r in who.rows if r[0]] == ["003", "00Q"]  # contacts and leads


def test_business_accounts_keep_their_names_while_person_accounts_are_concealed(
    workspace: Workspace, org: Org
) -> None:
    spec = ImportSpec(
        connection="demo",
        folder="Customers",
        objects=(ObjectChoice("Account"),),
        conceal={"Account": None},
    )
    plan = workspace.build_plan(spec)
    assert "Name" in plan.dataset("Account").concealed_in_person_rows
    assert workspace.run_import(plan).status == "complete"
    stored = dict(workspace.query('SELECT "Id", "Name" FROM "Customers"."Account"').rows)
    accounts = _live(org, "Account")
    business = [a for a in accounts if not a["IsPersonAccount"]]
    people = [a for a in accounts if a["IsPersonAccount"]]
    assert business and people
    # A business account's row: its company name, as Salesforce holds it.
    for account in business:
        assert stored[account["Id"]] == account["Name"]
    # A person account's row: a pseudonym, never the person's name.
    for person in people:
        assert stored[person["Id"]] != person["Name"]
        assert stored[person["Id"]].startswith("Person ")


def test_a_name_column_the_person_picks_is_concealed_in_every_row(
    workspace: Workspace, org: Org
) -> None:
    spec = ImportSpec(
        connection="demo",
        folder="Picked",
        objects=(ObjectChoice("Account"),),
        conceal={"Account": ("Name",)},
    )
    plan = workspace.build_plan(spec)
    assert plan.dataset("Account").concealed_in_person_rows == ()
    assert workspace.run_import(plan).status == "complete"
    names = {r[0] for r in workspace.query('SELECT "Name" FROM "Picked"."Account"').rows}
    assert names and all(n.startswith("Person ") for n in names)
