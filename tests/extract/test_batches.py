"""Bulk CSV pages and REST records become record batches of the explicit schema, value for value."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sfimport.errors import SalesforceError
from sfimport.extract.batches import csv_page_batches, csv_page_table, rest_records_batch
from sfimport.extract.schema import FieldSpec, arrow_schema

FIELDS = [
    FieldSpec("Id", "Account ID", "id"),
    FieldSpec("OwnerId", "Owner ID", "reference"),
    FieldSpec("Name", "Name", "string"),
    FieldSpec("Type", "Type", "picklist"),
    FieldSpec("Tags__c", "Tags", "multipicklist"),
    FieldSpec("Description", "Description", "textarea"),
    FieldSpec("Email__c", "Email", "email"),
    FieldSpec("Phone", "Phone", "phone"),
    FieldSpec("Website", "Website", "url"),
    FieldSpec("Active__c", "Active", "boolean"),
    FieldSpec("NumberOfEmployees", "Employees", "int"),
    FieldSpec("Big__c", "Big", "long"),
    FieldSpec("Score__c", "Score", "double"),
    FieldSpec("Share__c", "Share", "percent"),
    FieldSpec("AnnualRevenue", "Revenue", "currency"),
    FieldSpec("Founded__c", "Founded", "date"),
    FieldSpec("SystemModstamp", "Stamp", "datetime"),
    FieldSpec("Opens__c", "Opens", "time"),
]
SCHEMA = arrow_schema(FIELDS)

CSV_PAGE = (
    b'"Id","OwnerId","Name","Type","Tags__c","Description","Email__c","Phone","Website",'
    b'"Active__c","NumberOfEmployees","Big__c","Score__c","Share__c","AnnualRevenue",'
    b'"Founded__c","SystemModstamp","Opens__c"\n'
    b'"001R0000004jKfBIAU","005R0000000UyrWIAS","Acme, ""Inc""","NA","a;b",'
    b'"line one\nline two","ops@acme.example","+1 (415) 555-0100","https://acme.example",'
    b'"true","8500","9007199254740993","61.217062","12.5","300.0","1999-12-31",'
    b'"2024-01-31T10:20:30.123Z","08:30:00.000Z"\n'
    b'"001R0000004jKfCIAU","","null","N/A","","","","","","false","","","","","","","",""\n'
)
REST_RECORDS: list[dict[str, Any]] = [
    {
        "attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/001R"},
        "Id": "001R0000004jKfBIAU",
        "OwnerId": "005R0000000UyrWIAS",
        "Owner": {"attributes": {"type": "User"}, "Name": "Jane Dunn"},
        "Name": 'Acme, "Inc"',
        "Type": "NA",
        "Tags__c": "a;b",
        "Description": "line one\nline two",
        "Email__c": "ops@acme.example",
        "Phone": "+1 (415) 555-0100",
        "Website": "https://acme.example",
        "Active__c": True,
        "NumberOfEmployees": 8500,
        "Big__c": 9007199254740993,
        # Query pages are parsed with exact decimals (RestApi.query(exact_numbers=True)).
        "Score__c": Decimal("61.217062"),
        "Share__c": Decimal("12.5"),
        "AnnualRevenue": Decimal("300.0"),
        "Founded__c": "1999-12-31",
        "SystemModstamp": "2024-01-31T10:20:30.123+0000",
        "Opens__c": "08:30:00.000Z",
    },
    {
        "attributes": {"type": "Account"},
        "Id": "001R0000004jKfCIAU",
        "OwnerId": None,
        "Owner": None,
        "Name": "null",
        "Type": "N/A",
        "Tags__c": None,
        "Description": None,
        "Email__c": None,
        "Phone": None,
        "Website": None,
        "Active__c": False,
        "NumberOfEmployees": None,
        "Big__c": None,
        "Score__c": None,
        "Share__c": None,
        "AnnualRevenue": None,
        "Founded__c": None,
        "SystemModstamp": None,
        "Opens__c": None,
    },
]
EXPECTED_FIRST = {
    "Id": "001R0000004jKfBIAU",
    "OwnerId": "005R0000000UyrWIAS",
    "Name": 'Acme, "Inc"',
    "Type": "NA",
    "Tags__c": "a;b",
    "Description": "line one\nline two",
    "Email__c": "ops@acme.example",
    "Phone": "+1 (415) 555-0100",
    "Website": "https://acme.example",
    "Active__c": True,
    "NumberOfEmployees": 8500,
    "Big__c": 9007199254740993,
    "Score__c": 61.217062,
    "Share__c": Decimal("12.5"),
    "AnnualRevenue": Decimal("300.0"),
    "Founded__c": date(1999, 12, 31),
    "SystemModstamp": datetime(2024, 1, 31, 10, 20, 30, 123000, tzinfo=UTC),
    "Opens__c": time(8, 30),
}


def test_csv_page_parses_every_type_to_its_value() -> None:
    table = csv_page_table(CSV_PAGE, SCHEMA)
    first = table.to_pylist()[0]
    assert first == EXPECTED_FIRST
    assert first["SystemModstamp"].utcoffset().total_seconds() == 0


def test_csv_batches_carry_the_explicit_schema_with_metadata() -> None:
    (batch,) = csv_page_batches(CSV_PAGE, SCHEMA)
    assert batch.schema.equals(SCHEMA, check_metadata=True)


def test_csv_empty_field_is_null_but_na_and_null_text_stay_text() -> None:
    second = csv_page_table(CSV_PAGE, SCHEMA).to_pylist()[1]
    assert second["Name"] == "null"
    assert second["Type"] == "N/A"
    assert second["OwnerId"] is None
    assert second["NumberOfEmployees"] is None
    assert second["SystemModstamp"] is None
    assert second["Active__c"] is False


def test_ids_stay_18_character_strings() -> None:
    ids = csv_page_table(CSV_PAGE, SCHEMA).column("Id").to_pylist()
    assert ids == ["001R0000004jKfBIAU", "001R0000004jKfCIAU"]


def test_rest_records_and_csv_page_of_the_same_records_give_equal_batches() -> None:
    from_rest = rest_records_batch(REST_RECORDS, SCHEMA)
    from_csv = csv_page_table(CSV_PAGE, SCHEMA).combine_chunks().to_batches()[0]
    assert from_rest.schema.equals(SCHEMA, check_metadata=True)
    assert from_rest.equals(from_csv)


def test_rest_records_turn_empty_text_into_null_as_csv_does() -> None:
    schema = arrow_schema([FieldSpec("Name", "Name", "string")])
    batch = rest_records_batch([{"Name": ""}, {"Name": "NA"}], schema)
    assert batch.column(0).to_pylist() == [None, "NA"]


def test_rest_any_type_values_are_kept_as_text() -> None:
    schema = arrow_schema([FieldSpec("NewValue", "New Value", "anyType")])
    batch = rest_records_batch([{"NewValue": 12}, {"NewValue": True}, {"NewValue": "x"}], schema)
    assert batch.column(0).to_pylist() == ["12", "true", "x"]


def test_rest_value_of_the_wrong_type_names_the_column_but_not_the_value() -> None:
    schema = arrow_schema([FieldSpec("Score__c", "Score", "double")])
    with pytest.raises(SalesforceError, match="Score__c") as caught:
        rest_records_batch([{"Score__c": "secret-value"}], schema)
    assert "secret-value" not in str(caught.value)


def test_csv_value_of_the_wrong_type_does_not_echo_the_value() -> None:
    schema = arrow_schema([FieldSpec("Id", "Id", "id"), FieldSpec("N", "N", "int")])
    with pytest.raises(SalesforceError, match="column #2") as caught:
        list(csv_page_batches(b'"Id","N"\n"001","secret-value"\n', schema))
    assert "secret-value" not in str(caught.value)


def test_csv_page_missing_a_column_is_an_error_naming_it() -> None:
    schema = arrow_schema([FieldSpec("Id", "Id", "id"), FieldSpec("Name", "Name", "string")])
    with pytest.raises(SalesforceError, match="Name"):
        list(csv_page_batches(b'"Id"\n"001"\n', schema))


def test_csv_columns_follow_the_schema_whatever_the_page_order() -> None:
    schema = arrow_schema([FieldSpec("Id", "Id", "id"), FieldSpec("N", "N", "int")])
    table = csv_page_table(b'"N","Id"\n"3","001"\n', schema)
    assert table.to_pylist() == [{"Id": "001", "N": 3}]


def test_empty_page_gives_no_batches() -> None:
    assert list(csv_page_batches(b"", SCHEMA)) == []
    header_only = CSV_PAGE.split(b"\n", 1)[0] + b"\n"
    assert list(csv_page_batches(header_only, SCHEMA)) == []


def test_large_page_streams_in_bounded_batches_from_chunks() -> None:
    schema = arrow_schema([FieldSpec("Id", "Id", "id"), FieldSpec("N", "N", "int")])
    rows = b"".join(b'"001%015d","%d"\n' % (i, i) for i in range(50_000))
    body = b'"Id","N"\n' + rows
    chunks = (body[i : i + 10_000] for i in range(0, len(body), 10_000))
    batches = list(csv_page_batches(chunks, schema, block_size=64 << 10))
    assert len(batches) > 5
    assert max(b.nbytes for b in batches) < 2 << 20
    assert sum(b.num_rows for b in batches) == 50_000
    assert batches[-1].column("N")[-1].as_py() == 49_999


def test_a_binary_file_is_read_as_a_page() -> None:
    table = csv_page_table(io.BytesIO(CSV_PAGE), SCHEMA)
    assert table.num_rows == 2
    assert table.schema.equals(SCHEMA)
    assert isinstance(table, pa.Table)


def test_money_is_a_decimal_at_describe_scale_and_a_binary_float_is_refused() -> None:
    specs = [
        FieldSpec("Id", "Id", "id"),
        FieldSpec("Amount", "Amount", "currency", precision=18, scale=2),
    ]
    schema = arrow_schema(specs)
    assert schema.field("Amount").type == pa.decimal128(38, 2)
    page = b'"Id","Amount"\n"006A","0.10"\n"006B","0.20"\n"006C","1E+2"\n'
    table = csv_page_table(page, schema)
    assert table.column("Amount").to_pylist() == [
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("100.00"),
    ]
    assert pc.sum(table.column("Amount")).as_py() == Decimal("100.30")
    exact = rest_records_batch([{"Id": "006A", "Amount": Decimal("0.10")}], schema)
    assert exact.column(1).to_pylist() == [Decimal("0.10")]
    with pytest.raises(SalesforceError, match="column Amount"):
        rest_records_batch([{"Id": "006A", "Amount": 0.1}], schema)
