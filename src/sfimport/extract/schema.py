"""Field rules of an import: which describe fields are importable, the cursor, and the Arrow schema.

Every column of My Data gets one explicit Arrow type chosen from the Salesforce field type in
describe; nothing is inferred from the data, so "NA" stays text and ids stay 18-character strings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sfimport.errors import UsageError

#: Arrow type for each Salesforce field type; anything not listed is imported as text.
_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int64(),
    "long": pa.int64(),
    "double": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "time": pa.time32("ms"),
}

#: Money and percentages are stored as decimals, never binary floats, so sums are exact: the
#: scale is describe's; 38 digits hold any value Salesforce can (18 digits at most).
DECIMAL_TYPES = frozenset({"currency", "percent"})
DECIMAL_PRECISION = 38
#: Scale used when describe says 0 for a currency or percent field (AnnualRevenue does, yet the
#: API may carry cents): wide enough for any amount Salesforce stores, said so in the schema.
FALLBACK_SCALE = 8

#: Compound fields: Salesforce also describes their parts (BillingStreet, ...) as fields of their
#: own, with ``compoundFieldName`` pointing back; the parts are imported instead of the whole.
_COMPOUND_TYPES = frozenset({"address", "location"})
#: Types whose values are not flat scalars or are file content: never imported.
_UNIMPORTABLE_TYPES: Mapping[str, str] = {
    "base64": "binary content (base64) is not imported",
    "complexvalue": "structured value (complexvalue) has no flat column form",
}
#: Bulk API 2.0 rejects the whole job when one of these is selected; the REST query reads them.
_BULK_REFUSED_TYPES = frozenset({"base64", "address", "location", "json", "complexvalue"})
#: Preferred incremental cursor fields, best first, as the peers choose them.
CURSOR_CANDIDATES: tuple[str, ...] = ("SystemModstamp", "LastModifiedDate", "CreatedDate")

#: Column metadata keys carried by every Arrow field.
META_SF_TYPE = b"sf_type"
META_LABEL = b"label"
META_NOTE = b"note"


@dataclass(frozen=True)
class FieldSpec:
    """One Salesforce field as describe reports it, reduced to what an import needs."""

    name: str
    label: str
    sf_type: str
    soap_type: str = "xsd:string"
    compound_field_name: str | None = None
    calculated: bool = False
    nillable: bool = True
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    reference_to: tuple[str, ...] = ()
    extra_type_info: str | None = None
    name_field: bool = False
    custom: bool = False

    @classmethod
    def from_describe(cls, wire_field: Mapping[str, Any]) -> FieldSpec:
        """Build from one entry of a describe response's ``fields`` list."""
        name = str(wire_field["name"])
        return cls(
            name=name,
            label=str(wire_field.get("label") or name),
            sf_type=str(wire_field.get("type") or "string"),
            soap_type=str(wire_field.get("soapType") or "xsd:string"),
            compound_field_name=wire_field.get("compoundFieldName") or None,
            calculated=bool(wire_field.get("calculated", False)),
            nillable=bool(wire_field.get("nillable", True)),
            length=int(wire_field.get("length") or 0),
            precision=int(wire_field.get("precision") or 0),
            scale=int(wire_field.get("scale") or 0),
            digits=int(wire_field.get("digits") or 0),
            reference_to=tuple(str(r) for r in wire_field.get("referenceTo") or ()),
            extra_type_info=wire_field.get("extraTypeInfo") or None,
            name_field=bool(wire_field.get("nameField", False)),
            custom=bool(wire_field.get("custom", False)),
        )

    @property
    def decimal_scale(self) -> int | None:
        """The scale of a currency or percent column (None for other types)."""
        if self.sf_type not in DECIMAL_TYPES:
            return None
        if self.scale <= 0:
            return FALLBACK_SCALE
        return self.scale

    @property
    def scale_fallback(self) -> bool:
        """True when describe gave no usable scale and the fallback is used."""
        return self.sf_type in DECIMAL_TYPES and self.scale <= 0

    @property
    def arrow_type(self) -> pa.DataType:
        scale = self.decimal_scale
        if scale is not None:
            return pa.decimal128(DECIMAL_PRECISION, scale)
        return _ARROW_TYPES.get(self.sf_type, pa.string())

    @property
    def is_compound(self) -> bool:
        return self.sf_type in _COMPOUND_TYPES

    @property
    def bulk_supported(self) -> bool:
        """False when selecting this field makes Bulk API 2.0 refuse the job."""
        return self.sf_type not in _BULK_REFUSED_TYPES


@dataclass(frozen=True)
class SkippedField:
    """A field left out of an import, with the reason shown to the person."""

    name: str
    reason: str


@dataclass(frozen=True)
class FieldSelection:
    """The fields an import reads, in column order, and the ones it leaves out."""

    fields: tuple[FieldSpec, ...]
    skipped: tuple[SkippedField, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def bulk_supported(self) -> bool:
        """True when Bulk API 2.0 accepts every selected field (else read through REST)."""
        return all(f.bulk_supported for f in self.fields)

    @property
    def cursor_field(self) -> str | None:
        return cursor_field(self.fields)


def select_fields(
    described: Iterable[FieldSpec], wanted: Collection[str] | None = None
) -> FieldSelection:
    """Choose the importable fields of an object, keeping describe's order.

    ``wanted`` None means every readable field; otherwise only those names (case-insensitive,
    as Salesforce compares field names). Choosing a compound field such as ``BillingAddress``
    selects its component fields. ``Id`` is always kept, since refreshes merge by it.
    """
    fields = list(described)
    by_name = {f.name.lower(): f for f in fields}
    chosen: set[str] | None = None
    if wanted is not None:
        chosen = {w.lower() for w in wanted} | {"id"}
        unknown = sorted(w for w in wanted if w.lower() not in by_name)
        if unknown:
            raise UsageError(f"No such field (or not readable by this user): {', '.join(unknown)}.")
        compound_wanted = {w for w in chosen if by_name[w].is_compound}
        chosen |= {
            f.name.lower()
            for f in fields
            if f.compound_field_name and f.compound_field_name.lower() in compound_wanted
        }
    kept: list[FieldSpec] = []
    skipped: list[SkippedField] = []
    for f in fields:
        if chosen is not None and f.name.lower() not in chosen:
            continue
        if f.is_compound:
            parts = [p.name for p in fields if p.compound_field_name == f.name]
            reason = f"compound {f.sf_type} field: imported as its parts"
            if parts:
                reason += f" ({', '.join(parts)})"
            skipped.append(SkippedField(f.name, reason))
        elif f.sf_type in _UNIMPORTABLE_TYPES:
            skipped.append(SkippedField(f.name, _UNIMPORTABLE_TYPES[f.sf_type]))
        else:
            kept.append(f)
    return FieldSelection(tuple(kept), tuple(skipped))


def cursor_field(fields: Iterable[FieldSpec]) -> str | None:
    """The field that dates each record for a start date and refreshes, or None.

    SystemModstamp is preferred: it also moves on system changes that LastModifiedDate misses.
    Objects with none of the candidates are imported whole.
    """
    datetimes = {f.name for f in fields if f.sf_type == "datetime"}
    return next((c for c in CURSOR_CANDIDATES if c in datetimes), None)


def arrow_field(spec: FieldSpec) -> pa.Field:
    """The Arrow column of one field; its metadata keeps the Salesforce type and label (and
    says when a currency scale is sfimport's fallback rather than describe's)."""
    metadata = {META_SF_TYPE: spec.sf_type.encode(), META_LABEL: spec.label.encode()}
    if spec.scale_fallback:
        metadata[META_NOTE] = scale_fallback_note(spec).encode()
    return pa.field(spec.name, spec.arrow_type, nullable=True, metadata=metadata)


def scale_fallback_note(spec: FieldSpec) -> str:
    """What the schema says about a money or percent column whose scale describe left at 0."""
    return (
        f"{spec.name}: describe gives scale 0 for this {spec.sf_type} field; stored as "
        f"DECIMAL({DECIMAL_PRECISION},{FALLBACK_SCALE}) so no fraction is lost."
    )


def field_note(field: pa.Field) -> str:
    """The note recorded on an Arrow field (empty when none)."""
    meta = field.metadata or {}
    note = meta.get(META_NOTE)
    return bytes(note).decode() if note else ""


def arrow_schema(fields: Sequence[FieldSpec]) -> pa.Schema:
    """The explicit Arrow schema of an import, one column per field in the given order."""
    return pa.schema([arrow_field(f) for f in fields])


def field_sf_type(field: pa.Field) -> str:
    """The Salesforce type recorded on an Arrow field (``string`` when absent)."""
    meta = field.metadata or {}
    return bytes(meta.get(META_SF_TYPE, b"string")).decode()


def field_label(field: pa.Field) -> str:
    """The Salesforce label recorded on an Arrow field (its name when absent)."""
    meta = field.metadata or {}
    label = meta.get(META_LABEL)
    return bytes(label).decode() if label else str(field.name)
