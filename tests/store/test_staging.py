"""Staging: batches to Parquet files, bounded, removed on failure, invisible until published."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sfimport.errors import StoreError, UsageError
from sfimport.store.mydata import MyData
from sfimport.store.staging import StagingWriter

from .conftest import SCHEMA, rows


def numbered(count: int) -> pa.RecordBatch:
    return pa.record_batch({"Id": [f"001R{i:014d}" for i in range(count)]})


def test_staged_rows_roll_over_to_new_files_and_read_back_whole(tmp_path: Path) -> None:
    batch = numbered(1000)
    with StagingWriter(tmp_path / "s", batch.schema, buffer_bytes=1, rows_per_file=700) as writer:
        for offset in range(0, 1000, 100):
            writer.write(batch.slice(offset, 100))
    staged = writer.close()
    assert staged.rows == 1000
    assert [p.name for p in staged.files] == ["part-00000.parquet", "part-00001.parquet"]
    table = pa.concat_tables([pq.read_table(p) for p in staged.files])
    assert table.column("Id").to_pylist() == batch.column("Id").to_pylist()


def test_a_failure_while_staging_removes_the_staged_files(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), StagingWriter(tmp_path / "s", SCHEMA) as writer:
        writer.write(rows(("1", "A", 1, 1)))
        raise RuntimeError("download failed")
    assert not (tmp_path / "s").exists()


def test_a_batch_of_another_schema_is_refused(tmp_path: Path) -> None:
    with StagingWriter(tmp_path / "s", SCHEMA) as writer, pytest.raises(StoreError):
        writer.write(numbered(3))


def test_staged_rows_are_not_visible_in_my_data(mydata: MyData) -> None:
    with mydata.stage("run-1", "Sales", "Account", SCHEMA) as writer:
        writer.write(rows(("1", "A", 1, 1)))
    assert mydata.list_datasets() == []
    assert writer.close().directory.is_relative_to(mydata.staging_root / "run-1")
    mydata.discard_run("run-1")
    assert not (mydata.staging_root / "run-1").exists()


def test_staging_paths_cannot_escape_the_staging_folder(mydata: MyData) -> None:
    for run_id, folder, name in [("../x", "A", "B"), ("r", "..", "B"), ("r", "A", "B/../../C")]:
        with pytest.raises(UsageError):
            mydata.stage(run_id, folder, name, SCHEMA)
