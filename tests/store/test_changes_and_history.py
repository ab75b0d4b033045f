"""The change log of merges and re-publishes, and history mode's "as of" answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfimport.errors import UsageError
from sfimport.store.changes import ChangeKind, ColumnChange
from sfimport.store.history import DatasetOptions
from sfimport.store.mydata import MyData

from .conftest import account_id, publication, rows, stage


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


def test_a_merge_logs_added_updated_removed_ids_and_changed_columns(mydata: MyData) -> None:
    mydata.publish(
        stage(mydata, [rows(("1", "Acme", 10, 5), ("2", "Globex", 20, 5), ("3", "Old", 1, 1))]),
        publication(run_id="run-1", changed_at=at(5)),
    )
    assert mydata.changes("Sales", "Account") == []  # a first import is no change
    mydata.merge(
        stage(mydata, [rows(("1", "Acme New", 10, 9), ("4", "Initech", 40, 8))], run_id="run-2"),
        publication(run_id="run-2", changed_at=at(10)),
        deleted_ids=[account_id("3"), account_id("9")],
    )
    (run,) = mydata.changes("Sales", "Account")
    assert run.run_id == "run-2" and run.changed_at == at(10)
    assert run.ids(ChangeKind.ADDED) == (account_id("4"),)
    assert run.ids(ChangeKind.REMOVED) == (account_id("3"),)
    (updated,) = [r for r in run.records if r.kind is ChangeKind.UPDATED]
    assert updated.record_id == account_id("1")
    assert updated.columns == (
        ColumnChange("Name", "Acme", "Acme New"),
        ColumnChange("SystemModstamp", stamp(5), stamp(9)),
    )
    assert [r.run_id for r in mydata.changes("Sales", "Account", since=at(9))] == ["run-2"]
    assert mydata.changes("Sales", "Account", since=at(10, 13)) == []


def stamp(day: int) -> str:
    """A SystemModstamp as the log keeps it (DuckDB's text of a UTC timestamp)."""
    return f"2024-01-{day:02d} 00:00:00+00"


def test_a_whole_re_read_logs_its_net_changes(mydata: MyData) -> None:
    mydata.publish(
        stage(mydata, [rows(("1", "Acme", 10, 5), ("2", "Globex", 20, 5))]),
        publication(run_id="run-1"),
    )
    mydata.publish(
        stage(mydata, [rows(("2", "Globex", 21, 5), ("3", "New", 1, 6))], run_id="run-2"),
        publication(run_id="run-2", changed_at=at(7)),
    )
    (run,) = mydata.changes("Sales", "Account")
    assert run.ids(ChangeKind.ADDED) == (account_id("3"),)
    assert run.ids(ChangeKind.REMOVED) == (account_id("1"),)
    (updated,) = [r for r in run.records if r.kind is ChangeKind.UPDATED]
    assert updated.columns == (ColumnChange("Employees", "20", "21"),)


def test_the_log_keeps_only_its_retention(tmp_path: Path) -> None:
    mydata = MyData.for_data_dir(tmp_path, busy_timeout=2.0, change_retention_days=3)
    mydata.publish(stage(mydata, [rows(("1", "Acme", 10, 5))]), publication())
    for run, (day, employees) in enumerate([(6, 11), (8, 12), (12, 13)], start=2):
        mydata.merge(
            stage(mydata, [rows(("1", "Acme", employees, day))], run_id=f"run-{run}"),
            publication(run_id=f"run-{run}", changed_at=at(day)),
        )
    # The run of the 12th pruned what is older than the 9th.
    assert [r.run_id for r in mydata.changes("Sales", "Account")] == ["run-4"]


def test_history_mode_answers_as_of_across_updates_and_deletes(mydata: MyData) -> None:
    mydata.publish(
        stage(mydata, [rows(("1", "Acme", 10, 5), ("2", "Globex", 20, 6))]),
        publication(run_id="run-1", changed_at=at(7)),
    )
    with pytest.raises(UsageError, match="History mode is off"):
        mydata.as_of("Sales", "Account", at(7))
    mydata.set_options("Sales", "Account", DatasetOptions(history=True))
    # Acme renamed on the 9th (its SystemModstamp), Globex deleted, seen by the run of the 12th.
    mydata.merge(
        stage(mydata, [rows(("1", "Acme Corp", 10, 9))], run_id="run-2"),
        publication(run_id="run-2", changed_at=at(12)),
        deleted_ids=[account_id("2")],
    )

    def names(moment: datetime) -> dict[str, str]:
        table = mydata.as_of("Sales", "Account", moment)
        return dict(zip(table.column("Id").to_pylist(), table.column("Name").to_pylist()))

    assert names(at(4)) == {}
    assert names(at(5, 6)) == {account_id("1"): "Acme"}
    assert names(at(8)) == {account_id("1"): "Acme", account_id("2"): "Globex"}
    assert names(at(10)) == {account_id("1"): "Acme Corp", account_id("2"): "Globex"}
    assert names(at(13)) == {account_id("1"): "Acme Corp"}
    current = mydata.query('SELECT count(*) FROM "Sales"."Account__history" WHERE is_current')
    assert current.table.column(0).to_pylist() == [1]
    mydata.set_options("Sales", "Account", DatasetOptions(history=False))
    with pytest.raises(UsageError):
        mydata.query('SELECT * FROM "Sales"."Account__history"')
