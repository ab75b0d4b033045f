"""Obfuscate data: replace chosen columns by deterministic keyed pseudonyms, in memory.

A pseudonym is built from HMAC-SHA256 of the value under the data folder's secret key (see
:mod:`sfimport.store.keys`): the same value gives the same pseudonym in every data set and every
refresh, so joins still work, and without the key the original cannot be recovered. Concealment
runs on record batches before anything is written, so a raw value never reaches staging files,
My Data, logs or previews.

Shapes keep values readable and typed: text columns stay text (``Person 3f9a2c1b7d0e``,
``u3f9a2c1b7d0e@concealed.invalid``, ``+999 1234 5678 9012``, ...). Columns of any other type
(the latitude and longitude of an address, a number, a date) are concealed as nulls of their own
type: a hashed number would look real and mislead, and a hashed date is not a date.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sfimport.errors import DailyLimitExceeded, SfimportError, UsageError
from sfimport.extract.schema import FieldSpec, field_sf_type
from sfimport.salesforce.client import SalesforceClient
from sfimport.store.keys import load_or_create_key

#: Hex digits of the HMAC kept in a pseudonym: 48 bits, so a million distinct values collide
#: with odds of about 1 in 500 (a collision would join two different people).
TOKEN_HEX_DIGITS = 12


class Shape(enum.Enum):
    """How a concealed value looks; the readable prefix tells people what the column held."""

    PERSON = "person"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    STREET = "street"
    CITY = "city"
    POSTAL_CODE = "postal_code"
    STATE = "state"
    COUNTRY = "country"
    TEXT = "text"
    VALUE = "value"


#: Objects whose Name field is a person's name (elsewhere Name is a company or a record title).
PERSON_OBJECTS = frozenset({"Contact", "Lead", "User", "Individual"})
_PERSON_NAME_FIELDS = frozenset({"FirstName", "LastName", "MiddleName", "Suffix"})
#: Account fields that hold a person's data once Person Accounts are enabled (beyond those
#: personal by type or name: PersonEmail, PersonMobilePhone, FirstName, LastName, ...).
_PERSON_ACCOUNT_FIELDS = frozenset({"Name", "Salutation", "PersonTitle"})
#: The Account field that says a row is a person account.
PERSON_ACCOUNT_FLAG = "IsPersonAccount"
_SHAPE_BY_TYPE: Mapping[str, Shape] = {
    "email": Shape.EMAIL,
    "phone": Shape.PHONE,
    "url": Shape.URL,
    "textarea": Shape.TEXT,
    "encryptedstring": Shape.TEXT,
}
#: Address parts by name ending (BillingStreet, MailingPostalCode, Address__Street__s, ...).
_ADDRESS_PARTS: tuple[tuple[str, Shape | None], ...] = (
    ("street", Shape.STREET),
    ("city", Shape.CITY),
    ("postalcode", Shape.POSTAL_CODE),
    ("statecode", Shape.STATE),
    ("state", Shape.STATE),
    ("countrycode", Shape.COUNTRY),
    ("country", Shape.COUNTRY),
    ("latitude", None),
    ("longitude", None),
)
_NEVER_CONCEALED_TYPES = frozenset({"id", "reference"})
_PREFIXES: Mapping[Shape, str] = {
    Shape.PERSON: "Person",
    Shape.STREET: "Street",
    Shape.CITY: "City",
    Shape.POSTAL_CODE: "Postcode",
    Shape.STATE: "State",
    Shape.COUNTRY: "Country",
    Shape.TEXT: "Text",
    Shape.VALUE: "Concealed",
}
#: Made-up inputs for :func:`sample`; real data never appears on the Obfuscate data page.
_SAMPLE_INPUTS: Mapping[Shape, str] = {
    Shape.PERSON: "Jane Doe",
    Shape.EMAIL: "jane.doe@example.com",
    Shape.PHONE: "+1 415 555 0100",
    Shape.URL: "https://www.example.com/jane",
    Shape.STREET: "1 Market Street",
    Shape.CITY: "San Francisco",
    Shape.POSTAL_CODE: "94105",
    Shape.STATE: "CA",
    Shape.COUNTRY: "United States",
    Shape.TEXT: "Called Jane about the renewal.",
    Shape.VALUE: "Some value",
}
#: Made-up person-name parts, so that First Name, Last Name and Name each show a fitting sample.
_PERSON_PART_INPUTS: Mapping[str, str] = {
    "firstname": "Jane",
    "lastname": "Doe",
    "middlename": "Ann",
    "suffix": "Jr.",
}
#: A fixed key for samples shown before any data folder key is involved.
_SAMPLE_KEY = b"sfimport sample key, never used for data"


def _address_part(name: str) -> tuple[bool, Shape | None]:
    lowered = name.lower().removesuffix("__s").removesuffix("__c").rstrip("_")
    for suffix, shape in _ADDRESS_PARTS:
        if lowered.endswith(suffix):
            return True, shape
    return False, None


@dataclass(frozen=True)
class Classification:
    """A field's data classification in the org (``FieldDefinition``): its
    ``SecurityClassification`` and its ``ComplianceGroup`` values (PII, GDPR, CCPA...)."""

    level: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def sensitive(self) -> bool:
        return bool(self.groups) or (self.level or "") in SENSITIVE_LEVELS

    def describe(self) -> str:
        parts = [p for p in (self.level, ", ".join(self.groups)) if p]
        return f"the org classifies it {' / '.join(parts)}"


#: Security classifications that conceal a field by default (Public and Internal do not).
SENSITIVE_LEVELS = frozenset({"Confidential", "Restricted", "MissionCritical"})
#: Field names (lower-cased, without __c) that hold a date of birth.
_BIRTH_DATE_NAMES = frozenset({"birthdate", "dateofbirth", "birth_date", "date_of_birth", "dob"})
_REASON_BY_TYPE: Mapping[str, str] = {
    "email": "an email address",
    "phone": "a phone number",
    "url": "a web address",
    "textarea": "free text",
    "encryptedstring": "encrypted text",
}


def _is_birth_date(field: FieldSpec) -> bool:
    name = field.name.lower().removesuffix("__c").removesuffix("__pc")
    return name in _BIRTH_DATE_NAMES or ("birth" in name and field.sf_type in ("date", "datetime"))


def field_concealment_reason(
    field: FieldSpec, sobject: str, classification: Classification | None = None
) -> str | None:
    """Why a field is concealed by default (a phrase for a person), or None when it is not.

    The org's own classification wins (Confidential, Restricted or MissionCritical, or any
    compliance group), then the field's type and name: emails, phones, web addresses, free
    text, encrypted text, person names, address parts and dates of birth. Ids and references
    are never concealed, so data sets still join.
    """
    if field.sf_type in _NEVER_CONCEALED_TYPES:
        return None
    if classification is not None and classification.sensitive:
        return classification.describe()
    if field.sf_type in _REASON_BY_TYPE:
        return _REASON_BY_TYPE[field.sf_type]
    if field.name in _PERSON_NAME_FIELDS or field.extra_type_info == "personname":
        return "a person's name"
    if field.name == "Name" and sobject in PERSON_OBJECTS:
        return "a person's name"
    if _is_birth_date(field):
        return "a date of birth"
    if field.compound_field_name:
        is_part, _ = _address_part(field.name)
        return "a part of an address" if is_part else None
    return None


def is_personal(
    field: FieldSpec, sobject: str, classification: Classification | None = None
) -> bool:
    """True when a field holds personal data and is concealed by default."""
    return field_concealment_reason(field, sobject, classification) is not None


def default_concealment(
    fields: Sequence[FieldSpec],
    sobject: str,
    classifications: Mapping[str, Classification] | None = None,
    *,
    described: Sequence[FieldSpec] | None = None,
) -> dict[str, str]:
    """Column -> why it is concealed by default, in field order (see

    :func:`field_concealment_reason`). Where Person Accounts are enabled (``IsPersonAccount``
    among the ``described`` fields, by default ``fields``), an Account's Name and Salutation
    are a person's too."""
    every = fields if described is None else described
    person_accounts = sobject == "Account" and any(f.name == PERSON_ACCOUNT_FLAG for f in every)
    found: dict[str, str] = {}
    for f in fields:
        reason = field_concealment_reason(f, sobject, (classifications or {}).get(f.name))
        if reason is None and person_accounts and f.name in _PERSON_ACCOUNT_FIELDS:
            reason = "a person account's name (in person accounts' rows only)"
        if reason is not None:
            found[f.name] = reason
    return found


def person_account_rows(
    fields: Sequence[FieldSpec],
    sobject: str,
    concealed: Collection[str],
    classifications: Mapping[str, Classification] | None = None,
) -> tuple[str, ...]:
    """Default-concealed columns that are personal only on a person account's rows.

    An Account's Name (and Salutation, PersonTitle) is a person's on a person account and a
    company's on a business account: where ``IsPersonAccount`` is imported too, these columns
    are concealed in the rows where it is true and business accounts keep their names. A column
    personal on its own (the org classifies it, say) stays concealed in every row, and so does
    every column when ``IsPersonAccount`` is not imported (nothing tells the rows apart).
    """
    if sobject != "Account" or not any(f.name == PERSON_ACCOUNT_FLAG for f in fields):
        return ()
    return tuple(
        f.name
        for f in fields
        if f.name in _PERSON_ACCOUNT_FIELDS
        and f.name in concealed
        and field_concealment_reason(f, sobject, (classifications or {}).get(f.name)) is None
    )


def default_concealed_columns(
    fields: Sequence[FieldSpec],
    sobject: str,
    classifications: Mapping[str, Classification] | None = None,
    *,
    described: Sequence[FieldSpec] | None = None,
) -> tuple[str, ...]:
    """The columns concealed when a person conceals a data set without picking columns.

    Personal data by the org's classification, field type and name: person names, emails,
    phones, URLs, address parts, dates of birth, free text and encrypted strings. Ids and
    references are never concealed.
    """
    return tuple(default_concealment(fields, sobject, classifications, described=described))


def classification_soql(sobject: str) -> str:
    """The query of an object's field classifications (one API call)."""
    return (
        "SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition "
        f"WHERE EntityDefinition.QualifiedApiName = '{sobject}'"
    )


def classifications_from(records: Sequence[Mapping[str, object]]) -> dict[str, Classification]:
    """Field name -> classification, from FieldDefinition records (unclassified ones left out)."""
    found: dict[str, Classification] = {}
    for record in records:
        name = record.get("QualifiedApiName")
        level = record.get("SecurityClassification")
        groups = record.get("ComplianceGroup")
        if not isinstance(name, str):
            continue
        parsed = Classification(
            level=level if isinstance(level, str) and level else None,
            groups=tuple(g for g in str(groups or "").split(";") if g.strip()),
        )
        if parsed.level or parsed.groups:
            found[name] = parsed
    return found


def shape_of(name: str, sf_type: str) -> Shape:
    """The shape used for a concealed column of this name and Salesforce type.

    Report columns are named by their labels ("First Name", "Mailing City"): spaces are
    ignored so that a value concealed in a report and in its object gets the same pseudonym,
    and the two data sets still join.
    """
    if sf_type in ("email", "phone", "url"):
        return _SHAPE_BY_TYPE[sf_type]
    name = name.replace(" ", "")
    is_part, part = _address_part(name)
    if is_part and part is not None:
        return part
    if name in _PERSON_NAME_FIELDS or name == "Name":
        return Shape.PERSON
    return _SHAPE_BY_TYPE.get(sf_type, Shape.VALUE)


def concealment_shapes(schema: pa.Schema, columns: Collection[str]) -> dict[str, Shape]:
    """Check the chosen columns against a data set's schema and give each its shape.

    Raises :class:`UsageError` for a column that does not exist or is an id: ids stay as
    they are so that data sets still join.
    """
    shapes: dict[str, Shape] = {}
    for name in columns:
        index = schema.get_field_index(name)
        if index < 0:
            raise UsageError(f"Cannot conceal {name}: the data set has no such column.")
        sf_type = field_sf_type(schema.field(index))
        if sf_type in _NEVER_CONCEALED_TYPES:
            raise UsageError(f"Cannot conceal {name}: ids stay as they are so data sets join.")
        shapes[name] = shape_of(name, sf_type)
    return shapes


def person_row_gates(schema: pa.Schema, columns: Collection[str]) -> dict[str, str]:
    """``Concealer.conceal_batch``'s ``only_where`` for a data set's person-account columns:
    each gated on IsPersonAccount, when the data set has that column (else every row is
    concealed)."""
    if schema.get_field_index(PERSON_ACCOUNT_FLAG) < 0:
        return {}
    return {name: PERSON_ACCOUNT_FLAG for name in columns if schema.get_field_index(name) >= 0}


def close_matches(name: str, known: Collection[str], limit: int = 3) -> list[str]:
    """The known names closest to a mistyped one (case and plural slips first)."""
    by_lower = {k.lower(): k for k in known}
    lowered = name.lower()
    exact = [by_lower[c] for c in (lowered, lowered.removesuffix("s")) if c in by_lower]
    fuzzy = difflib.get_close_matches(lowered, list(by_lower), n=limit, cutoff=0.6)
    found = exact + [by_lower[c] for c in fuzzy]
    return list(dict.fromkeys(found))[:limit]


def unknown_conceal_target(name: str, known: Collection[str], what: str) -> UsageError:
    """The refusal of a conceal target that names nothing in the import, with close matches.

    ``what`` says what was looked for, e.g. "data set of this import" or "column of Lead"."""
    matches = close_matches(name, known)
    hint = f" Did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""
    listed = ", ".join(sorted(known)[:12]) or "none"
    return UsageError(
        f"Cannot conceal {name!r}: there is no such {what}.{hint}",
        remedy=f"Name one of: {listed}. Nothing was imported.",
    )


class Concealer:
    """Pseudonymises values with one data folder's key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise UsageError("A concealment key must be at least 16 bytes long.")
        self._key = key

    @classmethod
    def for_data_folder(cls, data_dir: Path) -> Concealer:
        """The concealer of a data folder, creating its key file on first use."""
        return cls(load_or_create_key(data_dir))

    def token(self, value: str, shape: Shape = Shape.VALUE) -> str:
        """The keyed hex token of a value (emails compare case-insensitively, as in Salesforce)."""
        if shape is Shape.EMAIL:
            value = value.strip().lower()
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:TOKEN_HEX_DIGITS]

    def pseudonym(self, value: str, shape: Shape) -> str:
        """The concealed form of one text value."""
        token = self.token(value, shape)
        if shape is Shape.EMAIL:
            return f"u{token}@concealed.invalid"
        if shape is Shape.URL:
            return f"https://concealed.invalid/{token}"
        if shape is Shape.PHONE:
            # +999 is not an assigned country code, so a pseudonym never dials a real line.
            digits = f"{int(token, 16):015d}"[-12:]
            return f"+999 {digits[:4]} {digits[4:8]} {digits[8:]}"
        return f"{_PREFIXES[shape]} {token}"

    def conceal_array(self, array: pa.Array | pa.ChunkedArray, shape: Shape) -> pa.Array:
        """Conceal one column: each distinct value is pseudonymised once, then taken."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return pa.nulls(len(array), array.type)
        encoded = pc.dictionary_encode(array)
        uniques = encoded.dictionary.to_pylist()
        concealed = pa.array([self.pseudonym(v, shape) for v in uniques], array.type)
        return pc.take(concealed, encoded.indices)

    def conceal_batch(
        self,
        batch: pa.RecordBatch,
        shapes: Mapping[str, Shape],
        only_where: Mapping[str, str] | None = None,
    ) -> pa.RecordBatch:
        """A copy of ``batch`` with the columns in ``shapes`` concealed; schema unchanged.

        ``only_where`` maps a column to a boolean column of the batch: that column is concealed
        in the rows where the boolean is true only (a person account's Name), and where it is
        empty too, so that a row of unknown kind is never left plain."""
        if not shapes:
            return batch
        gates = only_where or {}
        columns = []
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if name not in shapes:
                columns.append(column)
                continue
            concealed = self.conceal_array(column, shapes[name])
            gate = gates.get(name)
            if gate is not None:
                plain = pc.fill_null(pc.invert(batch.column(gate)), False)
                concealed = pc.if_else(plain, column, concealed)
            columns.append(concealed)
        return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


#: How a sample shows a concealed column that is not text: its values are removed.
REMOVED = "removed (empty)"
#: Made-up values of columns that are not text, by what they hold.
_TYPED_EXAMPLES: tuple[tuple[Callable[[pa.DataType], bool], str], ...] = (
    (pa.types.is_floating, "1250.5"),
    (pa.types.is_decimal, "1250.50"),
    (pa.types.is_integer, "42"),
    (pa.types.is_date, "2024-05-01"),
    (pa.types.is_timestamp, "2024-05-01 09:30 UTC"),
    (pa.types.is_time, "09:30"),
    (pa.types.is_boolean, "true"),
)
_COORDINATE_EXAMPLES = (("latitude", "37.7946"), ("longitude", "-122.3950"))


def sample(shape: Shape, concealer: Concealer | None = None) -> tuple[str, str]:
    """A made-up value of a shape and how it looks concealed, for the Obfuscate data page."""
    example = _SAMPLE_INPUTS[shape]
    return example, (concealer or Concealer(_SAMPLE_KEY)).pseudonym(example, shape)


def sample_of(
    name: str, sf_type: str, arrow_type: pa.DataType, concealer: Concealer | None = None
) -> tuple[str, str]:
    """A made-up value of a column and how it is stored once concealed: a pseudonym for text,
    ``removed (empty)`` for any other type (see the module docstring)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        shape = shape_of(name, sf_type)
        part = _PERSON_PART_INPUTS.get(name.replace(" ", "").lower())
        if shape is Shape.PERSON and part is not None:
            return part, (concealer or Concealer(_SAMPLE_KEY)).pseudonym(part, shape)
        return sample(shape, concealer)
    lowered = name.lower().removesuffix("__s").removesuffix("__c")
    example = next((e for suffix, e in _COORDINATE_EXAMPLES if lowered.endswith(suffix)), None)
    if example is None:
        example = next((e for test, e in _TYPED_EXAMPLES if test(arrow_type)), "a value")
    return example, REMOVED


def sample_for(field: FieldSpec, concealer: Concealer | None = None) -> tuple[str, str]:
    """:func:`sample_of` for a describe field."""
    return sample_of(field.name, field.sf_type, field.arrow_type, concealer)


def sample_rows(
    columns: Sequence[tuple[str, str, pa.DataType]], rows: int
) -> list[dict[str, tuple[str, str]]]:
    """``rows`` sample rows of ``(name, Salesforce type, Arrow type)`` columns: column ->
    (a made-up value, how it is stored once concealed); text inputs vary per row so that the
    rows show distinct pseudonyms. Never built from the org's data."""
    concealer = Concealer(_SAMPLE_KEY)
    samples: list[dict[str, tuple[str, str]]] = []
    for index in range(max(rows, 0)):
        row: dict[str, tuple[str, str]] = {}
        for name, sf_type, arrow_type in columns:
            example, concealed = sample_of(name, sf_type, arrow_type, concealer)
            if index and concealed != REMOVED:
                example = f"{example} {index + 1}"
                concealed = concealer.pseudonym(example, shape_of(name, sf_type))
            row[name] = (example, concealed)
        samples.append(row)
    return samples


#: Why a column is concealed by default, by the shape of its values.
_REASONS = {
    Shape.PERSON: "a person's name",
    Shape.EMAIL: "an email address",
    Shape.PHONE: "a phone number",
    Shape.URL: "a web address",
    Shape.STREET: "part of a postal address",
    Shape.CITY: "part of a postal address",
    Shape.POSTAL_CODE: "part of a postal address",
    Shape.STATE: "part of a postal address",
    Shape.COUNTRY: "part of a postal address",
    Shape.TEXT: "free text that can mention people",
    Shape.VALUE: "personal data",
}


def concealment_reason(column: object) -> str:
    """Why a column is among the personal-data columns concealed by default."""
    name = str(column)
    lowered = name.lower().replace(" ", "")
    if "email" in lowered:
        return _REASONS[Shape.EMAIL]
    if "phone" in lowered or lowered.endswith("fax"):
        return _REASONS[Shape.PHONE]
    if lowered in ("website", "url") or lowered.endswith("url"):
        return _REASONS[Shape.URL]
    if lowered.endswith(("latitude", "longitude")):
        return "a location"
    if "birth" in lowered:
        return "a date of birth"
    if lowered.endswith(("description", "comments", "notes")):
        return _REASONS[Shape.TEXT]
    return _REASONS[shape_of(name, "")]


def read_classifications(client: SalesforceClient, sobject: str) -> dict[str, Classification]:
    """The org's data classification of an object's fields (one query of FieldDefinition);
    empty when the org or the user cannot give it (concealment then follows field types).
    A used-up daily allowance is raised, as for any planning call."""
    try:
        pages = client.rest.query(classification_soql(sobject))
        records = [record for page in pages for record in page["records"]]
    except DailyLimitExceeded:
        raise
    except SfimportError:
        return {}
    return classifications_from(records)
