"""Obfuscate data: keyed, deterministic, type-preserving pseudonyms and the default columns."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from sfimport.errors import UsageError
from sfimport.extract.conceal import (
    Concealer,
    Shape,
    concealment_reason,
    concealment_shapes,
    default_concealed_columns,
    sample,
    sample_for,
    sample_of,
    sample_rows,
    shape_of,
)
from sfimport.extract.schema import FieldSpec, arrow_schema

KEY = b"k" * 32
OTHER_KEY = b"o" * 32

CONTACT = [
    FieldSpec("Id", "Contact ID", "id"),
    FieldSpec("AccountId", "Account ID", "reference"),
    FieldSpec("FirstName", "First Name", "string"),
    FieldSpec("LastName", "Last Name", "string"),
    FieldSpec("Name", "Full Name", "string"),
    FieldSpec("Email", "Email", "email"),
    FieldSpec("Phone", "Phone", "phone"),
    FieldSpec("MailingStreet", "Street", "textarea", compound_field_name="MailingAddress"),
    FieldSpec("MailingCity", "City", "string", compound_field_name="MailingAddress"),
    FieldSpec("MailingPostalCode", "Zip", "string", compound_field_name="MailingAddress"),
    FieldSpec("MailingState", "State", "string", compound_field_name="MailingAddress"),
    FieldSpec("MailingCountry", "Country", "string", compound_field_name="MailingAddress"),
    FieldSpec("MailingLatitude", "Latitude", "double", compound_field_name="MailingAddress"),
    FieldSpec("MailingLongitude", "Longitude", "double", compound_field_name="MailingAddress"),
    FieldSpec(
        "MailingGeocodeAccuracy", "Accuracy", "picklist", compound_field_name="MailingAddress"
    ),
    FieldSpec("Website__c", "Site", "url"),
    FieldSpec("Description", "Notes", "textarea"),
    FieldSpec("Ssn__c", "SSN", "encryptedstring"),
    FieldSpec("LeadSource", "Lead Source", "picklist"),
    FieldSpec("Title", "Title", "string"),
]


def test_default_columns_are_personal_data_by_type_and_name_never_ids() -> None:
    columns = default_concealed_columns(CONTACT, "Contact")
    assert set(columns) == {
        "FirstName",
        "LastName",
        "Name",
        "Email",
        "Phone",
        "MailingStreet",
        "MailingCity",
        "MailingPostalCode",
        "MailingState",
        "MailingCountry",
        "MailingLatitude",
        "MailingLongitude",
        "Website__c",
        "Description",
        "Ssn__c",
    }


def test_name_is_personal_on_person_objects_only() -> None:
    name = [FieldSpec("Id", "Id", "id"), FieldSpec("Name", "Account Name", "string")]
    assert default_concealed_columns(name, "Account") == ()
    assert default_concealed_columns(name, "Lead") == ("Name",)


def test_same_value_gives_the_same_pseudonym_across_data_sets() -> None:
    concealer = Concealer(KEY)
    contacts = pa.record_batch({"Email": ["jane@example.com", "bob@example.com"]})
    leads = pa.record_batch({"Email": ["bob@example.com", None, "JANE@example.com"]})
    shapes = {"Email": Shape.EMAIL}
    a = concealer.conceal_batch(contacts, shapes).column(0).to_pylist()
    b = concealer.conceal_batch(leads, shapes).column(0).to_pylist()
    assert a[0] == b[2]
    assert a[1] == b[0]
    assert b[1] is None
    assert a[0] != a[1]


def test_different_keys_give_different_pseudonyms() -> None:
    value = "Jane Doe"
    assert Concealer(KEY).pseudonym(value, Shape.PERSON) != Concealer(OTHER_KEY).pseudonym(
        value, Shape.PERSON
    )


def test_pseudonyms_are_readable_and_keep_their_kind() -> None:
    concealer = Concealer(KEY)
    assert re.fullmatch(r"Person [0-9a-f]{12}", concealer.pseudonym("Jane", Shape.PERSON))
    assert re.fullmatch(
        r"u[0-9a-f]{12}@concealed\.invalid", concealer.pseudonym("j@x.com", Shape.EMAIL)
    )
    assert re.fullmatch(r"\+999 \d{4} \d{4} \d{4}", concealer.pseudonym("555", Shape.PHONE))
    assert concealer.pseudonym("https://x", Shape.URL).startswith("https://concealed.invalid/")
    assert concealer.pseudonym("Main St", Shape.STREET).startswith("Street ")


def test_concealed_batch_keeps_its_schema_ids_and_row_count() -> None:
    schema = arrow_schema(CONTACT)
    rows = [
        {f.name: None for f in CONTACT}
        | {
            "Id": f"003R0000000{i:07d}",
            "AccountId": "001R0000004jKfBIAU",
            "Email": f"p{i}@example.com",
            "MailingLatitude": 61.2,
            "LastName": "Doe",
        }
        for i in range(5)
    ]
    batch = pa.RecordBatch.from_pylist(rows, schema=schema)
    shapes = concealment_shapes(schema, default_concealed_columns(CONTACT, "Contact"))
    concealed = Concealer(KEY).conceal_batch(batch, shapes)
    assert concealed.schema.equals(schema, check_metadata=True)
    assert concealed.column("Id").equals(batch.column("Id"))
    assert concealed.column("AccountId").equals(batch.column("AccountId"))
    emails = concealed.column("Email").to_pylist()
    assert all(e.endswith("@concealed.invalid") for e in emails)
    assert len(set(emails)) == 5
    # Non-text columns are concealed as nulls of their own type.
    assert concealed.column("MailingLatitude").to_pylist() == [None] * 5
    assert concealed.column("MailingLatitude").type == pa.float64()
    assert "Doe" not in str(concealed.to_pylist())


def test_concealing_an_id_column_is_refused() -> None:
    schema = arrow_schema(CONTACT)
    with pytest.raises(UsageError, match="ids stay"):
        concealment_shapes(schema, ["AccountId"])
    with pytest.raises(UsageError, match="no such column"):
        concealment_shapes(schema, ["Nope"])


def test_chunked_columns_are_concealed_whole() -> None:
    chunked = pa.chunked_array([["a", "b"], ["a"]])
    out = Concealer(KEY).conceal_array(chunked, Shape.VALUE).to_pylist()
    assert out[0] == out[2] != out[1]


def test_sample_shows_made_up_values_only() -> None:
    original, concealed = sample(Shape.EMAIL)
    assert original == "jane.doe@example.com"
    assert concealed.endswith("@concealed.invalid")
    assert sample_for(CONTACT[5]) == sample(Shape.EMAIL)


def test_a_sample_says_latitude_and_longitude_are_removed_as_concealment_does() -> None:
    assert sample_for(CONTACT[12]) == ("37.7946", "removed (empty)")
    assert sample_for(CONTACT[13]) == ("-122.3950", "removed (empty)")
    assert sample_of("Amount", "currency", pa.float64()) == ("1250.5", "removed (empty)")
    assert sample_of("Birthdate", "date", pa.date32()) == ("2024-05-01", "removed (empty)")
    # What the sample promises is what concealment stores: nulls of the column's own type.
    stored = Concealer(KEY).conceal_array(pa.array([37.7946, None]), Shape.VALUE)
    assert stored.to_pylist() == [None, None] and stored.type == pa.float64()


def test_sample_rows_vary_text_pseudonyms_and_remove_other_values_on_every_row() -> None:
    columns = [(f.name, f.sf_type, f.arrow_type) for f in (CONTACT[5], CONTACT[12])]
    rows = sample_rows(columns, 3)
    assert len({row["Email"][1] for row in rows}) == 3
    assert all(row["Email"][1].endswith("@concealed.invalid") for row in rows)
    assert [row["MailingLatitude"] for row in rows] == [("37.7946", "removed (empty)")] * 3


def test_data_folder_key_is_created_private_once_and_reused(tmp_path: Path) -> None:
    first = Concealer.for_data_folder(tmp_path)
    key_file = tmp_path / "conceal.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = Concealer.for_data_folder(tmp_path)
    assert first.pseudonym("Jane", Shape.PERSON) == again.pseudonym("Jane", Shape.PERSON)
    assert Concealer.for_data_folder(tmp_path / "other").pseudonym(
        "Jane", Shape.PERSON
    ) != first.pseudonym("Jane", Shape.PERSON)


def test_report_columns_named_by_label_conceal_like_their_object_fields() -> None:
    concealer = Concealer(b"k" * 32)
    for label, field in [
        ("First Name", "FirstName"),
        ("Last Name", "LastName"),
        ("Mailing City", "MailingCity"),
    ]:
        from_report = concealer.pseudonym("Ada", shape_of(label, "string"))
        from_object = concealer.pseudonym("Ada", shape_of(field, "string"))
        assert from_report == from_object


def test_person_name_parts_each_get_a_fitting_sample_and_a_reason() -> None:
    text = pa.string()
    assert sample_of("FirstName", "string", text)[0] == "Jane"
    assert sample_of("LastName", "string", text)[0] == "Doe"
    assert sample_of("Last Name", "string", text)[0] == "Doe"  # a report column's label
    assert sample_of("Name", "string", text)[0] == "Jane Doe"
    first, last = sample_of("FirstName", "string", text), sample_of("LastName", "string", text)
    assert first[1] != last[1]  # different inputs, different pseudonyms
    assert concealment_reason("FirstName") == "a person's name"
    assert concealment_reason("MobilePhone") == "a phone number"
    assert concealment_reason("Email") == "an email address"
    assert concealment_reason("MailingCity") == "part of a postal address"
    assert concealment_reason("Description") == "free text that can mention people"


def test_a_gated_column_is_concealed_only_where_its_flag_is_true_or_empty() -> None:
    from sfimport.extract.conceal import Concealer, Shape

    batch = pa.RecordBatch.from_pydict(
        {
            "Name": ["Acme Corp", "Jane Doe", "Unknown Kind"],
            "IsPersonAccount": [False, True, None],
        }
    )
    out = Concealer(b"k" * 32).conceal_batch(
        batch, {"Name": Shape.PERSON}, {"Name": "IsPersonAccount"}
    )
    names = out.column("Name").to_pylist()
    assert names[0] == "Acme Corp"
    assert names[1].startswith("Person ") and names[2].startswith("Person ")
    assert out.schema == batch.schema
