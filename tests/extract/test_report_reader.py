"""Reports beyond the 2,000-row limit are fetched completely by slicing, checked against the
report's grand total, and marked incomplete when they cannot be split."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx2

from sfimport.extract.objects import Tally
from sfimport.extract.reports import ReportReader
from sfimport.salesforce.client import RetryPolicy, SalesforceClient
from tests.extract.fake_org import INSTANCE, BearerAuth

COLUMNS = ["OPPORTUNITY_NAME", "AMOUNT", "CLOSE_DATE"]
INFO = {
    "OPPORTUNITY_NAME": {"label": "Opportunity Name", "dataType": "string"},
    "AMOUNT": {"label": "Amount", "dataType": "currency"},
    "CLOSE_DATE": {"label": "Close Date", "dataType": "date"},
}
METADATA: dict[str, Any] = {
    "id": "00O000000000001AAA",
    "name": "Big deals",
    "detailColumns": COLUMNS,
    "aggregates": ["RowCount"],
    "reportFilters": [],
    "reportFormat": "TABULAR",
}


def rows(
    count: int, *, same_day: bool = False, same_amount: bool = False, same_name: bool = False
) -> list[dict[str, Any]]:
    start = date(2020, 1, 1)
    return [
        {
            "name": "Deal" if same_name else f"Deal {i}",
            "amount": 1.0 if same_amount else float(i),
            "close": None if i % 97 == 0 else start + timedelta(days=0 if same_day else i % 900),
        }
        for i in range(count)
    ]


#: Report column -> row key of the fake's data.
KEYS = {"OPPORTUNITY_NAME": "name", "AMOUNT": "amount", "CLOSE_DATE": "close"}


class FakeReports:
    """A tabular report run: filters on any column, sorting, topRows, the 2,000-row cap."""

    def __init__(self, data: list[dict[str, Any]]) -> None:
        self.data = data
        self.runs = 0
        self.instances: dict[str, dict[str, Any]] = {}

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        # Runs are asynchronous: POST .../instances, then GET .../instances/{id}.
        if request.method == "POST":
            assert request.url.path.endswith("/instances")
            self.runs += 1
            instance_id = f"0LG000000000{self.runs:03d}AAA"
            self.instances[instance_id] = json.loads(request.content)["reportMetadata"]
            return httpx2.Response(
                200,
                json={
                    "id": instance_id,
                    "status": "New",
                    "requestDate": "2026-03-02T12:00:00Z",
                    "completionDate": None,
                    "ownerId": "005000000000001AAA",
                },
            )
        instance_id = request.url.path.rsplit("/", 1)[1]
        body = self.run(self.instances[instance_id])
        body["attributes"] = {"id": instance_id, "status": "Success", "type": "ReportInstance"}
        return httpx2.Response(200, json=body)

    def run(self, metadata: dict[str, Any]) -> dict[str, Any]:
        kept = [r for r in self.data if all(_match(r, f) for f in metadata["reportFilters"])]
        if metadata.get("sortBy"):
            key = KEYS[metadata["sortBy"][0]["sortColumn"]]
            reverse = metadata["sortBy"][0]["sortOrder"] == "Desc"
            present = sorted((r for r in kept if r[key] is not None), key=lambda r: _key(r[key]))
            if reverse:
                present.reverse()
            kept = present + [r for r in kept if r[key] is None]
        if metadata.get("topRows"):
            kept = kept[: metadata["topRows"]["rowLimit"]]
        cells = [
            {
                "dataCells": [
                    {"label": r["name"], "value": "006000000000001AAA"},
                    {
                        "label": f"${r['amount']}",
                        "value": {"amount": r["amount"], "currency": None},
                    },
                    {"label": "-", "value": None}
                    if r["close"] is None
                    else {"label": str(r["close"]), "value": r["close"].isoformat()},
                ]
            }
            for r in kept[:2000]
        ]
        body = {
            "allData": len(kept) <= 2000,
            "factMap": {"T!T": {"aggregates": [{"label": "", "value": len(kept)}], "rows": cells}},
            "groupingsDown": {"groupings": []},
            "groupingsAcross": {"groupings": []},
            "reportMetadata": metadata,
            "reportExtendedMetadata": {"detailColumnInfo": INFO},
        }
        return body


def _key(value: Any) -> Any:
    # Report filters and sorting compare text case-insensitively.
    return value.lower() if isinstance(value, str) else value


def _match(row: dict[str, Any], rule: dict[str, str]) -> bool:
    key = KEYS[rule["column"]]
    value = row[key]
    operator, literal = rule["operator"], rule["value"]
    if operator == "equals" and literal == "":
        return value is None
    if operator == "notEqual" and literal == "":
        return value is not None
    if value is None:
        return False
    bound: Any = literal.lower()
    if key == "close":
        bound = date.fromisoformat(literal)
    elif key == "amount":
        bound = float(literal)
    compare = {
        "greaterOrEqual": lambda a, b: a >= b,
        "greaterThan": lambda a, b: a > b,
        "lessThan": lambda a, b: a < b,
        "lessOrEqual": lambda a, b: a <= b,
    }[operator]
    return bool(compare(_key(value), bound))


def read(fake: FakeReports) -> tuple[ReportReader, list[Any]]:
    http = httpx2.Client(transport=httpx2.MockTransport(fake.handler))
    client = SalesforceClient(INSTANCE, BearerAuth(), http=http, retry=RetryPolicy(attempts=1))
    describe: Any = {
        "reportMetadata": METADATA,
        "reportExtendedMetadata": {"detailColumnInfo": INFO},
    }
    reader = ReportReader(
        client, METADATA["id"], describe, Tally(), lambda t: None, sleep=lambda s: None
    )
    batches = list(reader.batches())
    return reader, batches


def test_report_over_two_thousand_rows_is_fetched_whole_by_slicing_on_a_date() -> None:
    fake = FakeReports(rows(5000))
    reader, batches = read(fake)
    assert reader.outcome is not None
    assert reader.outcome.incomplete_reason is None
    assert reader.outcome.rows == reader.outcome.grand_total == 5000
    names = [n for b in batches for n in b.column("Opportunity Name").to_pylist()]
    assert sorted(names) == sorted(f"Deal {i}" for i in range(5000))
    assert reader.schema.names == ["Opportunity Name", "Amount", "Close Date"]
    assert str(reader.schema.field("Close Date").type) == "date32[day]"


def test_report_whose_dates_are_one_day_is_split_on_its_amounts() -> None:
    reader, batches = read(FakeReports(rows(2500, same_day=True)))
    assert reader.outcome is not None
    assert reader.outcome.incomplete_reason is None
    assert sum(b.num_rows for b in batches) == reader.outcome.grand_total == 2500


def test_report_with_one_date_and_one_amount_is_split_on_its_text_column() -> None:
    fake = FakeReports(rows(4500, same_day=True, same_amount=True))
    reader, batches = read(fake)
    assert reader.outcome is not None
    assert reader.outcome.incomplete_reason is None
    names = [n for b in batches for n in b.column("Opportunity Name").to_pylist()]
    assert sorted(names) == sorted(f"Deal {i}" for i in range(4500))
    # Each slice is read about once: no run per row.
    assert fake.runs < 40


def test_text_values_with_commas_are_matched_whole_not_as_alternatives() -> None:
    data = rows(2200, same_day=True, same_amount=True)
    for index, row in enumerate(data):
        row["name"] = f"Smith, {index % 3}"
    reader, batches = read(FakeReports(data))
    assert reader.outcome is not None
    assert reader.outcome.incomplete_reason is None
    assert sum(b.num_rows for b in batches) == 2200


def test_report_equal_in_every_column_is_marked_incomplete_not_cut_silently() -> None:
    reader, batches = read(FakeReports(rows(2500, same_day=True, same_amount=True, same_name=True)))
    assert reader.outcome is not None
    assert reader.outcome.incomplete_reason is not None
    assert "same value in every column" in reader.outcome.incomplete_reason
    assert reader.outcome.grand_total == 2500
    # What could be read is kept: the slices that came back whole, and 2,000 of the rest.
    assert 2000 <= sum(b.num_rows for b in batches) < 2500
