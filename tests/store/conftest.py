"""Shared fixtures for My Data tests: a data folder and a small Account-like schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sfimport.extract.schema import FieldSpec, arrow_schema
from sfimport.store.mydata import MyData, Publication
from sfimport.store.staging import StagedData

FIELDS = [
    FieldSpec("Id", "Account ID", "id"),
    FieldSpec("Name", "Account Name", "string"),
    FieldSpec("Formula__c", "Formula", "string"),
    FieldSpec("Employees", "Employees", "int"),
    FieldSpec("SystemModstamp", "System Modstamp", "datetime"),
]
SCHEMA = arrow_schema(FIELDS)


def rows(*items: tuple[str, str, int, int]) -> pa.RecordBatch:
    """Rows of (id suffix, name, employees, modstamp day in January 2024)."""
    return pa.RecordBatch.from_pylist(
        [
            {
                "Id": f"001R0000000000{suffix}AAA"[:18],
                "Name": name,
                "Formula__c": None,
                "Employees": employees,
                "SystemModstamp": datetime(2024, 1, day, tzinfo=UTC),
            }
            for suffix, name, employees, day in items
        ],
        schema=SCHEMA,
    )


def account_id(suffix: str) -> str:
    return f"001R0000000000{suffix}AAA"[:18]


@pytest.fixture
def mydata(tmp_path: Path) -> MyData:
    return MyData.for_data_dir(tmp_path, busy_timeout=2.0)


def stage(
    mydata: MyData, batches: list[pa.RecordBatch], run_id: str = "run-1", name: str = "Account"
) -> StagedData:
    with mydata.stage(run_id, "Sales", name, batches[0].schema) as writer:
        for batch in batches:
            writer.write(batch)
    return writer.close()


def publication(**overrides: Any) -> Publication:
    values: dict[str, Any] = {
        "folder": "Sales",
        "name": "Account",
        "connection": "acme-prod",
        "source": "Account",
        "cursor_field": "SystemModstamp",
    }
    values.update(overrides)
    return Publication(**values)
