"""`sfimport pipe` on the real engine: a pipe made from a definition file, shown back as that
file, run on demand, and a failure reported as Error:/Fix: with exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from tests.pipes.conftest import OPPORTUNITIES, put, rows_of

DEFINITION = """\
name = "Pipeline by stage"
folder = "Pipes"
description = "Open pipeline by stage"
source = "Sales.Opportunity"

[[steps]]
filter = "NOT IsClosed"

[[steps]]
group = ["StageName"]
aggregates = [{ function = "sum", column = "Amount", as = "Amount" }]
"""


def sfimport(workspace: Workspace, *args: str) -> Result:
    obj = CliState(
        settings=workspace.settings,
        workspace_factory=lambda s: workspace,
        terminal=False,
        owns_workspace=False,
    )
    return CliRunner().invoke(app, list(args), obj=obj)


def test_a_pipe_made_from_a_file_is_listed_shown_and_run(
    workspace: Workspace, tmp_path: Path
) -> None:
    file = tmp_path / "pipeline.toml"
    file.write_text(DEFINITION)
    preview = sfimport(workspace, "pipe", "create", str(file), "--preview")
    assert preview.exit_code == 0, preview.output
    assert "Prospecting" in preview.output and workspace.list_pipes() == []

    created = sfimport(workspace, "pipe", "create", str(file))
    assert created.exit_code == 0, created.output
    assert "Created pipe Pipes.Pipeline by stage (version 1): 2 rows." in created.output
    assert rows_of(workspace, "Pipes.Pipeline by stage") == [
        ("Negotiation", 20.0),
        ("Prospecting", 130.0),
    ]
    listed = json.loads(sfimport(workspace, "pipe", "list", "--json").output)
    assert [p["qualified"] for p in listed["pipes"]] == ["Pipes.Pipeline by stage"]
    assert listed["pipes"][0]["sources"] == ["Sales.Opportunity"]

    shown = sfimport(workspace, "pipe", "show", "Pipes.Pipeline by stage", "--definition")
    assert shown.exit_code == 0
    (tmp_path / "again.toml").write_text(shown.output)
    edited = sfimport(
        workspace, "pipe", "edit", "Pipes.Pipeline by stage", str(tmp_path / "again.toml")
    )
    assert edited.exit_code == 0, edited.output
    assert "(version 2)" in edited.output

    put(workspace, "Opportunity", OPPORTUNITIES[:1], run_id="run-2")
    ran = sfimport(workspace, "pipe", "run", "Pipes.Pipeline by stage", "--json")
    run: dict[str, Any] = json.loads(ran.output)["run"]
    assert (run["status"], run["rows"], run["trigger"]) == ("complete", 1, "manual")


def test_a_failing_pipe_run_exits_1_with_error_and_fix(
    workspace: Workspace, tmp_path: Path
) -> None:
    file = tmp_path / "pipeline.toml"
    file.write_text(DEFINITION)
    assert sfimport(workspace, "pipe", "create", str(file)).exit_code == 0
    put(workspace, "Opportunity", [{"Id": "006Z", "StageName": "x"}], run_id="run-2")
    result = sfimport(workspace, "pipe", "run", "Pipes.Pipeline by stage")
    assert result.exit_code == 1
    assert "Error: Pipe Pipes.Pipeline by stage failed at step 1 (filter), column IsClosed" in (
        result.stderr
    )
    assert "Fix: The last good output of Pipes.Pipeline by stage is kept." in result.stderr
    assert rows_of(workspace, "Pipes.Pipeline by stage") == [
        ("Negotiation", 20.0),
        ("Prospecting", 130.0),
    ]


def test_a_definition_refused_at_save_exits_2(workspace: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('name = "Bad"\nsql = "DELETE FROM Sales.Account"\n')
    result = sfimport(workspace, "pipe", "create", str(file))
    assert result.exit_code == 2
    assert "Error: A pipe only reads: DELETE statements are not allowed." in result.stderr
