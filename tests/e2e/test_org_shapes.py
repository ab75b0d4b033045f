"""Real orgs' shapes against the emulator over loopback: a 600-field object under 10,000 rows
imported whole, long text areas (multi-line, quoted, non-Latin, 131,072 characters) kept byte
for byte through REST and Bulk, and money summed exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator.demo import build_demo_org
from sfimport.emulator.jackson import java_double
from sfimport.emulator.org import Org
from sfimport.extract.spec import ImportSpec, ObjectChoice

WIDE = "Field_Survey__c"


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(seed=11, scale={"Account": 50, "Contact": 50, "Field_Survey__c": 30})


def _live(org: Org, name: str) -> dict[str, dict[str, Any]]:
    return {r["Id"]: r for r in org.tables[name].to_pylist() if not r.get("IsDeleted")}


def _imported(workspace: Workspace, table: str) -> dict[str, dict[str, Any]]:
    got = workspace.query(f'SELECT * FROM "Shapes"."{table}"', limit=10_000)
    names = [c for c, _ in got.columns]
    return {row[names.index("Id")]: dict(zip(names, row, strict=True)) for row in got.rows}


def test_a_600_field_object_under_10000_rows_is_imported_whole_through_bulk(
    workspace: Workspace, org: Org
) -> None:
    spec = ImportSpec(connection="demo", folder="Shapes", objects=(ObjectChoice(WIDE),))
    plan = workspace.build_plan(spec)
    (planned,) = plan.datasets
    assert len(planned.fields) >= 600
    assert planned.expected_rows is not None and planned.expected_rows < 10_000
    # Small objects are read through REST, but this one's query URI would pass 16,384 bytes.
    assert planned.method == "bulk"
    assert "16,384" in planned.note and "Bulk API" in planned.note
    assert any("16,384" in note for note in plan.notes)
    result = workspace.run_import(plan)
    assert result.status == "complete", result.run
    truth = _live(org, WIDE)
    rows = _imported(workspace, WIDE)
    assert rows.keys() == truth.keys()
    for record_id, row in rows.items():
        assert set(planned.fields) <= row.keys()
        for column in ("Name", "Findings__c", "Summary__c", "Assessment_Note_595__c"):
            assert row[column] == truth[record_id][column], (column, record_id)


def test_long_text_keeps_every_byte_through_bulk_and_rest(workspace: Workspace, org: Org) -> None:
    truth = _live(org, WIDE)
    longest = max(truth.values(), key=lambda r: len(r["Findings__c"]))
    assert len(longest["Findings__c"]) == 131_072
    # A few fields: a REST query. All fields: Bulk (above). Both keep the text exactly.
    few = ObjectChoice(WIDE, fields=("Name", "Findings__c", "Summary__c"))
    spec = ImportSpec(connection="demo", folder="Shapes", objects=(few,))
    plan = workspace.build_plan(spec)
    assert plan.datasets[0].method == "rest"
    assert workspace.run_import(plan).status == "complete"
    rest_rows = _imported(workspace, WIDE)
    bulk_spec = ImportSpec(connection="demo", folder="Shapes", objects=(ObjectChoice(WIDE),))
    assert workspace.run_import(workspace.build_plan(bulk_spec)).status == "complete"
    bulk_rows = _imported(workspace, WIDE)
    for rows in (rest_rows, bulk_rows):
        assert rows.keys() == truth.keys()
        for record_id, want in truth.items():
            for column in ("Findings__c", "Summary__c"):
                assert rows[record_id][column].encode() == want[column].encode()
    text = longest["Findings__c"]
    assert "\r\n" in text and '"' in text and "東京" in text and "🚀" in text


def _exact_sum(org: Org, sobject: str, field: str) -> Decimal:
    """The decimal sum of the values as the org sends them (its JSON text), no float involved."""
    values = [r[field] for r in _live(org, sobject).values() if r[field] is not None]
    return sum((Decimal(java_double(v)) for v in values), Decimal(0))


@pytest.mark.parametrize(
    ("sobject", "field", "method"),
    [("Invoice__c", "Amount__c", "rest"), (WIDE, "Contract_Value__c", "bulk")],
)
def test_sum_of_money_in_my_data_is_the_exact_decimal_sum(
    workspace: Workspace, org: Org, sobject: str, field: str, method: str
) -> None:
    spec = ImportSpec(connection="demo", folder="Shapes", objects=(ObjectChoice(sobject),))
    plan = workspace.build_plan(spec)
    assert plan.datasets[0].method == method
    assert workspace.run_import(plan).status == "complete"
    got = workspace.query(f'SELECT SUM("{field}") AS total FROM "Shapes"."{sobject}"')
    (total,) = got.rows[0]
    want = _exact_sum(org, sobject, field)
    assert isinstance(total, Decimal) and total == want
    types = dict(workspace.query(f'SELECT "{field}" FROM "Shapes"."{sobject}" LIMIT 1').columns)
    assert types[field] == "decimal128(38, 2)"


def test_a_currency_field_described_with_scale_0_gets_the_fallback_scale_and_says_so(
    workspace: Workspace, org: Org
) -> None:
    # AnnualRevenue is described as precision 18, scale 0, as in real orgs.
    spec = ImportSpec(
        connection="demo",
        folder="Shapes",
        objects=(ObjectChoice("Account", fields=("Name", "AnnualRevenue")),),
    )
    plan = workspace.build_plan(spec)
    assert "AnnualRevenue: describe gives scale 0" in plan.datasets[0].note
    assert workspace.run_import(plan).status == "complete"
    dataset = workspace.get_dataset("Shapes.Account")
    assert {c.name: c.type for c in dataset.columns}["AnnualRevenue"] == "DECIMAL(38,8)"
    assert "scale 0" in dict(dataset.column_notes)["AnnualRevenue"]
    got = workspace.query('SELECT SUM("AnnualRevenue") FROM "Shapes"."Account"')
    assert got.rows[0][0] == _exact_sum(org, "Account", "AnnualRevenue")
