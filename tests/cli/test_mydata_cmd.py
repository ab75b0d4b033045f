"""`datasets`, `preview`, `export`, `sql`, `refresh`, `schedule` against a stand-in Workspace."""

from __future__ import annotations

import json
from pathlib import Path

from sfimport.store.runs import RunStatus
from tests.cli.conftest import Invoke
from tests.fakes.services import FakeServices


def test_preview_writes_csv_when_stdout_is_not_a_terminal(invoke: Invoke) -> None:
    result = invoke(["preview", "Sales.Lead"])
    assert result.exit_code == 0
    assert result.stdout == (
        "Id,Name,AnnualRevenue\n00Q000000000001AAA,Ada,1500.5\n00Q000000000002AAA,Grace,\n"
    )


def test_preview_json_has_columns_with_types_and_rows(invoke: Invoke) -> None:
    result = invoke(["preview", "Sales.Lead", "--limit", "1", "--json"])
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["columns"] == [
        {"name": "Id", "type": "VARCHAR"},
        {"name": "Name", "type": "VARCHAR"},
        {"name": "AnnualRevenue", "type": "DOUBLE"},
    ]
    assert body["rows"] == [["00Q000000000001AAA", "Ada", 1500.5]]


def test_preview_on_a_terminal_shows_a_table_with_types(invoke: Invoke) -> None:
    result = invoke(["preview", "Sales.Lead"], terminal=True)
    assert result.exit_code == 0
    assert "AnnualRevenue" in result.stdout
    assert "DOUBLE" in result.stdout
    assert "2 rows." in result.stdout


def test_preview_of_an_unknown_data_set_exits_2(invoke: Invoke) -> None:
    result = invoke(["preview", "Sales.Nope"])
    assert result.exit_code == 2
    assert "Error: There is no data set 'Sales.Nope' in My Data." in result.stderr


def test_sql_refuses_writes_with_exit_2(invoke: Invoke) -> None:
    result = invoke(["sql", "DROP TABLE x", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["kind"] == "usage"
    ok = invoke(["sql", "SELECT 2 AS n", "--json"])
    assert json.loads(ok.stdout)["rows"] == [[42]]


def test_export_infers_the_format_from_the_extension(
    invoke: Invoke, fake: FakeServices, tmp_path: Path
) -> None:
    out = tmp_path / "lead.parquet"
    result = invoke(["export", "Sales.Lead", "--output", str(out), "--json"])
    assert result.exit_code == 0
    assert fake.exports == [("Sales.Lead", "parquet", out)]
    assert json.loads(result.stdout) == {
        "dataset": "Sales.Lead",
        "format": "parquet",
        "path": str(out),
    }


def test_export_with_an_unknown_extension_asks_for_format(
    invoke: Invoke, fake: FakeServices, tmp_path: Path
) -> None:
    result = invoke(["export", "Sales.Lead", "-O", str(tmp_path / "lead.txt")])
    assert result.exit_code == 2
    assert "Pass --format csv or --format parquet." in result.stderr
    ok = invoke(["export", "Sales.Lead", "-O", str(tmp_path / "lead.txt"), "--format", "csv"])
    assert ok.exit_code == 0
    assert fake.exports[-1][1] == "csv"


def test_export_rejects_an_unknown_format(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["export", "Sales.Lead", "-O", str(tmp_path / "a.csv"), "--format", "xlsx"])
    assert result.exit_code == 2


def test_refresh_needs_names_or_all_but_not_both(invoke: Invoke, fake: FakeServices) -> None:
    assert invoke(["refresh"]).exit_code == 2
    assert invoke(["refresh", "Sales.Lead", "--all"]).exit_code == 2
    assert fake.refreshes == []
    result = invoke(["refresh", "--all", "--json"])
    assert result.exit_code == 0
    assert fake.refreshes == [(None, True)]
    assert json.loads(result.stdout)["run"]["kind"] == "refresh"


def test_refresh_waiting_for_the_limit_exits_3(invoke: Invoke, fake: FakeServices) -> None:
    fake.run_status = RunStatus.WAITING_FOR_LIMIT
    result = invoke(["refresh", "Lead"])
    assert result.exit_code == 3


def test_datasets_when_empty_says_how_to_import(invoke: Invoke, fake: FakeServices) -> None:
    fake.datasets.clear()
    result = invoke(["datasets"])
    assert result.exit_code == 0
    assert "sfimport import" in result.stdout
    assert json.loads(invoke(["datasets", "--json"]).stdout) == {"datasets": []}


def test_runs_lists_history(invoke: Invoke, fake: FakeServices) -> None:
    fake.record_run("import", ["Sales.Lead"], connection="prod")
    result = invoke(["runs"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].startswith("run0001\timport\tcomplete\t")
    runs = json.loads(invoke(["runs", "--json"]).stdout)["runs"]
    assert runs[0]["datasets"][0]["name"] == "Lead"
