"""FieldDefinition with each field's data classification, filtered by its reified column."""

from __future__ import annotations

from tests.emulator.conftest import Http, error_of


def test_field_definition_serves_the_classification_of_an_objects_fields(
    http: Http, admin_token: str
) -> None:
    response = http.query(
        "SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition "
        "WHERE EntityDefinition.QualifiedApiName = 'Contact'",
        admin_token,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    records = {r["QualifiedApiName"]: r for r in body["records"]}
    assert body["totalSize"] == len(records) and "Id" in records
    assert records["Birthdate"]["SecurityClassification"] == "Restricted"
    assert records["Birthdate"]["ComplianceGroup"] == "PII;GDPR"
    assert records["Department"]["SecurityClassification"] == "Internal"
    assert records["Id"]["SecurityClassification"] is None
    assert records["Birthdate"]["attributes"]["type"] == "FieldDefinition"


def test_field_definition_needs_a_filter_on_its_entity(http: Http, admin_token: str) -> None:
    response = http.query("SELECT QualifiedApiName FROM FieldDefinition", admin_token)
    assert response.status_code == 400
    assert error_of(response)[1] == "MALFORMED_QUERY"
