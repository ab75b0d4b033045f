"""The Obfuscate data samples against the emulator: for objects and for reports, made-up values
only, and what they promise is what an import stores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sfimport.app.workspace import Workspace
from sfimport.errors import NotFound
from sfimport.extract.spec import ImportSpec

REMOVED = "removed (empty)"


def test_a_reports_sample_shows_its_default_concealed_columns_as_pseudonyms(
    workspace: Workspace,
) -> None:
    defaults = workspace.default_concealed_columns("demo", "All Contacts")
    assert "Email" in defaults
    rows = workspace.conceal_sample("demo", "All Contacts")
    assert len(rows) == 3
    assert all(set(row) == set(defaults) for row in rows)
    emails = [row["Email"] for row in rows]
    assert emails[0] == ("jane.doe@example.com", emails[0][1])
    assert all(concealed and concealed.endswith("@concealed.invalid") for _, concealed in emails)
    assert len({concealed for _, concealed in emails}) == 3


def test_a_reports_sample_says_numbers_and_dates_are_removed_as_the_import_does(
    workspace: Workspace,
) -> None:
    chosen = ["Account Name", "Annual Revenue", "Created Date"]
    (row,) = workspace.conceal_sample("demo", "Technology Accounts", chosen, rows=1)
    assert row["Account Name"][1] is not None and row["Account Name"][1].startswith("Concealed ")
    # Report money is exact now: the sample shows the decimal text, e.g. "1250.50".
    revenue, concealed = row["Annual Revenue"]
    assert Decimal(revenue) == Decimal("1250.5") and concealed == REMOVED
    assert row["Created Date"] == ("2024-05-01 09:30 UTC", REMOVED)

    spec = ImportSpec(
        connection="demo",
        folder="Reports",
        reports=("Technology Accounts",),
        conceal={"Technology Accounts": tuple(chosen)},
    )
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    stored = workspace.query(
        'SELECT "Account Name", "Annual Revenue", "Created Date" '
        'FROM "Reports"."Technology Accounts"'
    ).rows
    assert stored
    assert all(name.startswith("Concealed ") for name, _, _ in stored)
    assert all(revenue is None and created is None for _, revenue, created in stored)


def test_an_objects_sample_says_latitude_and_longitude_are_removed(
    workspace: Workspace,
) -> None:
    rows = workspace.conceal_sample("demo", "Account", ["BillingLatitude", "BillingLongitude"])
    assert [row["BillingLatitude"] for row in rows] == [("37.7946", REMOVED)] * 3
    assert [row["BillingLongitude"] for row in rows] == [("-122.3950", REMOVED)] * 3


def test_a_sample_of_something_that_is_neither_an_object_nor_a_report_is_not_found(
    workspace: Workspace,
) -> None:
    with pytest.raises(NotFound, match="no object named 'No Such Thing'"):
        workspace.conceal_sample("demo", "No Such Thing")
