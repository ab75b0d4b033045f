"""``FieldDefinition`` with each field's data classification, as the Tooling and REST query
APIs answer it: ``SecurityClassification`` (Public, Internal, Confidential, Restricted,
MissionCritical) and ``ComplianceGroup`` (a multi-select picklist: PII, GDPR, CCPA, HIPAA...).

Only the query shape clients use is served, filtered by its reified column as Salesforce
requires::

    SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition
    WHERE EntityDefinition.QualifiedApiName = 'Contact'

(``EntityDefinitionId = 'Contact'`` works too). The demo org classifies the personal fields of
Contact and Lead the way a data-protection office would, including fields no type-based rule
would find (a contact's title and department are GDPR personal data there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sfimport.emulator.errors import SalesforceApiError

#: object -> field -> (SecurityClassification, ComplianceGroup)
DEMO_CLASSIFICATION: Mapping[str, Mapping[str, tuple[str, str | None]]] = {
    "Contact": {
        "Birthdate": ("Restricted", "PII;GDPR"),
        "Email": ("Confidential", "PII;GDPR"),
        "Phone": ("Confidential", "PII;GDPR"),
        "MobilePhone": ("Confidential", "PII;GDPR"),
        "Title": ("Confidential", "GDPR"),
        "Department": ("Internal", None),
        "LeadSource": ("Public", None),
    },
    "Lead": {
        "Email": ("Confidential", "PII;GDPR"),
        "Phone": ("Confidential", "PII"),
        "AnnualRevenue": ("Internal", None),
        "Industry": ("Public", None),
    },
}

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,.]+?)\s+FROM\s+FieldDefinition\s+WHERE\s+"
    r"(?:EntityDefinition\.QualifiedApiName|EntityDefinitionId)\s*=\s*'(?P<object>\w+)'\s*$",
    re.IGNORECASE,
)
_SERVED = {
    "qualifiedapiname": "QualifiedApiName",
    "securityclassification": "SecurityClassification",
    "compliancegroup": "ComplianceGroup",
    "durableid": "DurableId",
    "datatype": "DataType",
}


def is_field_definition_query(soql: str) -> bool:
    return re.search(r"\bFROM\s+FieldDefinition\b", soql, re.IGNORECASE) is not None


def answer(soql: str, fields: list[tuple[str, str]], object_name: str, version: str) -> Any:
    """The query answer for the fields (name, type) of ``object_name`` that the user can read."""
    match = _QUERY.match(soql)
    if match is None:
        raise SalesforceApiError(
            400,
            "MALFORMED_QUERY",
            "FieldDefinition: a filter on a reified column is required "
            "[EntityDefinitionId,DurableId]",
        )
    columns = []
    for raw in match.group("fields").split(","):
        key = raw.strip().lower()
        if key not in _SERVED:
            raise SalesforceApiError(
                400,
                "INVALID_FIELD",
                f"No such column '{raw.strip()}' on entity 'FieldDefinition'.",
            )
        columns.append(_SERVED[key])
    classified = DEMO_CLASSIFICATION.get(object_name, {})
    records = []
    for name, sf_type in fields:
        level, groups = classified.get(name, (None, None))
        values = {
            "QualifiedApiName": name,
            "SecurityClassification": level,
            "ComplianceGroup": groups,
            "DurableId": f"{object_name}.{name}",
            "DataType": sf_type,
        }
        record: dict[str, Any] = {
            "attributes": {
                "type": "FieldDefinition",
                "url": f"/services/data/v{version}/sobjects/FieldDefinition/{object_name}.{name}",
            }
        }
        record.update({c: values[c] for c in columns})
        records.append(record)
    return {"totalSize": len(records), "done": True, "records": records}
