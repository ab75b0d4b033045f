"""My Data: publish, merge, catalog, preview, export, read-only SQL and locking."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sfimport.errors import NotFound, StoreBusy, UsageError
from sfimport.store.mydata import MyData

from .conftest import SCHEMA, account_id, publication, rows, stage


def test_publish_creates_the_table_and_its_catalog_entry(mydata: MyData) -> None:
    staged = stage(mydata, [rows(("1", "Acme", 10, 5), ("2", "Globex", 20, 7))])
    dataset = mydata.publish(
        staged,
        publication(
            concealed=("Name",),
            skipped=(("Logo__c", "binary content (base64) is not imported"),),
            start_date=date(2024, 1, 1),
        ),
    )
    assert dataset.row_count == 2
    assert dataset.status == "complete"
    assert dataset.high_water_mark == datetime(2024, 1, 7, tzinfo=UTC)
    again = mydata.get_dataset("sales", "account")
    assert again == dataset
    assert [c.name for c in again.columns] == SCHEMA.names
    assert {c.name: c.sf_type for c in again.columns}["Id"] == "id"
    assert {c.name: c.label for c in again.columns}["Name"] == "Account Name"
    assert again.skipped == (("Logo__c", "binary content (base64) is not imported"),)
    assert again.start_date == date(2024, 1, 1)
    assert mydata.list_folders() == ["Sales"]
    assert [d.name for d in mydata.list_datasets("Sales")] == ["Account"]
    assert not staged.directory.exists()


def test_republishing_replaces_the_rows_and_keeps_the_id(mydata: MyData) -> None:
    first = mydata.publish(stage(mydata, [rows(("1", "Acme", 10, 5))]), publication())
    second = mydata.publish(
        stage(mydata, [rows(("2", "Globex", 1, 2), ("3", "Initech", 2, 3))], run_id="run-2"),
        publication(),
    )
    assert second.id == first.id
    table = mydata.preview("Sales", "Account").sort_by("Id")
    assert table.column("Name").to_pylist() == ["Globex", "Initech"]


def test_an_empty_data_set_publishes_with_its_columns(mydata: MyData) -> None:
    with mydata.stage("run-1", "Sales", "Account", SCHEMA) as writer:
        pass
    dataset = mydata.publish(writer.close(), publication())
    assert dataset.row_count == 0
    assert mydata.preview("Sales", "Account").schema.names == SCHEMA.names


def test_incomplete_data_set_is_marked_with_its_reason(mydata: MyData) -> None:
    staged = stage(mydata, [rows(("1", "Acme", 10, 5))])
    dataset = mydata.publish(
        staged, publication(kind="report", incomplete_reason="2,000 of 2,400 rows")
    )
    assert dataset.incomplete
    assert mydata.get_dataset("Sales", "Account").status == "incomplete"


def test_types_land_as_duckdb_types_and_values(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "NA", 10, 5))]), publication())
    result = mydata.query('SELECT * FROM "Sales"."Account"').table
    assert result.schema.field("SystemModstamp").type.tz is not None
    assert result.to_pylist()[0]["Name"] == "NA"
    assert result.to_pylist()[0]["Employees"] == 10
    assert {c.name: c.type for c in mydata.get_dataset("Sales", "Account").columns} == {
        "Id": "VARCHAR",
        "Name": "VARCHAR",
        "Formula__c": "VARCHAR",
        "Employees": "BIGINT",
        "SystemModstamp": "TIMESTAMP WITH TIME ZONE",
    }


def test_merge_upserts_by_id_newest_modstamp_wins_and_deletes(mydata: MyData) -> None:
    mydata.publish(
        stage(mydata, [rows(("1", "Acme", 10, 5), ("2", "Globex", 20, 5), ("3", "Old", 1, 1))]),
        publication(),
    )
    update = stage(
        mydata,
        [
            rows(("1", "Acme New", 11, 9), ("4", "Initech", 40, 8)),
            # An older copy of 1 staged later must not win; the newest SystemModstamp does.
            rows(("1", "Acme Stale", 12, 6)),
        ],
        run_id="run-2",
    )
    counts = mydata.merge(update, publication(), deleted_ids=[account_id("3"), account_id("9")])
    assert (counts.added, counts.updated, counts.removed, counts.row_count) == (1, 1, 1, 3)
    table = mydata.preview("Sales", "Account").sort_by("Id")
    assert table.column("Name").to_pylist() == ["Acme New", "Globex", "Initech"]
    dataset = mydata.get_dataset("Sales", "Account")
    assert dataset.row_count == 3
    assert dataset.high_water_mark == datetime(2024, 1, 9, tzinfo=UTC)


def test_merge_treats_is_deleted_rows_as_deletions(mydata: MyData) -> None:
    schema = SCHEMA.append(pa.field("IsDeleted", pa.bool_()))

    def with_flag(batch: pa.RecordBatch, flags: list[bool]) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays([*batch.columns, pa.array(flags)], schema=schema)

    mydata.publish(
        stage(mydata, [with_flag(rows(("1", "A", 1, 1), ("2", "B", 1, 1)), [False, False])]),
        publication(),
    )
    counts = mydata.merge(
        stage(mydata, [with_flag(rows(("2", "B", 1, 3)), [True])], run_id="run-2"),
        publication(),
    )
    assert (counts.added, counts.updated, counts.removed, counts.row_count) == (0, 0, 1, 1)


def test_merge_adds_columns_when_the_schema_grows(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "Acme", 10, 5))]), publication())
    grown = SCHEMA.append(pa.field("Rating", pa.string(), metadata={b"sf_type": b"picklist"}))
    batch = pa.RecordBatch.from_arrays(
        [*rows(("2", "Globex", 20, 6)).columns, pa.array(["Hot"])], schema=grown
    )
    counts = mydata.merge(stage(mydata, [batch], run_id="run-2"), publication())
    assert counts.added == 1
    table = mydata.preview("Sales", "Account").sort_by("Id")
    assert table.column("Rating").to_pylist() == [None, "Hot"]
    columns = {c.name: c.sf_type for c in mydata.get_dataset("Sales", "Account").columns}
    assert columns["Rating"] == "picklist"


def test_merge_into_a_new_data_set_creates_it(mydata: MyData) -> None:
    counts = mydata.merge(stage(mydata, [rows(("1", "A", 1, 1))]), publication())
    assert (counts.added, counts.updated, counts.row_count) == (1, 0, 1)


def test_preview_limits_rows_and_unknown_data_sets_are_not_found(mydata: MyData) -> None:
    mydata.publish(
        stage(mydata, [rows(*[(str(i), f"N{i}", i, 1) for i in range(9)])]), publication()
    )
    assert mydata.preview("Sales", "Account", limit=3).num_rows == 3
    with pytest.raises(NotFound):
        mydata.preview("Sales", "Contact")


def test_delete_dataset_drops_the_table_and_the_entry(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "A", 1, 1))]), publication())
    mydata.delete_dataset("Sales", "Account")
    assert mydata.list_datasets() == []
    with pytest.raises(UsageError):
        mydata.query('SELECT * FROM "Sales"."Account"')
    with pytest.raises(NotFound):
        mydata.delete_dataset("Sales", "Account")


def test_folder_names_are_validated(mydata: MyData) -> None:
    for bad in ["", "../etc", 'a"b', "a.b", " lead", "main", "x" * 64, "_sfimport", "1st"]:
        with pytest.raises(UsageError):
            mydata.create_folder(bad)
    mydata.create_folder("Sales EMEA-2024_q1")
    assert mydata.list_folders() == ["Sales EMEA-2024_q1"]


def test_query_runs_one_read_only_statement(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "A", 1, 1), ("2", "B", 2, 1))]), publication())
    result = mydata.query('WITH a AS (SELECT * FROM "Sales"."Account") SELECT count(*) n FROM a')
    assert result.table.to_pylist() == [{"n": 2}]
    assert mydata.query("SHOW ALL TABLES").table.num_rows >= 1
    assert mydata.query('DESCRIBE "Sales"."Account"').table.num_rows == 5
    for refused in [
        'DELETE FROM "Sales"."Account"',
        'DROP TABLE "Sales"."Account"',
        "SELECT 1; SELECT 2",
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "ATTACH '/tmp/other.duckdb'",
        "INSTALL httpfs",
    ]:
        with pytest.raises(UsageError):
            mydata.query(refused)
    assert mydata.get_dataset("Sales", "Account").row_count == 2


def test_query_cannot_read_files_outside_my_data(mydata: MyData, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(UsageError):
        mydata.query(f"SELECT * FROM read_csv('{secret}')")


def test_query_keeps_the_first_rows_and_says_it_truncated(mydata: MyData) -> None:
    result = mydata.query("SELECT * FROM range(100)", limit=10)
    assert result.table.num_rows == 10
    assert result.truncated
    assert not mydata.query("SELECT 1", limit=10).truncated


def test_csv_export_neutralises_spreadsheet_formulas(mydata: MyData, tmp_path: Path) -> None:
    values = ["=1+2", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "plain", None, "a=b"]
    batch = pa.RecordBatch.from_pylist(
        [
            {"Id": account_id(str(i)), "Name": "n", "Formula__c": v, "Employees": -5}
            for i, v in enumerate(values)
        ],
        schema=SCHEMA,
    )
    mydata.publish(stage(mydata, [batch]), publication())
    target = mydata.export("Sales", "Account", tmp_path / "out" / "account.csv", "csv")
    with target.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    by_id = {r["Id"]: r for r in records}
    got = [by_id[account_id(str(i))]["Formula__c"] for i in range(len(values))]
    assert got == ["'=1+2", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "", "a=b"]
    # Numbers are not text: a negative number stays a number.
    assert {r["Employees"] for r in records} == {"-5"}


def test_parquet_export_round_trips(mydata: MyData, tmp_path: Path) -> None:
    mydata.publish(stage(mydata, [rows(("1", "=A", 1, 1))]), publication())
    target = mydata.export("Sales", "Account", tmp_path / "account.parquet", "parquet")
    table = pq.read_table(target)
    assert table.column("Name").to_pylist() == ["=A"]
    assert not list(tmp_path.glob(".*partial"))


def test_a_process_holding_the_write_lock_makes_calls_wait_then_raise_busy(
    mydata: MyData,
) -> None:
    mydata.create_folder("Sales")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(mydata.path)!r})
                print("locked", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        slept: list[float] = []
        clock = iter(range(1000))
        busy = MyData(
            mydata.path, busy_timeout=5, sleep=slept.append, clock=lambda: float(next(clock))
        )
        with pytest.raises(StoreBusy):
            busy.list_folders()
        assert slept and slept == sorted(slept)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        assert holder.stdout is not None
        holder.stdout.close()
    assert mydata.list_folders() == ["Sales"]


def test_data_sets_published_at_once_from_threads_all_land(mydata: MyData) -> None:
    import threading

    names = [f"Set{i}" for i in range(4)]
    staged = {
        n: stage(mydata, [rows((str(i), n, i, 5))], run_id=f"run-{i}", name=n)
        for i, n in enumerate(names)
    }
    errors: list[BaseException] = []

    def publish(name: str) -> None:
        try:
            mydata.publish(staged[name], publication(name=name))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(d.name for d in mydata.list_datasets("Sales")) == names
