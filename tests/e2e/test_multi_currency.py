"""A multi-currency org: its money objects carry CurrencyIsoCode, its reports name the corporate
currency and each amount its own; the import keeps every amount exact beside its currency."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import build_demo_org
from sfimport.emulator.org import Org
from sfimport.extract.spec import ImportSpec, ObjectChoice


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(
        seed=4, scale={"Account": 60, "Contact": 60, "Opportunity": 150}, multi_currency=True
    )


def _live_opportunities(org: Org) -> list[dict[str, object]]:
    return [r for r in org.tables["Opportunity"].to_pylist() if not r["IsDeleted"]]


def test_money_objects_carry_their_currency_code(workspace: Workspace, org: Org) -> None:
    spec = ImportSpec(connection="demo", folder="Fx", objects=(ObjectChoice("Opportunity"),))
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    got = dict(workspace.query('SELECT "Id", "CurrencyIsoCode" FROM "Fx"."Opportunity"').rows)
    live = _live_opportunities(org)
    assert got == {r["Id"]: r["CurrencyIsoCode"] for r in live}
    assert len(set(got.values())) > 1  # several currencies in use


def test_a_reports_amounts_land_exactly_beside_each_ones_currency(
    workspace: Workspace, org: Org
) -> None:
    spec = ImportSpec(connection="demo", folder="Fx", reports=("Pipeline by Stage",))
    plan = workspace.build_plan(spec)
    assert "Amount Currency" in plan.datasets[0].fields
    assert workspace.run_import(plan).status == "complete"
    rows = workspace.query(
        'SELECT "Amount Currency", count(*), sum("Amount") FROM "Fx"."Pipeline by Stage" '
        "GROUP BY 1 ORDER BY 1"
    ).rows
    # An empty amount has no currency (its cell's value is null); every other one has its own.
    priced = [r for r in _live_opportunities(org) if r["Amount"] is not None]
    counts = Counter(str(r["CurrencyIsoCode"]) for r in priced)
    sums: dict[str, Decimal] = {}
    for r in priced:
        code = str(r["CurrencyIsoCode"])
        sums[code] = sums.get(code, Decimal(0)) + Decimal(repr(r["Amount"]))
    assert [(code, n) for code, n, _ in rows if code is not None] == sorted(counts.items())
    assert {code: Decimal(total) for code, _, total in rows if code is not None} == sums
    assert [total for code, _, total in rows if code is None] in ([], [None])
