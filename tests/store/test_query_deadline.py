"""A query over My Data ends: at its deadline, or when cancelled, and My Data is free again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sfimport.errors import QueryCancelled, QueryTimeout
from sfimport.store.mydata import MyData, QueryCancel

#: Minutes of work for DuckDB: only an interrupt ends it in a test's time.
CROSS_JOIN = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range <> b.range"


def test_a_query_past_its_deadline_is_interrupted_and_says_how_to_allow_longer(
    tmp_path: Path,
) -> None:
    mydata = MyData(tmp_path / "mydata.duckdb")
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as raised:
        mydata.query(CROSS_JOIN, timeout=0.5)
    assert time.monotonic() - started < 20  # interrupted, not minutes of work
    assert "longer than 0.5 s" in raised.value.message
    assert "SFIMPORT_QUERY_TIMEOUT" in raised.value.remedy
    # My Data is released: a write right after it does not wait for anything.
    mydata.create_folder("Sales")
    assert "Sales" in mydata.list_folders()


def test_a_query_cancelled_from_another_thread_stops(tmp_path: Path) -> None:
    mydata = MyData(tmp_path / "mydata.duckdb")
    cancel = QueryCancel()
    threading.Timer(0.5, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(QueryCancelled):
        mydata.query(CROSS_JOIN, timeout=600, cancel=cancel)
    assert time.monotonic() - started < 20


def test_a_query_cancelled_before_it_starts_never_runs(tmp_path: Path) -> None:
    cancel = QueryCancel()
    cancel.cancel()
    with pytest.raises(QueryCancelled):
        MyData(tmp_path / "mydata.duckdb").query("SELECT 1", cancel=cancel)


def test_a_quick_query_is_not_affected_by_its_deadline(tmp_path: Path) -> None:
    result = MyData(tmp_path / "mydata.duckdb").query("SELECT 42 AS n", timeout=5)
    assert result.table.to_pylist() == [{"n": 42}]


def test_a_publish_waits_out_a_running_query_instead_of_failing(tmp_path: Path) -> None:
    from tests.store.conftest import publication, rows, stage

    mydata = MyData.for_data_dir(tmp_path, busy_timeout=30.0)
    mydata.create_folder("Sales")
    outcome: list[BaseException] = []

    def slow_query() -> None:
        try:
            mydata.query(CROSS_JOIN, timeout=2)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=slow_query)
    worker.start()
    time.sleep(0.5)  # the query holds My Data now
    staged = stage(mydata, [rows(("1", "Acme", 10, 1))])
    dataset = mydata.publish(staged, publication())
    worker.join(30)
    assert dataset.row_count == 1
    assert [type(e) for e in outcome] == [QueryTimeout]
    assert mydata.query('SELECT count(*) AS n FROM "Sales"."Account"').table.to_pylist() == [
        {"n": 1}
    ]
