"""Every demo report of the emulator (tabular, summary, matrix) imported completely over
loopback: each data set's rows equal the report's grand total, and values equal the org's
records, including "All Contacts" (over 2,000 rows) for a user who cannot see Birthdate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import (
    build_demo_org,
)
from sfimport.emulator.org import Org
from sfimport.extract.spec import ImportSpec
from tests.e2e.conftest import connect, emulator_settings

ADMIN = "admin@sfimport-demo.example"
RESTRICTED = "restricted@sfimport-demo.example"


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org()


def _workspace(home: Path, base_url: str, username: str) -> Workspace:
    workspace = Workspace(emulator_settings(home, base_url), sleep=lambda s: None)
    connect(workspace, base_url, username=username)
    return workspace


def _live(org: Org, name: str) -> list[dict[str, Any]]:
    return [row for row in org.tables[name].to_pylist() if not row.get("IsDeleted")]


def _column(workspace: Workspace, dataset: str, column: str) -> list[Any]:
    result = workspace.query(f'SELECT "{column}" FROM "Reports"."{dataset}"', limit=100_000)
    return [row[0] for row in result.rows]


def _contacts_in_report(org: Org) -> list[dict[str, Any]]:
    # "All Contacts" keeps contacts created 2020-01-01 to 2026-12-31 (its standard date filter).
    low, high = datetime(2020, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    return [c for c in _live(org, "Contact") if low <= c["CreatedDate"] < high]


def test_every_demo_report_is_imported_whole_and_equals_the_org(
    tmp_path: Path, base_url: str, org: Org
) -> None:
    with _workspace(tmp_path / "home", base_url, ADMIN) as workspace:
        reports = workspace.list_reports("demo")
        assert {r.format for r in reports} == {"Tabular", "Summary", "Matrix", "MultiBlock"}
        assert "All Contacts" in {r.name for r in reports}
        spec = ImportSpec(
            connection="demo", folder="Reports", reports=tuple(r.name for r in reports)
        )
        plan = workspace.build_plan(spec)
        result = workspace.run_import(plan)

        assert result.status == "complete", result.run
        by_name = {d.name: d for d in result.run.datasets}
        for planned in plan.datasets:
            ran = by_name[planned.name]
            assert planned.expected_rows is not None and planned.expected_rows > 0
            assert ran.status == "complete" and ran.count_mismatch == 0, ran
            assert ran.rows == planned.expected_rows
            assert workspace.get_dataset(f"Reports.{planned.name}").row_count == ran.rows
        assert by_name["All Contacts"].rows > 2000

        contacts = _contacts_in_report(org)
        assert sorted(filter(None, _column(workspace, "All Contacts", "Email"))) == sorted(
            c["Email"] for c in contacts if c.get("Email")
        )
        assert sorted(d for d in _column(workspace, "All Contacts", "Birthdate") if d) == sorted(
            c["Birthdate"] for c in contacts if c.get("Birthdate")
        )
        technology = sorted(
            a["Name"] for a in _live(org, "Account") if a["Industry"] == "Technology"
        )
        assert sorted(_column(workspace, "Technology Accounts", "Account Name")) == technology
        amounts = [o["Amount"] for o in _live(org, "Opportunity") if o.get("Amount") is not None]
        imported = [a for a in _column(workspace, "Pipeline by Stage", "Amount") if a is not None]
        assert sum(imported) == pytest.approx(sum(amounts))
        in_2025 = [
            lead
            for lead in _live(org, "Lead")
            if date(2025, 1, 1) <= lead["CreatedDate"].date() <= date(2025, 12, 31)
        ]
        assert len(_column(workspace, "Leads Created in 2025 by Source", "Last Name")) == len(
            in_2025
        )


def test_all_contacts_is_whole_for_a_user_who_cannot_see_birthdate(
    tmp_path: Path, base_url: str, org: Org
) -> None:
    # Birthdate is hidden from this user, so every row is blank in the first slice column:
    # the report is split on Created Date instead.
    with _workspace(tmp_path / "home", base_url, RESTRICTED) as workspace:
        plan = workspace.build_plan(
            ImportSpec(connection="demo", folder="Reports", reports=("All Contacts",))
        )
        result = workspace.run_import(plan)

        (ran,) = result.run.datasets
        assert result.status == "complete", ran.incomplete_reason
        contacts = _contacts_in_report(org)
        assert ran.rows == plan.datasets[0].expected_rows == len(contacts) > 2000
        assert set(_column(workspace, "All Contacts", "Birthdate")) == {None}
        assert sorted(filter(None, _column(workspace, "All Contacts", "Email"))) == sorted(
            c["Email"] for c in contacts if c.get("Email")
        )
