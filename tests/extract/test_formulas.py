"""When formula columns are re-read, and whether REST or Bulk reads a given number of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfimport.extract.cost import bulk_seconds, cheaper_method, crossover_rows, rest_seconds
from sfimport.extract.formulas import FORMULA_THRESHOLD_ROWS, formula_fields, formulas_due
from sfimport.extract.schema import FieldSpec

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("every", "rows", "last", "due"),
    [
        (None, 1_000, NOW - timedelta(minutes=5), True),
        (None, FORMULA_THRESHOLD_ROWS + 1, NOW - timedelta(hours=23), False),
        (None, FORMULA_THRESHOLD_ROWS + 1, NOW - timedelta(hours=24), True),
        (None, FORMULA_THRESHOLD_ROWS + 1, None, True),
        ("always", 10_000_000, NOW, True),
        ("daily", 10, NOW - timedelta(hours=1), False),
        ("never", 10, None, False),
    ],
)
def test_formulas_are_due_by_the_data_sets_schedule(
    every: str | None, rows: int, last: datetime | None, due: bool
) -> None:
    assert formulas_due(every, rows, last, NOW) is due


def test_formula_fields_are_the_calculated_ones() -> None:
    fields = [
        FieldSpec("Id", "Id", "id"),
        FieldSpec("Name", "Name", "string"),
        FieldSpec("Account_Industry__c", "Industry", "string", calculated=True),
    ]
    assert formula_fields(fields) == ("Account_Industry__c",)


def test_few_changed_rows_go_through_rest_and_many_through_bulk() -> None:
    crossover = crossover_rows()
    assert cheaper_method(2_000) == "rest"
    assert cheaper_method(crossover - 2_000) == "rest"
    assert cheaper_method(crossover) == "bulk"
    assert cheaper_method(1_000_000) == "bulk"
    assert cheaper_method(None) == "bulk"
    assert rest_seconds(crossover) > bulk_seconds(crossover)
