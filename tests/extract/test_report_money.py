"""Report money is exact: currency and percent columns are decimals read from Salesforce's JSON
text, so amounts a binary float would round keep every digit and their sum is exact."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import httpx2
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.extract.objects import Tally
from sfimport.extract.reports import ReportReader
from sfimport.extract.schema import field_note
from sfimport.salesforce.client import RetryPolicy, SalesforceClient
from tests.extract.fake_org import INSTANCE, BearerAuth

#: Amounts as Salesforce writes them; float64 holds none of the first three exactly, and the
#: first has more significant digits than a double keeps at all.
AMOUNTS = ["12345678901234567.89", "0.10", "0.20", "-7.05"]
PERCENTS = ["12.345", "0.1", "99.99", "33.33"]
METADATA: dict[str, Any] = {
    "id": "00O000000000009AAA",
    "name": "Money",
    "detailColumns": ["NAME", "AMOUNT", "PROBABILITY"],
    "aggregates": ["RowCount"],
    "reportFilters": [],
    "reportFormat": "TABULAR",
}
INFO = {
    "NAME": {"label": "Name", "dataType": "string"},
    "AMOUNT": {"label": "Amount", "dataType": "currency"},
    "PROBABILITY": {"label": "Probability (%)", "dataType": "percent"},
}


def _run_text(instance_id: str) -> str:
    cells = [
        {
            "dataCells": [
                {"label": f"Deal {i}", "value": f"Deal {i}"},
                {"label": f"${amount}", "value": {"amount": f"@{amount}@", "currency": None}},
                {"label": f"{percent}%", "value": f"@{percent}@"},
            ]
        }
        for i, (amount, percent) in enumerate(zip(AMOUNTS, PERCENTS, strict=True))
    ]
    body = {
        "attributes": {"id": instance_id, "status": "Success", "type": "ReportInstance"},
        "allData": True,
        "factMap": {"T!T": {"aggregates": [{"label": "4", "value": 4}], "rows": cells}},
        "groupingsDown": {"groupings": []},
        "groupingsAcross": {"groupings": []},
        "reportMetadata": METADATA,
        "reportExtendedMetadata": {"detailColumnInfo": INFO},
    }
    # The numbers as Salesforce's JSON text writes them (a json.dumps of floats would round).
    return re.sub(r'"@([-0-9.]+)@"', r"\1", json.dumps(body))


def _handler(request: httpx2.Request) -> httpx2.Response:
    if request.method == "POST":
        return httpx2.Response(200, json={"id": "0LG000000000001AAA", "status": "New"})
    text = _run_text(request.url.path.rsplit("/", 1)[1])
    return httpx2.Response(200, content=text, headers={"Content-Type": "application/json"})


def _read() -> tuple[pa.Schema, pa.Table]:
    http = httpx2.Client(transport=httpx2.MockTransport(_handler))
    client = SalesforceClient(INSTANCE, BearerAuth(), http=http, retry=RetryPolicy(attempts=1))
    describe: Any = {
        "reportMetadata": METADATA,
        "reportExtendedMetadata": {"detailColumnInfo": INFO},
    }
    reader = ReportReader(
        client, METADATA["id"], describe, Tally(), lambda t: None, sleep=lambda s: None
    )
    table = pa.Table.from_batches(list(reader.batches()), schema=reader.schema)
    assert reader.outcome is not None and reader.outcome.incomplete_reason is None
    return reader.schema, table


def test_report_amounts_keep_every_digit_and_sum_exactly() -> None:
    schema, table = _read()
    assert pa.types.is_decimal(schema.field("Amount").type)
    assert schema.field("Amount").type.scale == 8
    assert table.column("Amount").to_pylist() == [Decimal(a) for a in AMOUNTS]
    expected = sum((Decimal(a) for a in AMOUNTS), Decimal(0))
    assert pc.sum(table.column("Amount")).as_py() == expected
    # What a float64 column would have held instead: the big amount loses its cents.
    assert Decimal(float(AMOUNTS[0])) != Decimal(AMOUNTS[0])


def test_report_percentages_are_exact_decimals_and_the_schema_says_why_scale_8() -> None:
    schema, table = _read()
    assert pa.types.is_decimal(schema.field("Probability (%)").type)
    assert table.column("Probability (%)").to_pylist() == [Decimal(p) for p in PERCENTS]
    note = field_note(schema.field("Amount"))
    assert note is not None and "DECIMAL(38,8)" in note and "no decimal places" in note


def test_a_multi_currency_reports_amounts_keep_their_currency_and_converted_amounts() -> None:
    # A multi-currency org: the report has a display currency, each amount its own currency,
    # and Salesforce's converted amounts (in the corporate currency) come as a column of their own.
    metadata = {
        **METADATA,
        "currency": "USD",
        "detailColumns": ["NAME", "AMOUNT", "CONVERTED_AMOUNT"],
    }
    info = {
        "NAME": INFO["NAME"],
        "AMOUNT": INFO["AMOUNT"],
        "CONVERTED_AMOUNT": {"label": "Amount (converted)", "dataType": "currency"},
    }
    deals = [("1000.10", "EUR", "1086.52"), ("150000", "JPY", "999.99"), ("7.05", "USD", "7.05")]
    cells = [
        {
            "dataCells": [
                {"label": f"Deal {i}", "value": f"Deal {i}"},
                {"label": f"{code} {amount}", "value": {"amount": f"@{amount}@", "currency": code}},
                {"label": f"USD {usd}", "value": {"amount": f"@{usd}@", "currency": "USD"}},
            ]
        }
        for i, (amount, code, usd) in enumerate(deals)
    ]
    body = {
        "attributes": {"id": "0LG000000000001AAA", "status": "Success", "type": "ReportInstance"},
        "allData": True,
        "factMap": {"T!T": {"aggregates": [{"label": "3", "value": 3}], "rows": cells}},
        "groupingsDown": {"groupings": []},
        "groupingsAcross": {"groupings": []},
        "reportMetadata": metadata,
        "reportExtendedMetadata": {"detailColumnInfo": info},
    }
    text = re.sub(r'"@([-0-9.]+)@"', r"\1", json.dumps(body))

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            return httpx2.Response(200, json={"id": "0LG000000000001AAA", "status": "New"})
        return httpx2.Response(200, content=text, headers={"Content-Type": "application/json"})

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = SalesforceClient(INSTANCE, BearerAuth(), http=http, retry=RetryPolicy(attempts=1))
    describe: Any = {
        "reportMetadata": metadata,
        "reportExtendedMetadata": {"detailColumnInfo": info},
    }
    reader = ReportReader(
        client, METADATA["id"], describe, Tally(), lambda t: None, sleep=lambda s: None
    )
    table = pa.Table.from_batches(list(reader.batches()), schema=reader.schema)
    assert table.column_names == [
        "Name",
        "Amount",
        "Amount (converted)",
        "Amount Currency",
        "Amount (converted) Currency",
    ]
    assert table.column("Amount").to_pylist() == [Decimal(d[0]) for d in deals]
    assert table.column("Amount Currency").to_pylist() == ["EUR", "JPY", "USD"]
    assert table.column("Amount (converted)").to_pylist() == [Decimal(d[2]) for d in deals]
    assert table.column("Amount (converted) Currency").to_pylist() == ["USD"] * 3
