"""Default concealment from field metadata: dates of birth, and the org's own data
classification (FieldDefinition.SecurityClassification and ComplianceGroup)."""

from __future__ import annotations

from sfimport.extract.conceal import (
    Classification,
    classifications_from,
    default_concealed_columns,
    default_concealment,
    field_concealment_reason,
)
from sfimport.extract.plan import ReportColumn
from sfimport.extract.reports import default_concealed_report_columns
from sfimport.extract.schema import FieldSpec

CONTACT = [
    FieldSpec("Id", "Contact ID", "id"),
    FieldSpec("AccountId", "Account ID", "reference"),
    FieldSpec("Email", "Email", "email"),
    FieldSpec("Birthdate", "Birthdate", "date"),
    FieldSpec("Date_of_Birth__c", "Date of birth", "date"),
    FieldSpec("Title", "Title", "string"),
    FieldSpec("Department", "Department", "string"),
    FieldSpec("Passport__c", "Passport", "string"),
    FieldSpec("CreatedDate", "Created Date", "datetime"),
]


def test_dates_of_birth_are_concealed_by_default() -> None:
    columns = default_concealed_columns(CONTACT, "Contact")
    assert "Birthdate" in columns and "Date_of_Birth__c" in columns
    assert "CreatedDate" not in columns
    assert field_concealment_reason(CONTACT[3], "Contact") == "a date of birth"


def test_the_orgs_classification_conceals_fields_no_type_rule_finds() -> None:
    classified = classifications_from(
        [
            {"QualifiedApiName": "Title", "SecurityClassification": "Confidential"},
            {"QualifiedApiName": "Passport__c", "ComplianceGroup": "PII;GDPR"},
            {"QualifiedApiName": "Department", "SecurityClassification": "Internal"},
            {"QualifiedApiName": "Id", "SecurityClassification": "Restricted"},
            {"QualifiedApiName": "AccountId", "ComplianceGroup": "PII"},
            {"QualifiedApiName": "Email", "SecurityClassification": None, "ComplianceGroup": None},
        ]
    )
    assert classified["Passport__c"] == Classification(None, ("PII", "GDPR"))
    reasons = default_concealment(CONTACT, "Contact", classified)
    assert reasons["Title"] == "the org classifies it Confidential"
    assert reasons["Passport__c"] == "the org classifies it PII, GDPR"
    assert reasons["Email"] == "an email address"
    assert reasons["Birthdate"] == "a date of birth"
    # Internal and Public are not concealed; ids and references never are, whatever the org says.
    assert {"Department", "Id", "AccountId"}.isdisjoint(reasons)


def test_a_birthdate_report_column_is_concealed_by_default() -> None:
    columns = [
        ReportColumn("FIRST_NAME", "First Name", "string"),
        ReportColumn("BIRTHDATE", "Birthdate", "date"),
        ReportColumn("CREATED_DATE", "Created Date", "datetime"),
    ]
    assert default_concealed_report_columns(columns) == ("First Name", "Birthdate")
