"""`sfimport import`: flags and spec files to an ImportSpec, the review, runs and exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.runs import RunStatus
from tests.cli.conftest import Invoke
from tests.fakes.services import FakeServices

FULL = [
    "import",
    "prod",
    "--object",
    "Lead",
    "--object",
    "Account",
    "--report",
    "Pipeline",
    "--folder",
    "Sales",
    "--start-date",
    "2024-01-01",
    "--conceal",
    "Contact",
    "--conceal-column",
    "Lead.Email",
    "--budget",
    "50",
]


def test_flags_build_the_same_spec_the_wizard_saves(invoke: Invoke, fake: FakeServices) -> None:
    result = invoke([*FULL, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert fake.plans == [
        ImportSpec(
            connection="prod",
            folder="Sales",
            start_date=date(2024, 1, 1),
            objects=(ObjectChoice("Lead"), ObjectChoice("Account")),
            reports=("Pipeline",),
            conceal={"Contact": None, "Lead": ("Email",)},
            budget_percent=50.0,
        )
    ]


def test_dry_run_prints_the_review_and_imports_nothing(invoke: Invoke, fake: FakeServices) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--conceal", "Lead", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert fake.imports == []
    out = result.stdout
    assert "Review: from 'prod' into folder 'Salesforce'" in out
    assert "Lead\tobject\trest\t250\t4\tName, Email\t3" in out
    assert "Lead.Photo skipped: binary content (base64) is not imported" in out
    assert "API calls: 3 of 14,880 remaining today: within budget." in out
    assert (
        "Budget: the org's usage may reach 80% of its daily API maximum of 15,000 (12,000 calls), "
        "which leaves 11,904 for this import." in out
    )
    assert "Dry run: nothing was imported." in out


def test_dry_run_json_is_the_review_only(invoke: Invoke, fake: FakeServices) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--dry-run", "--json"])
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["dry_run"] is True
    (dataset,) = body["plan"]["datasets"]
    assert dataset["name"] == "Lead"
    assert dataset["expected_rows"] == 250
    assert dataset["skipped_fields"] == [
        {"name": "Photo", "reason": "binary content (base64) is not imported"}
    ]
    assert body["plan"]["api_remaining"] == 14880
    assert fake.imports == []


def test_a_complete_import_prints_progress_lines_and_exits_0(
    invoke: Invoke, fake: FakeServices
) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "-o", "Account"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Lead: downloading 125/250 rows (50%, 1,000 rows/s, about 1 s left)" in out
    assert "Account: done 40/40 rows" in out
    assert "Run run0001: Complete." in out
    assert len(fake.imports) == 1


def test_a_partial_import_exits_3_and_says_when_it_resumes(
    invoke: Invoke, fake: FakeServices
) -> None:
    fake.run_status = RunStatus.PARTIAL
    result = invoke(["import", "prod", "-o", "Lead"])
    assert result.exit_code == 3
    fake.run_status = RunStatus.WAITING_FOR_LIMIT
    waiting = invoke(["import", "prod", "-o", "Lead"])
    assert waiting.exit_code == 3
    assert "Waiting for the org's daily API limit to reset (resumes at 2025-03-01T12:00" in (
        waiting.stdout
    )


def test_a_failed_import_exits_1_with_the_error_and_its_remedy(
    invoke: Invoke, fake: FakeServices
) -> None:
    fake.run_status = RunStatus.FAILED
    result = invoke(["import", "prod", "-o", "Lead"])
    assert result.exit_code == 1
    assert "Error: The token was revoked." in result.stderr
    assert "Fix: Re-authorise." in result.stderr


def test_import_json_prints_only_the_run(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--json"])
    assert result.exit_code == 0
    run = json.loads(result.stdout)["run"]
    assert run["status"] == "complete"
    assert run["datasets"][0]["rows"] == 250


def test_a_malformed_start_date_is_one_line_and_exit_2(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--start-date", "01/02/2024"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "Error: The start date: '01/02/2024' is not a date; write it as YYYY-MM-DD, e.g. "
        "2024-01-31."
    )


def test_an_unsupported_object_says_it_is_not_supported_and_why(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "AccountChangeEvent", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "not_supported"
    assert "not supported" in error["message"]


def test_nothing_to_import_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke(["import", "prod"])
    assert result.exit_code == 2
    assert "Choose at least one --object or --report" in result.stderr


def test_a_conceal_column_without_a_dot_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke(["import", "prod", "-o", "Lead", "--conceal-column", "Email"])
    assert result.exit_code == 2
    assert "must be DATASET.COLUMN" in result.stderr


def test_a_report_name_with_dots_keeps_its_column(invoke: Invoke, fake: FakeServices) -> None:
    result = invoke(
        [
            "import",
            "prod",
            "-r",
            "Q1. Pipeline",
            "--conceal-column",
            "Q1. Pipeline.Owner",
            "--dry-run",
        ]
    )
    assert result.exit_code == 0, result.output
    assert fake.plans[0].conceal == {"Q1. Pipeline": ("Owner",)}


def test_save_spec_then_spec_reproduces_the_same_import(
    invoke: Invoke, fake: FakeServices, tmp_path: Path
) -> None:
    spec_file = tmp_path / "sales.toml"
    first = invoke([*FULL, "--dry-run", "--save-spec", str(spec_file)])
    assert first.exit_code == 0, first.output
    second = invoke(["import", "--spec", str(spec_file), "--dry-run"])
    assert second.exit_code == 0, second.output
    assert fake.plans[0] == fake.plans[1]


def test_a_spec_file_with_errors_says_where(invoke: Invoke, tmp_path: Path) -> None:
    spec_file = tmp_path / "broken.toml"
    spec_file.write_text(
        'connection = "prod"\nfolder = "Sales"\nstart_date = "yesterday"\nobjects = ["Lead"]\n'
    )
    result = invoke(["import", "--spec", str(spec_file)])
    assert result.exit_code == 2
    first_line = result.stderr.splitlines()[0]
    assert first_line.startswith(f"Error: {spec_file}: start_date: 'yesterday' is not a date")


def test_a_missing_spec_file_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["import", "--spec", str(tmp_path / "none.toml"), "--json"])
    assert result.exit_code == 2
    assert "Cannot read the spec file" in json.loads(result.stdout)["error"]["message"]


def test_spec_cannot_be_combined_with_selection_flags(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["import", "--spec", str(tmp_path / "x.toml"), "--object", "Lead"])
    assert result.exit_code == 2
    assert "--spec cannot be combined with --object" in result.stderr


def test_budget_overrides_the_spec_file(invoke: Invoke, fake: FakeServices, tmp_path: Path) -> None:
    spec_file = tmp_path / "s.toml"
    spec_file.write_text(ImportSpec("prod", "Sales", objects=(ObjectChoice("Lead"),)).to_toml())
    result = invoke(["import", "--spec", str(spec_file), "--budget", "10", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert fake.plans[0].budget_percent == 10.0


def test_an_import_over_its_api_budget_starts_nothing_and_exits_1(
    invoke: Invoke, fake: FakeServices
) -> None:
    fake.api_remaining = 2
    result = invoke(["import", "prod", "-o", "Lead"])
    assert result.exit_code == 1
    assert "OVER BUDGET" in result.stdout
    assert "Error: This import needs 3 API calls; its budget (the org's usage may reach 80%" in (
        result.stderr
    )
    assert "which leaves 1 for this import) is smaller." in " ".join(result.stderr.split())
    assert fake.imports == []
    dry = invoke(["import", "prod", "-o", "Lead", "--dry-run", "--json"], workspace=fake)
    assert dry.exit_code == 0
    assert json.loads(dry.stdout)["plan"]["within_budget"] is False
