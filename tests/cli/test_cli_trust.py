"""The command line holds up to mistakes: exports that never clobber or crash, a data folder that
cannot be made, unknown names and options: each a clear `Error:`/`Fix:` pair (or a JSON error)
and the documented exit code, run on the real engine against the emulator."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.emulator import Org
from sfimport.web import create_app
from tests.cli.conftest import Run


@pytest.fixture
def imported(connected: Run) -> Run:
    result = connected("import", "demo", "-o", "Lead", "-f", "Sales")
    assert result.exit_code == 0, result.output
    return connected


def _lead_ids(org: Org) -> set[str]:
    return {r["Id"] for r in org.tables["Lead"].to_pylist() if not r.get("IsDeleted")}


def test_export_to_stdout_writes_csv_and_nothing_else(imported: Run, org: Org) -> None:
    result = imported("export", "Sales.Lead", "-O", "-")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["Id"] for row in rows} == _lead_ids(org)
    assert result.stderr == ""


def test_export_to_stdout_as_parquet_is_the_data_set(
    imported: Run, org: Org, tmp_path: Path
) -> None:
    result = imported("export", "Sales.Lead", "-O", "-", "--format", "parquet")
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(io.BytesIO(result.stdout_bytes))
    assert set(table.column("Id").to_pylist()) == _lead_ids(org)


def test_export_never_overwrites_a_file_without_force(imported: Run, tmp_path: Path) -> None:
    out = tmp_path / "lead.csv"
    out.write_text("precious\n", encoding="utf-8")
    refused = imported("export", "Sales.Lead", "-O", str(out))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"Error: {out} already exists.",
        "Fix: Pass --force to replace it, or choose another --output.",
    ]
    assert out.read_text(encoding="utf-8") == "precious\n"
    forced = imported("export", "Sales.Lead", "-O", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert out.read_text(encoding="utf-8").startswith('"Id"')


def test_export_under_a_file_is_a_clear_error(imported: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x", encoding="utf-8")
    result = imported("export", "Sales.Lead", "-O", str(blocker / "out" / "lead.csv"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: Cannot write {blocker / 'out' / 'lead.csv'}: {blocker} is a file, not a folder.",
        "Fix: Choose an --output inside a folder.",
    ]
    assert "Unexpected" not in result.output


def test_runs_of_an_unknown_data_set_is_bad_usage(imported: Run) -> None:
    result = imported("runs", "--dataset", "Leads")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: There is no data set 'Leads' in My Data. Did you mean Lead?",
        "Fix: List data sets with 'sfimport datasets'; --dataset takes Folder.Name or Name.",
    ]
    as_json = imported("runs", "--dataset", "Nope", "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["kind"] == "usage"
    known = imported("runs", "--dataset", "sales.lead", "--json")
    assert known.exit_code == 0
    assert len(json.loads(known.stdout)["runs"]) == 1


def _bare(args: list[str]) -> tuple[int, str, str]:
    """`sfimport` with no injected state, as a person runs it (the data folder from --home)."""
    result = CliRunner().invoke(app, args, obj=CliState())
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("inside", ["file/home", "file"])
def test_a_data_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path, inside: str) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    home = tmp_path / inside
    code, out, err = _bare(["--home", str(home), "datasets"])
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"Error: The data folder {home} cannot be created: ")
    assert lines[1] == "Fix: Pass --home (or set SFIMPORT_HOME to) a folder you can write to."
    assert "Unexpected" not in err
    code, out, err = _bare(["--json", "--home", str(home), "datasets"])
    assert code == 2
    assert json.loads(out)["error"]["kind"] == "configuration"


def test_an_unknown_root_option_is_error_and_fix_or_json() -> None:
    code, out, err = _bare(["--bogus", "datasets"])
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Error: No such option: --bogus")
    assert lines[1] == "Fix: Run 'sfimport --help' to see the usage."
    assert out == ""
    code, out, err = _bare(["--json", "--nonsense"])
    assert code == 2
    assert json.loads(out) == {
        "error": {
            "kind": "usage",
            "message": "No such option: --nonsense",
            "remedy": "Run 'sfimport --help' to see the usage.",
        }
    }
    assert err == ""


def test_columns_have_one_shape_in_datasets_preview_sql_and_the_api(
    imported: Run, workspace: Workspace
) -> None:
    listed = json.loads(imported("datasets", "--json").stdout)["datasets"]
    columns = listed[0]["columns"]
    assert columns and all(set(c) == {"name", "type"} for c in columns)
    lead = json.loads(imported("preview", "Sales.Lead", "--limit", "1", "--json").stdout)
    assert all(set(c) == {"name", "type"} for c in lead["columns"])
    assert [c["name"] for c in lead["columns"]] == [c["name"] for c in columns]
    query = 'SELECT "Id", "Company" FROM "Sales"."Lead" LIMIT 1'
    sql = json.loads(imported("sql", query, "--json").stdout)
    assert sql["columns"] == [c for c in lead["columns"] if c["name"] in ("Id", "Company")]

    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        api_list = client.get("/api/datasets").json()
        items = api_list["items"] if isinstance(api_list, dict) else api_list
        assert items[0]["columns"] == columns
        assert client.get("/api/datasets/Sales.Lead").json()["columns"] == columns
        preview = client.get("/api/datasets/Sales.Lead/preview", params={"limit": 1}).json()
        assert preview["columns"] == lead["columns"]
        answer = client.post("/api/query", json={"sql": query, "limit": 1})
        assert answer.status_code == 200, answer.text
        assert answer.json()["columns"] == sql["columns"]
