"""Imports against the emulator over loopback, with a connection made headlessly from a refresh
token minted through the emulator's control API; values compared with the org model itself."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator.demo import build_demo_org
from sfimport.emulator.formulas import with_cross_record_values
from sfimport.emulator.jackson import java_double
from sfimport.emulator.org import Org
from sfimport.extract.spec import ImportSpec, ObjectChoice


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(seed=7, scale={"Account": 300, "Contact": 400})


def _truth(org: Org, name: str) -> dict[str, dict[str, Any]]:
    spec = org.objects[name.lower()]
    # Cross-object formulas and roll-ups as the org computes them when queried.
    table: pa.Table = with_cross_record_values(spec, org.tables[name], org.tables, org.objects)
    # query (not queryAll) leaves out soft-deleted rows, as Salesforce does.
    return {row["Id"]: row for row in table.to_pylist() if not row.get("IsDeleted")}


# Account carries the standard types and the address/location compounds; Project__c the rest
# (time, multipicklist, percent, double, encryptedstring, url, email, phone, formulas).
@pytest.mark.parametrize("sobject", ["Account", "Project__c"])
def test_every_field_lands_with_the_value_the_org_holds(
    workspace: Workspace, org: Org, sobject: str
) -> None:
    plan = workspace.build_plan(
        ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice(sobject),))
    )
    result = workspace.run_import(plan)
    assert result.status == "complete", result.run
    truth = _truth(org, sobject)
    got = workspace.query(f'SELECT * FROM "Sales"."{sobject}"', limit=10_000)
    names = [c for c, _ in got.columns]
    types = dict(got.columns)
    assert len(got.rows) == len(truth) == plan.datasets[0].expected_rows
    assert types["Id"] == "string"
    assert types["SystemModstamp"].startswith("timestamp") and "UTC" in types["SystemModstamp"]
    if sobject == "Project__c":
        assert {
            name: types[name]
            for name in (
                "Budget__c",
                "Completion__c",
                "Start_Date__c",
                "Kickoff_Time__c",
                "Tags__c",
                "Is_Billable__c",
                "Access_Code__c",
                "Site_Location__Latitude__s",
            )
        } == {
            "Budget__c": "decimal128(38, 2)",
            "Completion__c": "decimal128(38, 2)",
            "Start_Date__c": "date32[day]",
            "Kickoff_Time__c": "time64[us]",
            "Tags__c": "string",
            "Is_Billable__c": "bool",
            "Access_Code__c": "string",
            "Site_Location__Latitude__s": "double",
        }
    for values in got.rows:
        row = dict(zip(names, values, strict=True))
        expected = truth[row["Id"]]
        for column in names:
            want = expected.get(column)
            if isinstance(want, str) and want == "":
                want = None
            if isinstance(row[column], Decimal) and want is not None:
                # Money is exact: compare with the number as the org writes it.
                want = Decimal(java_double(want))
            assert row[column] == want, (column, row["Id"])


def test_start_date_and_concealment_against_the_emulator(
    workspace: Workspace, org: Org, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        start_date=date(2024, 1, 1),
        objects=(ObjectChoice("Contact"),),
        conceal={"Contact": None},
    )
    plan = workspace.build_plan(spec)
    (contact,) = plan.datasets
    assert "Email" in contact.concealed
    workspace.run_import(plan)
    data = (tmp_path / "home" / "mydata.duckdb").read_bytes()
    emails = [r["Email"] for r in org.tables["Contact"].to_pylist() if r.get("Email")]
    assert emails
    for email in emails[:200]:
        assert email.encode() not in data
        assert email not in caplog.text
    start = datetime(2024, 1, 1, tzinfo=UTC)
    expected = [r for r in _truth(org, "Contact").values() if r["SystemModstamp"] >= start]
    assert 0 < len(expected) < len(_truth(org, "Contact"))
    assert workspace.get_dataset("Sales.Contact").row_count == len(expected)
    assert contact.expected_rows == len(expected) and contact.start_date_applies
