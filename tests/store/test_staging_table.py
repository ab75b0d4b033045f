"""Imports stage into a table of their run inside My Data: pages commit with their checkpoint,
readers see only published data sets meanwhile, and publishing swaps the table in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from sfimport.extract.resume import Checkpoint, PageStaging
from sfimport.store.mydata import MyData, Publication
from tests.store.conftest import SCHEMA, account_id, rows, stage

PUBLICATION = Publication(folder="Sales", name="Account", connection="acme", source="Account")


class Killed(BaseException):
    """The process dying between two steps (nothing in the product catches it)."""


def staging_tables(mydata: MyData) -> list[str]:
    con = duckdb.connect(str(mydata.path), read_only=True)
    try:
        found = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '__staging__')"
        ).fetchall()
        return [str(r[0]) for r in found]
    finally:
        con.close()


def stager(mydata: MyData, saved: list[dict[str, Any]], checkpoint: Checkpoint) -> PageStaging:
    return PageStaging(
        mydata,
        "run-2",
        "Sales",
        "Account",
        SCHEMA,
        checkpoint,
        lambda c: saved.append(c.to_json()),
    )


def test_readers_see_the_last_published_state_while_a_run_stages_pages(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "Old", 1, 1))]), PUBLICATION)
    staging = stager(mydata, [], Checkpoint(plan={}))
    staging.write(rows(("2", "New", 2, 2), ("3", "Newer", 3, 3)))
    staging.end_page({"kind": "rest", "next_url": "/next"})

    # Staged but not published: the data set, its preview, queries and exports are unchanged.
    assert mydata.get_dataset("Sales", "Account").row_count == 1
    assert mydata.query('SELECT "Name" FROM "Sales"."Account"').table.column(0).to_pylist() == [
        "Old"
    ]
    assert mydata.preview("Sales", "Account").num_rows == 1
    assert [d.name for d in mydata.list_datasets()] == ["Account"]

    published = mydata.publish(staging.staged(), PUBLICATION)
    assert published.row_count == 2
    names = mydata.query('SELECT "Name" FROM "Sales"."Account" ORDER BY 1').table.column(0)
    assert names.to_pylist() == ["New", "Newer"]
    assert staging_tables(mydata) == [], "the staging table became the data set"


def test_a_page_committed_before_a_kill_is_not_read_again(mydata: MyData) -> None:
    def dies(_: Checkpoint) -> None:
        raise Killed("after the page's commit in My Data, before run history saved it")

    staging = PageStaging(
        mydata, "run-2", "Sales", "Account", SCHEMA, Checkpoint(plan={"x": 1}), dies
    )
    staging.write(rows(("1", "A", 1, 1), ("2", "B", 2, 2)))
    with pytest.raises(Killed):
        staging.end_page({"kind": "rest", "next_url": "/page-2"})

    # Run history still holds the checkpoint from before the page; My Data's is newer.
    saved: list[dict[str, Any]] = []
    resumed = stager(mydata, saved, Checkpoint(plan={"x": 1}))
    assert resumed.checkpoint.pages == 1 and resumed.checkpoint.rows == 2
    assert resumed.checkpoint.position == {"kind": "rest", "next_url": "/page-2"}
    assert saved and saved[-1]["pages"] == 1, "run history catches up"
    resumed.write(rows(("3", "C", 3, 3)))
    resumed.finish_reading()
    published = mydata.publish(resumed.staged(), PUBLICATION)
    assert published.row_count == 3, "no row lost or doubled"


def test_a_page_missing_from_my_data_restarts_the_read(mydata: MyData) -> None:
    saved: list[dict[str, Any]] = []
    behind = Checkpoint(plan={}, pages=2, rows=10, position={"kind": "rest", "next_url": "/3"})
    staging = stager(mydata, saved, behind)
    assert staging.checkpoint.pages == 0 and staging.checkpoint.position is None
    assert saved[-1]["pages"] == 0


def test_a_run_with_no_rows_publishes_an_empty_data_set(mydata: MyData) -> None:
    staging = stager(mydata, [], Checkpoint(plan={}))
    staging.finish_reading()
    published = mydata.publish(staging.staged(), PUBLICATION)
    assert published.row_count == 0
    assert [c.name for c in published.columns] == SCHEMA.names


def test_merge_from_a_staging_table_keeps_the_last_staged_version(mydata: MyData) -> None:
    mydata.publish(stage(mydata, [rows(("1", "Old", 1, 1), ("2", "Keep", 2, 1))]), PUBLICATION)
    staging = stager(mydata, [], Checkpoint(plan={}))
    staging.write(rows(("1", "First", 5, 3)))
    staging.end_page(None)
    staging.write(rows(("1", "Second", 6, 3), ("3", "Added", 7, 3)))
    staging.finish_reading()

    counts = mydata.merge(staging.staged(), PUBLICATION)
    assert (counts.added, counts.updated, counts.row_count) == (1, 1, 3)
    table = mydata.query('SELECT "Id", "Name" FROM "Sales"."Account" ORDER BY 1').table
    assert table.to_pylist() == [
        {"Id": account_id("1"), "Name": "Second"},
        {"Id": account_id("2"), "Name": "Keep"},
        {"Id": account_id("3"), "Name": "Added"},
    ]
    assert staging_tables(mydata) == []


def test_discarding_a_run_drops_its_staging_tables(mydata: MyData, tmp_path: Path) -> None:
    staging = stager(mydata, [], Checkpoint(plan={}))
    staging.write(rows(("1", "A", 1, 1)))
    staging.end_page(None)
    assert staging_tables(mydata) == ["__staging__run-2__Account"]
    mydata.discard_run("run-1")
    assert staging_tables(mydata) == ["__staging__run-2__Account"], "another run's stays"
    mydata.discard_run("run-2")
    assert staging_tables(mydata) == []
