"""Trust checks of the command line on the real engine and the emulator: where it connects,
what it conceals, which dates it accepts and which API calls it spends."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.emulator import Org, field_definitions
from sfimport.settings import Settings
from tests.cli.conftest import Run, mint


@pytest.mark.parametrize(
    "login_url",
    [
        "https://evil.example",
        "https://169.254.169.254",
        "javascript:alert(1)",
        "https://x:1:2",
        f"https://{'a' * 300}.my.salesforce.com",
        "https://acme\u200b.my.salesforce.com",
    ],
)
def test_connect_refuses_foreign_or_malformed_login_urls(
    sfimport: Run, base_url: str, login_url: str
) -> None:
    result = sfimport(
        "connect", "x", "--login-url", login_url, "--refresh-token", "-", input=mint(base_url)
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: ") and lines[1].startswith("Fix: "), result.stderr
    assert "Unexpected" not in result.stderr
    assert json.loads(sfimport("connections", "--json").stdout)["connections"] == []


# --- conceal targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named", "suggested"),
    [
        (["--conceal", "lead"], "'lead'", "'Lead'"),
        (["--conceal", "Leads"], "'Leads'", "'Lead'"),
        (["--conceal", "Account"], "'Account'", None),
        (["--conceal-column", "Leads.Email"], "'Leads'", "'Lead'"),
        (["--conceal-column", "Lead.Emial"], "'Emial'", "'Email'"),
    ],
)
def test_an_unknown_conceal_target_is_refused_and_nothing_is_imported(
    connected: Run, options: list[str], named: str, suggested: str | None
) -> None:
    result = connected("import", "demo", "--object", "Lead", "--folder", "Sales", *options)
    assert result.exit_code == 2, result.output
    error = result.stderr.strip().splitlines()
    assert error[0].startswith(f"Error: Cannot conceal {named}: there is no such"), error
    if suggested:
        assert f"Did you mean {suggested}?" in error[0]
    assert error[1].startswith("Fix: ") and "Nothing was imported" in error[1]
    assert json.loads(connected("datasets", "--json").stdout)["datasets"] == []
    assert json.loads(connected("runs", "--json").stdout)["runs"] == []


def test_a_spec_with_an_unknown_conceal_target_is_refused(connected: Run, tmp_path: Path) -> None:
    spec = tmp_path / "sales.toml"
    spec.write_text(
        'connection = "demo"\nfolder = "Sales"\nobjects = ["Lead"]\n\n'
        '[conceal]\n"Leads" = "default"\n',
        encoding="utf-8",
    )
    result = connected("import", "--spec", str(spec))
    assert result.exit_code == 2, result.output
    assert "Cannot conceal 'Leads'" in result.stderr and "Did you mean 'Lead'?" in result.stderr
    assert json.loads(connected("datasets", "--json").stdout)["datasets"] == []


def test_a_known_conceal_target_in_another_case_of_the_object_still_conceals(
    connected: Run,
) -> None:
    # Salesforce matches object names in any case: "-o lead --conceal Lead" names one data set.
    result = connected(
        "import", "demo", "--object", "lead", "--folder", "Sales", "--conceal", "Lead", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "Email" in result.stdout


# --- start dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_an_out_of_range_start_date_is_refused_before_any_call(
    connected: Run, org: Org, start: str
) -> None:
    calls_before = org.api.used
    result = connected("import", "demo", "-o", "Lead", "-f", "Sales", "--start-date", start)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: The start date {start} is out of range"), result.stderr
    assert "Fix: " in result.stderr
    assert org.api.used == calls_before


def test_a_spec_with_an_out_of_range_start_date_is_refused(connected: Run, tmp_path: Path) -> None:
    spec = tmp_path / "old.toml"
    spec.write_text(
        'connection = "demo"\nfolder = "Sales"\nstart_date = 0001-01-01\nobjects = ["Lead"]\n',
        encoding="utf-8",
    )
    result = connected("import", "--spec", str(spec))
    assert result.exit_code == 2, result.output
    assert "out of range" in result.stderr


def test_the_earliest_and_latest_start_dates_are_accepted(connected: Run) -> None:
    today = datetime.now(UTC).date().isoformat()
    for start in ("1900-01-01", today):
        result = connected(
            "import", "demo", "-o", "Lead", "-f", "Sales", "--start-date", start, "--dry-run"
        )
        assert result.exit_code == 0, result.output


# --- a private data folder ------------------------------------------------------------------


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """The usual umask of a login shell (022), as before sfimport starts."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(home: Path) -> dict[str, int]:
    return {
        str(p.relative_to(home)): stat.S_IMODE(p.lstat().st_mode)
        for p in [home, *home.rglob("*")]
        if not p.is_symlink()
    }


def test_every_file_an_import_writes_is_private(
    wide_umask: None, connected: Run, workspace: Workspace
) -> None:
    result = connected("import", "demo", "-o", "Lead", "-o", "Contact", "-f", "Sales")
    assert result.exit_code == 0, result.output
    home = workspace.settings.home
    found = modes(home)
    assert {"mydata.duckdb", "metadata.sqlite", "tokens.key", "conceal.key"} <= set(found)
    assert {name: mode for name, mode in found.items() if mode & 0o077} == {}


def test_a_data_folder_open_to_others_is_tightened_with_a_line_saying_so(
    wide_umask: None, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "staging").mkdir(parents=True)
    home.chmod(0o755)
    (home / "staging").chmod(0o777)
    (home / "notes.txt").write_text("old", encoding="utf-8")
    (home / "notes.txt").chmod(0o644)
    obj = CliState(settings=Settings(home=home), terminal=False)
    result = CliRunner().invoke(app, ["datasets", "--json"], obj=obj)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["datasets"] == []
    assert f"Note: Made the data folder {home} private: 3 file(s) and folder(s)" in result.stderr
    assert {name: mode for name, mode in modes(home).items() if mode & 0o077} == {}
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    again = CliRunner().invoke(app, ["datasets", "--json"], obj=obj)
    assert "Note:" not in again.stderr  # said once, when it changed something


# --- the daily API allowance ----------------------------------------------------------------

EIGHT = ["Lead", "Contact", "Account", "Opportunity", "Case", "Campaign", "Task", "Event"]


@pytest.fixture
def allowance(org: Org) -> Iterator[Org]:
    """The emulator's allowance, put back as it was after the test (the org is shared)."""
    maximum, used = org.api.maximum, org.api.used
    yield org
    org.api.maximum, org.api.used = maximum, used


def test_planning_never_spends_the_orgs_last_calls(connected: Run, allowance: Org) -> None:
    allowance.set_limits(None, 10)  # 10 calls left today
    objects = [arg for name in EIGHT for arg in ("--object", name)]
    result = connected("import", "demo", *objects, "-f", "Sales", "--budget", "100")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: Planning this import needs 16 API calls"), result.stderr
    assert "Nothing was read." in result.stderr
    # One call read the limits; no describe and no COUNT() was sent.
    assert allowance.api.maximum - allowance.api.used == 9
    assert json.loads(connected("runs", "--json").stdout)["runs"] == []


def test_planning_calls_count_against_the_budget(connected: Run, allowance: Org) -> None:
    allowance.set_limits(1000, 1000)
    before = allowance.api.used
    result = connected("import", "demo", "-o", "Lead", "-f", "Sales", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    spent = allowance.api.used - before
    assert spent == 3  # limits, describe, COUNT()
    # The total counts the calls already made for the plan, and the budget is measured
    # from the usage before planning: 80% of the daily 1,000.
    assert plan["api_calls_planning"] == spent
    assert plan["api_calls_total"] >= spent + 1
    assert plan["budget_calls"] == 800 - (1000 - 999)


def test_the_budget_is_a_share_of_the_daily_maximum_everywhere(
    connected: Run, allowance: Org
) -> None:
    allowance.set_limits(1000, 300)  # 700 used, 300 left
    result = connected("import", "demo", "-o", "Lead", "-f", "Sales", "--budget", "75", "--dry-run")
    assert result.exit_code == 0, result.output
    # 75% of the daily 1,000 is a ceiling of 750 calls used; 701 are (the limits read).
    assert (
        "Budget: the org's usage may reach 75% of its daily API maximum of 1,000 (750 calls), "
        "which leaves 49 for this import." in result.stdout
    )
    assert "API calls: 5 (3 already made to plan it) of 299 remaining today" in result.stdout
    help_text = " ".join(connected("import", "--help").stdout.replace("\u2502", " ").split())
    assert "of the org's daily API maximum" in help_text
    assert "remaining daily" not in help_text


# --- default concealment from field metadata ------------------------------------------------


def test_default_concealment_follows_the_orgs_classification_and_dates_of_birth(
    connected: Run, org: Org
) -> None:
    result = connected(
        "import", "demo", "-o", "Contact", "-r", "All Contacts", "-f", "Sales",
        "--conceal", "Contact", "--conceal", "All Contacts", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    count = connected(
        "sql",
        'SELECT count(*) FILTER (WHERE "Birthdate" IS NOT NULL) AS birth, '
        "count(*) FILTER (WHERE \"Title\" LIKE 'Concealed %') AS title, "
        'count(*) FILTER (WHERE "Department" IS NOT NULL) AS department, count(*) AS n '
        'FROM "Sales"."Contact"',
        "--json",
    )
    assert count.exit_code == 0, count.output
    row = json.loads(count.stdout)["rows"][0]
    truth = [r for r in org.tables["Contact"].to_pylist() if not r.get("IsDeleted")]
    births = sum(1 for r in truth if r.get("Birthdate") is not None)
    titles = sum(1 for r in truth if r.get("Title"))
    assert births > 0 and titles > 0
    # Birthdate (a date of birth, and Restricted in the org) and Title (Confidential, GDPR in
    # the org's classification) are concealed; Department (Internal) stays as it is.
    assert row[0] == 0 and row[1] == titles and row[2] > 0 and row[3] == len(truth)
    report = connected("sql", 'SELECT count("Birthdate") FROM "Sales"."All Contacts"', "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["rows"][0][0] == 0


def test_refresh_planning_never_spends_the_orgs_last_calls(connected: Run, allowance: Org) -> None:
    imported = connected("import", "demo", "-o", "Lead", "-f", "Sales")
    assert imported.exit_code == 0, imported.output
    allowance.set_limits(1000, 201)  # the 80% budget has no call left once the limits are read
    before = allowance.api.used
    result = connected("refresh", "--all")
    assert result.exit_code == 1, result.output
    assert "Planning this refresh needs 2 API calls" in result.stderr
    assert allowance.api.used == before + 1  # the limits read only


def test_a_refresh_conceals_a_field_the_org_classified_since_the_import(
    connected: Run, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported = connected("import", "demo", "-o", "Contact", "-f", "Sales", "--conceal", "Contact")
    assert imported.exit_code == 0, imported.output
    assert "Department" not in workspace.list_datasets()[0].concealed
    contact = {**field_definitions.DEMO_CLASSIFICATION["Contact"]}
    contact["Department"] = ("Confidential", "GDPR")
    monkeypatch.setitem(field_definitions.DEMO_CLASSIFICATION, "Contact", contact)
    [plan] = workspace.plan_refreshes(["Sales.Contact"])
    assert "Department" in plan.datasets[0].concealed
    assert {"Birthdate", "Title"} <= set(plan.datasets[0].concealed)
