"""Pipes kept fresh by real imports: two pipes made from definition files with the CLI over
data imported from the emulator; a refresh that changes Contacts rebuilds both, the reader
after the pipe it reads, each once, and their outputs follow the org."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.errors import UsageError
from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.e2e.refresh_org import LiveOrg, live_org

BY_ACCOUNT = """\
name = "Contacts by account"
folder = "Pipes"
source = "Sales.Contact"

[[steps]]
group = ["AccountId"]
aggregates = [{ function = "count", as = "Contacts" }]
"""

TOTAL = """\
name = "Contact total"
folder = "Pipes"
sql = 'SELECT sum(Contacts) AS Contacts FROM Pipes."Contacts by account"'
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 10, "Contact": 40}) as org:
        yield org


@pytest.fixture
def workspace(live: LiveOrg) -> Iterator[Workspace]:
    workspace = live.workspace()
    live.connect(workspace)
    spec = ImportSpec(
        connection="demo",
        folder="Sales",
        objects=(ObjectChoice("Account"), ObjectChoice("Contact")),
    )
    assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
    live.advance(60)
    with workspace:
        yield workspace


def _create(workspace: Workspace, path: Path) -> None:
    obj = CliState(
        settings=workspace.settings,
        workspace_factory=lambda s: workspace,
        terminal=False,
        owns_workspace=False,
    )
    result = CliRunner().invoke(app, ["pipe", "create", str(path)], obj=obj)
    assert result.exit_code == 0, result.output


def _total(workspace: Workspace) -> int:
    return int(workspace.query('SELECT Contacts FROM Pipes."Contact total"').rows[0][0])


def test_a_refresh_rebuilds_both_pipes_in_order(
    live: LiveOrg, workspace: Workspace, tmp_path: Path
) -> None:
    for name, text in (("by-account.toml", BY_ACCOUNT), ("total.toml", TOTAL)):
        (tmp_path / name).write_text(text)
        _create(workspace, tmp_path / name)
    before = len(live.live_rows("Contact"))
    assert _total(workspace) == before

    ids = sorted(live.live_rows("Contact"))
    live.control(
        "records/Contact",
        {"insert": [{"LastName": f"New{i}"} for i in range(3)], "delete": ids[:5]},
    )
    live.advance(60)
    result = workspace.refresh(["Sales.Contact"])
    assert result.status == "complete", result.run

    assert _total(workspace) == len(live.live_rows("Contact")) == before + 3 - 5
    rebuilt = [r for r in workspace.pipe_runs(limit=20) if result.run_id in r.cause]
    # Newest first: the total after the pipe it reads, each exactly once, both complete.
    assert [r.pipe for r in rebuilt] == ["Pipes.Contact total", "Pipes.Contacts by account"]
    assert [r.status.value for r in rebuilt] == ["complete", "complete"]


SPEC = """\
connection = "demo"
folder = "CRM"

[[objects]]
name = "Account"

[[objects]]
name = "Contact"

[[pipes]]
name = "Contacts per industry"
folder = "Pipes"
source = "CRM.Contact"
steps = [
  { join = "CRM.Account", on = ["AccountId", "Id"], how = "left", columns = ["Industry"] },
  { group = ["Industry"], aggregates = [{ function = "count", as = "Contacts" }] },
]
"""


def test_pipes_declared_in_the_import_spec_are_made_when_the_import_publishes(
    live: LiveOrg, tmp_path: Path
) -> None:
    spec = ImportSpec.from_toml(SPEC)
    assert ImportSpec.from_toml(spec.to_toml()) == spec
    with live.workspace() as workspace:
        live.connect(workspace)
        assert workspace.run_import(workspace.build_plan(spec)).status == "complete"
        (pipe,) = workspace.list_pipes()
        assert pipe.qualified == "Pipes.Contacts per industry"
        total = workspace.query('SELECT sum(Contacts) FROM Pipes."Contacts per industry"')
        assert int(total.rows[0][0]) == len(live.live_rows("Contact"))


def test_refreshing_everything_leaves_pipe_outputs_to_their_pipes(
    live: LiveOrg, workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "by-account.toml").write_text(BY_ACCOUNT)
    _create(workspace, tmp_path / "by-account.toml")
    live.advance(60)
    result = workspace.refresh(all=True)
    assert result.status == "complete", result.run
    assert {d.name for d in result.run.datasets} == {"Account", "Contact"}
    with pytest.raises(UsageError, match="is a pipe's output") as refused:
        workspace.refresh(["Pipes.Contacts by account"])
    assert "sfimport pipe run" in refused.value.remedy
