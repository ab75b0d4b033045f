"""Trust checks of the command line on the real engine and the emulator: where it connects,
what it conceals, which dates it accepts and which API calls it spends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
