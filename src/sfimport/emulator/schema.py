"""Object and field definitions of the org, and the describe JSON Salesforce derives from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SOAP_TYPES: Mapping[str, str] = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "picklist": "xsd:string",
    "multipicklist": "xsd:string",
    "combobox": "xsd:string",
    "textarea": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "encryptedstring": "xsd:string",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "base64": "xsd:base64Binary",
    "address": "urn:address",
    "location": "urn:location",
}
TEXT_TYPES = frozenset(
    {"string", "picklist", "multipicklist", "combobox", "textarea", "email", "phone", "url"}
    | {"encryptedstring", "id", "reference", "base64"}
)
COMPOUND_TYPES = frozenset({"address", "location"})
_DEFAULT_LENGTH = {
    "id": 18,
    "reference": 18,
    "string": 255,
    "picklist": 255,
    "multipicklist": 4099,
    "textarea": 255,
    "email": 80,
    "phone": 40,
    "url": 255,
    "encryptedstring": 175,
    "base64": 32000000,
}
_NOT_GROUPABLE = frozenset(
    {"double", "currency", "percent", "datetime", "address", "location", "multipicklist"}
    | {"base64", "encryptedstring", "time"}
)
SYSTEM_FIELDS = frozenset(
    {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"}
    | {"SystemModstamp"}
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of an object: enough to answer describe, type SOQL and generate data."""

    name: str
    type: str
    label: str
    length: int | None = None
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    child_relationship: str | None = None
    picklist: tuple[str, ...] = ()
    formula: str | None = None
    #: A roll-up summary of child records, e.g. ``SUM(Opportunity.Amount)`` (no formula text).
    rollup: str | None = None
    compound_field_name: str | None = None
    extra_type_info: str | None = None
    external_id: bool = False
    unique: bool = False
    name_field: bool = False
    read_only: bool = False
    generator: str | None = None
    null_fraction: float = 0.1

    @property
    def custom(self) -> bool:
        return self.name.endswith(("__c", "__s"))

    @property
    def long_text(self) -> bool:
        return self.type == "textarea" and (self.length or 255) > 255

    @property
    def filterable(self) -> bool:
        return not self.long_text and self.type not in {"base64", "location", "encryptedstring"}


@dataclass(frozen=True)
class ObjectSpec:
    """One sObject: its describe flags, fields and how queries against it behave."""

    name: str
    label: str
    label_plural: str
    key_prefix: str | None
    fields: tuple[FieldSpec, ...] = ()
    flags: Mapping[str, bool] = field(default_factory=dict)
    associate_entity_type: str | None = None
    associate_parent_entity: str | None = None
    # (errorCode, message) answered to every SOQL query of an object that cannot be queried
    # as such: non-queryable objects and those that demand a filter (section 9 of the spec).
    query_error: tuple[str, str] | None = None
    # Name of the user permission without which the object is invisible.
    required_permission: str | None = None
    owned: bool = True

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    def field_named(self, name: str) -> FieldSpec | None:
        lowered = name.lower()
        for spec in self.fields:
            if spec.name.lower() == lowered:
                return spec
        return None


DATA_OBJECT_FLAGS: Mapping[str, bool] = {
    "activateable": False,
    "createable": True,
    "customSetting": False,
    "deepCloneable": False,
    "deletable": True,
    "deprecatedAndHidden": False,
    "feedEnabled": True,
    "hasSubtypes": False,
    "isInterface": False,
    "isSubtype": False,
    "layoutable": True,
    "mergeable": False,
    "mruEnabled": True,
    "queryable": True,
    "replicateable": True,
    "retrieveable": True,
    "searchable": True,
    "triggerable": True,
    "undeletable": True,
    "updateable": True,
}

SETUP_OBJECT_FLAGS: Mapping[str, bool] = {
    **DATA_OBJECT_FLAGS,
    "createable": False,
    "deletable": False,
    "feedEnabled": False,
    "layoutable": False,
    "mruEnabled": False,
    "searchable": False,
    "triggerable": False,
    "undeletable": False,
    "updateable": False,
}


def flags(base: Mapping[str, bool] = DATA_OBJECT_FLAGS, **overrides: bool) -> dict[str, bool]:
    """Object-level describe flags: a base set with some overridden."""
    return {**base, **overrides}


def describe_field(spec: FieldSpec) -> dict[str, Any]:
    """The 57-key field object of an sObject describe, in Salesforce's (alphabetical) order."""
    kind = spec.type
    length = spec.length if spec.length is not None else _DEFAULT_LENGTH.get(kind, 0)
    if kind in COMPOUND_TYPES or kind not in TEXT_TYPES:
        length = 0
    text_like = kind in TEXT_TYPES and kind not in {"id", "reference", "base64"}
    byte_length = length * 3 if text_like else (18 if kind in {"id", "reference"} else 0)
    system = spec.name in SYSTEM_FIELDS or spec.read_only
    calculated = spec.formula is not None or spec.rollup is not None
    writable = not system and not calculated and kind not in COMPOUND_TYPES
    not_sortable = spec.long_text or kind in {"address", "location", "multipicklist", "base64"}
    poly = len(spec.reference_to) > 1
    return {
        "aggregatable": kind not in COMPOUND_TYPES | {"boolean", "base64", "multipicklist"}
        and not spec.long_text,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": byte_length,
        "calculated": calculated,
        "calculatedFormula": spec.formula,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": spec.compound_field_name,
        "controllerName": None,
        "createable": writable,
        "custom": spec.custom,
        "defaultValue": False if kind == "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": kind == "boolean" or system or spec.name == "OwnerId",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": spec.digits,
        "displayLocationInDecimal": kind == "location",
        "encrypted": kind == "encryptedstring",
        "externalId": spec.external_id,
        "extraTypeInfo": spec.extra_type_info,
        "filterable": spec.filterable,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": kind not in _NOT_GROUPABLE and not spec.long_text,
        "highScaleNumber": False,
        "htmlFormatted": spec.extra_type_info == "richtextarea",
        "idLookup": kind == "id" or spec.external_id or (kind == "email" and not spec.custom),
        "inlineHelpText": None,
        "label": spec.label,
        "length": length,
        "mask": "X" if kind == "encryptedstring" else None,
        "maskType": "all" if kind == "encryptedstring" else None,
        "name": spec.name,
        "nameField": spec.name_field,
        "namePointing": poly,
        "nillable": spec.nillable and kind not in {"boolean", "id"} and not system,
        "permissionable": spec.nillable and not system and kind != "id",
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in spec.picklist
        ],
        "polymorphicForeignKey": poly,
        "precision": spec.precision,
        "queryByDistance": kind in COMPOUND_TYPES,
        "referenceTargetField": None,
        "referenceTo": list(spec.reference_to),
        "relationshipName": spec.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": spec.scale,
        "searchPrefilterable": False,
        "soapType": SOAP_TYPES[kind],
        "sortable": not not_sortable,
        "type": kind,
        "unique": spec.unique,
        "updateable": writable,
        "writeRequiresMasterRead": False,
    }


def _object_urls(spec: ObjectSpec, version: str, base_url: str, full: bool) -> dict[str, str]:
    root = f"/services/data/v{version}/sobjects/{spec.name}"
    if spec.associate_entity_type == "ChangeEvent":
        return {
            "rowTemplate": f"{root}/{{ID}}",
            "eventSchema": f"{root}/eventSchema",
            "describe": f"{root}/describe",
            "sobject": root,
        }
    if spec.key_prefix is None or not spec.flags["layoutable"]:
        return {"rowTemplate": f"{root}/{{ID}}", "describe": f"{root}/describe", "sobject": root}
    urls = {
        "compactLayouts": f"{root}/describe/compactLayouts",
        "rowTemplate": f"{root}/{{ID}}",
        "approvalLayouts": f"{root}/describe/approvalLayouts",
    }
    if full:
        urls["uiDetailTemplate"] = f"{base_url}/{{ID}}"
        urls["uiEditTemplate"] = f"{base_url}/{{ID}}/e"
    urls["listviews"] = f"{root}/listviews"
    urls["describe"] = f"{root}/describe"
    if full:
        urls["uiNewRecord"] = f"{base_url}/{spec.key_prefix}/e"
    urls["quickActions"] = f"{root}/quickActions"
    urls["layouts"] = f"{root}/describe/layouts"
    urls["sobject"] = root
    return urls


def describe_global_entry(spec: ObjectSpec, version: str) -> dict[str, Any]:
    """One entry of describeGlobal's `sobjects` list."""
    f = spec.flags
    return {
        "activateable": f["activateable"],
        "associateEntityType": spec.associate_entity_type,
        "associateParentEntity": spec.associate_parent_entity,
        "createable": f["createable"],
        "custom": spec.custom,
        "customSetting": f["customSetting"],
        "deepCloneable": f["deepCloneable"],
        "deletable": f["deletable"],
        "deprecatedAndHidden": f["deprecatedAndHidden"],
        "feedEnabled": f["feedEnabled"],
        "hasSubtypes": f["hasSubtypes"],
        "isInterface": f["isInterface"],
        "isSubtype": f["isSubtype"],
        "keyPrefix": spec.key_prefix,
        "label": spec.label,
        "labelPlural": spec.label_plural,
        "layoutable": f["layoutable"],
        "mergeable": f["mergeable"],
        "mruEnabled": f["mruEnabled"],
        "name": spec.name,
        "queryable": f["queryable"],
        "replicateable": f["replicateable"],
        "retrieveable": f["retrieveable"],
        "searchable": f["searchable"],
        "triggerable": f["triggerable"],
        "undeletable": f["undeletable"],
        "updateable": f["updateable"],
        "urls": _object_urls(spec, version, "", full=False),
    }


@dataclass(frozen=True)
class ChildRelationship:
    """A lookup from another object to this one, as listed in `childRelationships`."""

    child_object: str
    field: str
    relationship_name: str | None


def describe_object(
    spec: ObjectSpec,
    visible_fields: Sequence[FieldSpec],
    children: Sequence[ChildRelationship],
    version: str,
    base_url: str,
) -> dict[str, Any]:
    """The full sObject describe (object-level keys as of API v59, fields FLS-filtered)."""
    f = spec.flags
    root = f"/services/data/v{version}/sobjects/{spec.name}"
    master = "012000000000000AAA"
    record_types = (
        [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": master,
                "urls": {"layout": f"{root}/describe/layouts/{master}"},
            }
        ]
        if f["layoutable"]
        else []
    )
    plural = spec.label_plural.lower()
    scopes = (
        [
            {"label": f"All {plural}", "name": "everything"},
            {"label": f"My {plural}", "name": "mine"},
        ]
        if spec.owned
        else [{"label": f"All {plural}", "name": "everything"}]
    )
    return {
        "actionOverrides": [],
        "activateable": f["activateable"],
        "associateEntityType": spec.associate_entity_type,
        "associateParentEntity": spec.associate_parent_entity,
        "childRelationships": [
            {
                "cascadeDelete": False,
                "childSObject": child.child_object,
                "deprecatedAndHidden": False,
                "field": child.field,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
                "relationshipName": child.relationship_name,
                "restrictedDelete": False,
            }
            for child in children
        ],
        "compactLayoutable": f["layoutable"],
        "createable": f["createable"],
        "custom": spec.custom,
        "customSetting": f["customSetting"],
        "deepCloneable": f["deepCloneable"],
        "defaultImplementation": None,
        "deletable": f["deletable"],
        "deprecatedAndHidden": f["deprecatedAndHidden"],
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": f["feedEnabled"],
        "fields": [describe_field(spec_field) for spec_field in visible_fields],
        "hasSubtypes": f["hasSubtypes"],
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": f["isInterface"],
        "isSubtype": f["isSubtype"],
        "keyPrefix": spec.key_prefix,
        "label": spec.label,
        "labelPlural": spec.label_plural,
        "layoutable": f["layoutable"],
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": f["mergeable"],
        "mruEnabled": f["mruEnabled"],
        "name": spec.name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": f["queryable"],
        "recordTypeInfos": record_types,
        "replicateable": f["replicateable"],
        "retrieveable": f["retrieveable"],
        "searchLayoutable": f["layoutable"],
        "searchable": f["searchable"],
        "sobjectDescribeOption": "FULL",
        "supportedScopes": scopes,
        "triggerable": f["triggerable"],
        "undeletable": f["undeletable"],
        "updateable": f["updateable"],
        "urls": _object_urls(spec, version, base_url, full=True),
    }
