"""Field rules: importable fields, skipped fields, cursor choice and the explicit Arrow schema."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from sfimport.errors import UsageError
from sfimport.extract.schema import (
    FieldSpec,
    arrow_schema,
    cursor_field,
    field_label,
    field_note,
    field_sf_type,
    select_fields,
)


def describe_field(name: str, sf_type: str, **extra: Any) -> dict[str, Any]:
    soap = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean"}.get(sf_type)
    wire: dict[str, Any] = {
        "name": name,
        "label": extra.pop("label", name),
        "type": sf_type,
        "soapType": soap or "xsd:string",
        "compoundFieldName": None,
        "calculated": False,
        "nillable": True,
        "length": 0,
        "precision": 0,
        "scale": 0,
        "referenceTo": [],
    }
    wire.update(extra)
    return wire


ACCOUNT = [
    FieldSpec.from_describe(f)
    for f in [
        describe_field("Id", "id", label="Account ID", nillable=False, length=18),
        describe_field("Name", "string", label="Account Name", length=255),
        describe_field("BillingStreet", "textarea", compoundFieldName="BillingAddress"),
        describe_field("BillingCity", "string", compoundFieldName="BillingAddress"),
        describe_field("BillingLatitude", "double", compoundFieldName="BillingAddress"),
        describe_field("BillingAddress", "address", soapType="urn:address"),
        describe_field("Logo__c", "base64", soapType="xsd:base64Binary"),
        describe_field("OwnerId", "reference", referenceTo=["User"]),
        describe_field("CreatedDate", "datetime"),
        describe_field("SystemModstamp", "datetime"),
    ]
]


def test_from_describe_keeps_what_an_import_needs() -> None:
    wire = describe_field(
        "OwnerId", "reference", referenceTo=["User", "Group"], length=18, label="Owner ID"
    )
    spec = FieldSpec.from_describe(wire)
    assert spec.name == "OwnerId"
    assert spec.label == "Owner ID"
    assert spec.sf_type == "reference"
    assert spec.soap_type == "tns:ID"
    assert spec.reference_to == ("User", "Group")
    assert spec.length == 18


def test_compound_address_is_skipped_and_its_parts_are_imported() -> None:
    selection = select_fields(ACCOUNT)
    assert "BillingAddress" not in selection.names
    assert {"BillingStreet", "BillingCity", "BillingLatitude"} <= set(selection.names)
    skipped = {s.name: s.reason for s in selection.skipped}
    assert "BillingStreet" in skipped["BillingAddress"]


def test_base64_fields_are_skipped_with_a_reason() -> None:
    selection = select_fields(ACCOUNT)
    assert "Logo__c" not in selection.names
    assert "base64" in {s.name: s.reason for s in selection.skipped}["Logo__c"]
    assert selection.bulk_supported


def test_choosing_a_compound_field_selects_its_parts_and_always_the_id() -> None:
    selection = select_fields(ACCOUNT, ["billingaddress", "Name"])
    assert selection.names == ("Id", "Name", "BillingStreet", "BillingCity", "BillingLatitude")


def test_choosing_an_unknown_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Nope__c"):
        select_fields(ACCOUNT, ["Name", "Nope__c"])


def test_a_json_field_makes_the_selection_rest_only() -> None:
    fields = [*ACCOUNT, FieldSpec.from_describe(describe_field("Payload__c", "json"))]
    assert not select_fields(fields).bulk_supported


def test_cursor_prefers_system_modstamp_then_last_modified_then_created() -> None:
    created = FieldSpec("CreatedDate", "Created", "datetime")
    modified = FieldSpec("LastModifiedDate", "Modified", "datetime")
    stamp = FieldSpec("SystemModstamp", "Stamp", "datetime")
    assert cursor_field([created, modified, stamp]) == "SystemModstamp"
    assert cursor_field([created, modified]) == "LastModifiedDate"
    assert cursor_field([created]) == "CreatedDate"
    assert cursor_field([FieldSpec("Id", "Id", "id")]) is None


@pytest.mark.parametrize(
    ("sf_type", "arrow_type"),
    [
        ("id", pa.string()),
        ("reference", pa.string()),
        ("string", pa.string()),
        ("picklist", pa.string()),
        ("multipicklist", pa.string()),
        ("combobox", pa.string()),
        ("textarea", pa.string()),
        ("email", pa.string()),
        ("phone", pa.string()),
        ("url", pa.string()),
        ("encryptedstring", pa.string()),
        ("boolean", pa.bool_()),
        ("int", pa.int64()),
        ("long", pa.int64()),
        ("double", pa.float64()),
        ("percent", pa.decimal128(38, 8)),  # scale 0 in describe: the fallback scale
        ("currency", pa.decimal128(38, 8)),
        ("date", pa.date32()),
        ("datetime", pa.timestamp("ms", tz="UTC")),
        ("time", pa.time32("ms")),
        ("anyType", pa.string()),
        ("somethingnew", pa.string()),
    ],
)
def test_each_salesforce_type_has_one_explicit_arrow_type(
    sf_type: str, arrow_type: pa.DataType
) -> None:
    schema = arrow_schema([FieldSpec("F", "The F", sf_type)])
    assert schema.field("F").type == arrow_type


def test_column_metadata_keeps_salesforce_type_and_label() -> None:
    schema = arrow_schema(select_fields(ACCOUNT).fields)
    assert field_sf_type(schema.field("OwnerId")) == "reference"
    assert field_label(schema.field("Name")) == "Account Name"
    assert schema.names[0] == "Id"


def test_money_takes_the_scale_describe_gives_and_says_when_it_falls_back() -> None:
    amount = FieldSpec("Amount", "Amount", "currency", precision=18, scale=2)
    revenue = FieldSpec("AnnualRevenue", "Annual Revenue", "currency", precision=18, scale=0)
    schema = arrow_schema([amount, revenue])
    assert schema.field("Amount").type == pa.decimal128(38, 2)
    assert field_note(schema.field("Amount")) == ""
    assert schema.field("AnnualRevenue").type == pa.decimal128(38, 8)
    assert "describe gives scale 0" in field_note(schema.field("AnnualRevenue"))
