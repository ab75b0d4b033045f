"""The import spec file between the web wizard and the command line, on the real engine.

The wizard's "Save as spec file" and `sfimport import --save-spec` write the same file for the
same choices, and `sfimport import --spec` reproduces the wizard's import: the same data sets,
rows and concealed columns its Review showed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from sfimport.extract.spec import ImportSpec
from sfimport.web import create_app
from tests.cli.conftest import Run

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REPORT = "Technology Accounts"


def _wizard_spec(workspace: Workspace) -> str:
    """Click through Select data and Obfuscate data, then Save as spec file."""
    web = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    with TestClient(web, base_url="http://127.0.0.1:8000") as client:
        page = client.get("/import/demo/select")
        assert page.status_code == 200, page.text
        match = CSRF.search(page.text)
        assert match
        token = match.group(1)
        selected = client.post(
            "/import/demo/select",
            data={
                "csrf_token": token,
                "shown_object": ["Lead", "Contact"],
                "object": ["Lead", "Contact"],
                "shown_report": REPORT,
                "report": REPORT,
                "folder": "__new__",
                "new_folder": "Sales",
                "start_date": "2024-01-01",
            },
            follow_redirects=False,
        )
        assert selected.status_code == 303, selected.text
        concealed = client.post(
            "/import/demo/obfuscate",
            data={"csrf_token": token, "conceal": "Contact"},
            follow_redirects=False,
        )
        assert concealed.status_code == 303
        review = client.get("/import/demo/review")
        assert review.status_code == 200, review.text
        saved = client.get("/import/demo/spec.toml")
        assert saved.status_code == 200
        return saved.text


def test_the_wizards_spec_file_reproduces_its_import_on_the_command_line(
    workspace: Workspace, connected: Run, tmp_path: Path
) -> None:
    wizard_file = tmp_path / "wizard.toml"
    wizard_file.write_text(_wizard_spec(workspace), encoding="utf-8")

    cli_file = tmp_path / "cli.toml"
    flags = connected(
        "import",
        "demo",
        "--object",
        "Lead",
        "--object",
        "Contact",
        "--report",
        REPORT,
        "--folder",
        "Sales",
        "--start-date",
        "2024-01-01",
        "--conceal",
        "Contact",
        "--dry-run",
        "--save-spec",
        str(cli_file),
    )
    assert flags.exit_code == 0, flags.output
    assert ImportSpec.from_toml(cli_file) == ImportSpec.from_toml(wizard_file)
    assert cli_file.read_text() == wizard_file.read_text()

    review = connected("import", "--spec", str(wizard_file), "--dry-run", "--json")
    assert review.exit_code == 0, review.output
    planned = {d["name"]: d for d in json.loads(review.stdout)["plan"]["datasets"]}
    assert set(planned) == {"Lead", "Contact", REPORT}
    assert "Email" in planned["Contact"]["concealed"]
    assert planned["Lead"]["concealed"] == []

    imported = connected("import", "--spec", str(wizard_file), "--json")
    assert imported.exit_code == 0, imported.output
    landed = {d["name"]: d for d in json.loads(connected("datasets", "--json").stdout)["datasets"]}
    assert landed["Contact"]["concealed"] == planned["Contact"]["concealed"]
    for name in ("Lead", "Contact"):
        assert landed[name]["row_count"] == planned[name]["expected_rows"]
        assert landed[name]["folder"] == "Sales"
