"""Columnar, seeded generation of record data: one `pyarrow.Table` per object, no per-row loops.

Each object draws from its own `numpy.random.default_rng((seed, crc32(name)))`, so changing the
row count of one object never changes another object's values (only the ids it points at).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.ids import mint_ids
from sfimport.emulator.schema import COMPOUND_TYPES, FieldSpec, ObjectSpec

DATA_START = datetime(2021, 1, 1, tzinfo=UTC)
DATA_END = datetime(2025, 12, 1, tzinfo=UTC)
_MS_DAY = 86_400_000
FIRST_RECORD_NUMBER = 4_000_000

_FIRST = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Aiko",
    "Nadia",
    "Omar",
    "Ingrid",
    "Mateo",
    "Priya",
    "Chen",
    "Fatima",
    "Lars",
    "Zoe",
)
_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "O'Brien",
    "Nakamura",
    "Kowalski",
    "Okafor",
    "Lindqvist",
)
_ADJECTIVES = (
    "Blue",
    "Northern",
    "Bright",
    "Silver",
    "Summit",
    "Pacific",
    "Granite",
    "Golden",
    "Rapid",
    "Green",
    "Iron",
    "Crystal",
    "Evergreen",
    "Harbor",
    "Atlas",
    "Pioneer",
)
_NOUNS = (
    "Harbor",
    "Ridge",
    "Valley",
    "River",
    "Peak",
    "Forge",
    "Field",
    "Bridge",
    "Stone",
    "Grove",
    "Point",
    "Works",
    "Labs",
    "Systems",
    "Dynamics",
    "Partners",
)
_SUFFIXES = ("Inc.", "LLC", "Corp.", "Group", "Ltd.", "Holdings", "Co.", "GmbH")
_TITLES = (
    "CEO",
    "CFO",
    "VP Sales",
    "Sales Manager",
    "Account Executive",
    "Engineer",
    "Director of IT",
    "Procurement Manager",
    "Analyst",
    "Operations Lead",
)
_DEPARTMENTS = ("Sales", "Finance", "Engineering", "Operations", "Marketing", "Support", "IT")
_STREETS = ("Main", "Oak", "Market", "Mission", "Pine", "Maple", "Cedar", "Elm", "Lake", "Hill")
_STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Way")
# (city, state, country, postal code, latitude, longitude)
_PLACES = (
    ("San Francisco", "CA", "US", "94105", 37.7897, -122.3942),
    ("New York", "NY", "US", "10001", 40.7506, -73.9972),
    ("Austin", "TX", "US", "78701", 30.2711, -97.7437),
    ("Chicago", "IL", "US", "60601", 41.8858, -87.6181),
    ("Seattle", "WA", "US", "98101", 47.6101, -122.3344),
    ("Boston", "MA", "US", "02110", 42.3572, -71.0512),
    ("Toronto", "ON", "CA", "M5H 2N2", 43.6511, -79.3832),
    ("London", None, "GB", "EC2V 7HH", 51.5155, -0.0922),
    ("Berlin", None, "DE", "10117", 52.5163, 13.3777),
    ("Sydney", "NSW", "AU", "2000", -33.8688, 151.2093),
)
_SENTENCES = (
    "Customer asked for a revised quote.",
    "Follow up after the quarterly review.",
    "Renewal discussion scheduled with procurement.",
    "Needs a demo of the reporting module.",
    "Budget approved for the next fiscal year.",
    "Evaluating two competing vendors.",
    "Requested references from similar customers.",
    "Legal review of the master agreement.",
    "Pilot went well; expansion expected.",
    "Champion moved to a new role.",
)
_PRODUCTS = (
    "GenWatt Diesel 1000kW",
    "GenWatt Diesel 200kW",
    "GenWatt Gasoline 750kW",
    "Installation: Industrial",
    "SLA: Gold",
    "SLA: Silver",
    "Analytics Seat",
    "Data Connector",
    "Training Day",
    "Support Hours Pack",
    "Edge Gateway",
    "Sensor Kit",
)
_SUBJECTS = {
    "case_subject": (
        "Cannot log in",
        "Invoice discrepancy",
        "Generator overheating",
        "Request for training",
        "Shipment delayed",
        "Feature request: export",
    ),
    "task_subject": ("Call", "Send Letter", "Send Quote", "Email", "Follow up", "Other"),
    "event_subject": ("Meeting", "Demo", "Lunch", "Quarterly review", "Site visit"),
    "campaign": (
        "Spring Webinar",
        "User Conference",
        "Trade Show Booth",
        "Email Nurture",
        "Partner Summit",
        "Product Launch",
    ),
    "project": (
        "Data Migration",
        "CRM Rollout",
        "Analytics Pilot",
        "Integration Phase",
        "Onboarding",
        "Warehouse Upgrade",
    ),
    "pricebook": ("Standard Price Book", "Partner Price Book"),
    "file_name": ("contract.pdf", "logo.png", "proposal.docx", "invoice.pdf", "notes.txt"),
    "content_type": ("application/pdf", "image/png", "text/plain"),
    "department": _DEPARTMENTS,
    "title": _TITLES,
}
_BODIES = tuple(
    base64.b64encode(text.encode()).decode()
    for text in ("hello world", "demo attachment body", "quarterly numbers", "signed contract")
)

Context = Mapping[str, pa.Table]


class _Columns:
    """The working state while one object's table is generated."""

    def __init__(self, spec: ObjectSpec, rows: int, rng: np.random.Generator, context: Context):
        self.spec = spec
        self.rows = rows
        self.rng = rng
        self.context = context
        self.columns: dict[str, pa.Array] = {}
        self.places: dict[str, np.ndarray] = {}
        self.place_missing: dict[str, np.ndarray] = {}

    def choice(self, values: tuple[str, ...]) -> pa.Array:
        picks = self.rng.integers(0, len(values), self.rows)
        return pa.array(values).take(pa.array(picks))

    def numbers(self, low: int, high: int) -> np.ndarray:
        return self.rng.integers(low, high, self.rows)


def _text(parts: list[pa.Array | str]) -> pa.Array:
    arrays = [p if isinstance(p, pa.Array) else pa.scalar(p) for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), width=width, padding="0")


def _timestamps(ms: np.ndarray) -> pa.Array:
    return pa.array(ms.astype(np.int64), type=pa.timestamp("ms", tz="UTC"))


def _dates(ms: np.ndarray) -> pa.Array:
    return pa.array((ms // _MS_DAY).astype(np.int32), type=pa.date32())


def _created_ms(cols: _Columns) -> np.ndarray:
    created = cols.columns["CreatedDate"].cast(pa.int64()).to_numpy()
    return np.asarray(created)


def _company(cols: _Columns) -> pa.Array:
    return _text([cols.choice(_ADJECTIVES), " ", cols.choice(_NOUNS), " ", cols.choice(_SUFFIXES)])


def _slug(values: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(values)
    return pc.replace_substring_regex(lowered, pattern="[^a-z0-9]+", replacement="")


def _place_field(cols: _Columns, spec: FieldSpec) -> pa.Array:
    compound = spec.compound_field_name or spec.name
    if compound not in cols.places:
        cols.places[compound] = cols.numbers(0, len(_PLACES))
        cols.place_missing[compound] = cols.rng.random(cols.rows) < 0.08
    index = cols.places[compound]
    missing = cols.place_missing[compound]
    column_of = {"city": 0, "state": 1, "country": 2, "postal": 3, "latitude": 4, "longitude": 5}
    if spec.generator == "street":
        values = _text(
            [
                _digits(cols.numbers(1, 9999), 1),
                " ",
                cols.choice(_STREETS),
                " ",
                cols.choice(_STREET_KINDS),
            ]
        )
        return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), values)
    position = column_of[str(spec.generator)]
    table = [place[position] for place in _PLACES]
    if position >= 4:
        jitter = cols.rng.normal(0, 0.02, cols.rows)
        numbers = np.round(np.asarray(table, dtype=np.float64)[index] + jitter, 6)
        return pa.array(numbers, mask=missing)
    picked = pa.array(table, type=pa.string()).take(pa.array(index))
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), picked)


def _lognormal(cols: _Columns, median: float, sigma: float, step: float) -> np.ndarray:
    values = cols.rng.lognormal(np.log(median), sigma, cols.rows)
    return np.round(values / step) * step


def _generated(cols: _Columns, spec: FieldSpec) -> pa.Array | None:
    rng, n, hint = cols.rng, cols.rows, spec.generator
    if hint in {"street", "city", "state", "postal", "country", "latitude", "longitude"} and (
        spec.compound_field_name or hint in {"city"}
    ):
        if spec.compound_field_name:
            return _place_field(cols, spec)
        return cols.choice(tuple(place[0] for place in _PLACES))
    named: dict[str, Callable[[], pa.Array]] = {
        "company": lambda: _company(cols),
        "first_name": lambda: cols.choice(_FIRST),
        "last_name": lambda: cols.choice(_LAST),
        "phone": lambda: _text(
            ["(", _digits(cols.numbers(201, 989), 3), ") 555-", _digits(cols.numbers(0, 10000), 4)]
        ),
        "code": lambda: _text(["CD", _digits(cols.numbers(0, 10**6), 6)]),
        "ticker": lambda: cols.choice(("ACME", "GLBX", "INIT", "UMBR", "STRK", "WAYN")),
        "sentence": lambda: cols.choice(_SENTENCES),
        "paragraph": lambda: _text([cols.choice(_SENTENCES), "\n", cols.choice(_SENTENCES)]),
        "deal": lambda: _text(
            [
                cols.choice(_ADJECTIVES),
                " ",
                cols.choice(_NOUNS),
                " - ",
                _digits(cols.numbers(10, 500), 1),
                " Units",
            ]
        ),
        "product": lambda: cols.choice(_PRODUCTS),
        "website": lambda: _text(["https://www.", _slug(_company(cols)), ".example.com"]),
        "email": lambda: _text(
            [pc.utf8_lower(cols.choice(_FIRST)), ".", _slug(cols.choice(_LAST)), "@example.com"]
        ),
        "year": lambda: _digits(cols.numbers(1950, 2021), 4),
        "secret": lambda: _text(["AC-", _digits(cols.numbers(0, 10**8), 8)]),
        "body": lambda: cols.choice(_BODIES),
        "revenue": lambda: pa.array(_lognormal(cols, 5e6, 1.5, 1000.0)),
        "employees": lambda: pa.array(
            np.clip(_lognormal(cols, 200, 1.4, 1), 1, 10**6).astype(np.int32)
        ),
        "amount": lambda: pa.array(_lognormal(cols, 40_000, 1.0, 100.0)),
        "unit_price": lambda: pa.array(_lognormal(cols, 900, 1.0, 0.01)),
        "probability": lambda: pa.array(rng.integers(0, 11, n) * 10.0),
        "quantity": lambda: pa.array(rng.integers(1, 50, n).astype(np.float64)),
        "team_size": lambda: pa.array(rng.integers(1, 25, n).astype(np.float64)),
        "hours": lambda: pa.array(np.round(rng.uniform(10, 2000, n), 1)),
        "seconds": lambda: pa.array(rng.integers(30, 3600, n).astype(np.int32)),
        "minutes": lambda: pa.array((rng.integers(1, 9, n) * 30).astype(np.int32)),
        "time": lambda: pa.array(
            (rng.integers(32, 72, n) * 15 * 60_000).astype(np.int32), type=pa.time32("ms")
        ),
        "birthdate": lambda: _dates(rng.integers(-7300, 11700, n) * _MS_DAY),
        "close_date": lambda: _dates(_created_ms(cols) + rng.integers(0, 180, n) * _MS_DAY),
        "past_date": lambda: _dates(_created_ms(cols) - rng.integers(0, 365, n) * _MS_DAY),
        "future_date": lambda: _dates(_created_ms(cols) + rng.integers(30, 730, n) * _MS_DAY),
        "activity_datetime": lambda: _timestamps(
            _created_ms(cols) // 1_800_000 * 1_800_000 + rng.integers(0, 60 * 48, n) * 1_800_000
        ),
    }
    if hint in named:
        return named[hint]()
    if hint in _SUBJECTS:
        return cols.choice(_SUBJECTS[hint])
    return None


def _by_type(cols: _Columns, spec: FieldSpec) -> pa.Array:
    rng, n = cols.rng, cols.rows
    if spec.type == "boolean":
        return pa.array(rng.random(n) < 0.35)
    if spec.type in {"picklist", "combobox"} and spec.picklist:
        return cols.choice(spec.picklist)
    if spec.type == "multipicklist":
        # Every subset of the values is one vocabulary entry; rows draw a subset bitmask.
        values = spec.picklist
        subsets = [
            ";".join(v for bit, v in enumerate(values) if mask >> bit & 1) or None
            for mask in range(1 << len(values))
        ]
        weights = np.array([1 << bit for bit in range(len(values))])
        masks = ((rng.random((n, len(values))) < 0.35) * weights).sum(axis=1)
        return pa.array(subsets, type=pa.string()).take(pa.array(masks))
    if spec.type == "reference":
        return _references(cols, spec)
    if spec.type == "int":
        return pa.array(rng.integers(0, 1000, n).astype(np.int32))
    if spec.type in {"double", "currency", "percent"}:
        return pa.array(np.round(rng.uniform(0, 1000, n), 2))
    if spec.type == "date":
        return _dates(_created_ms(cols) + rng.integers(0, 90, n) * _MS_DAY)
    if spec.type == "datetime":
        return _timestamps(_created_ms(cols) + rng.integers(0, 90 * 86_400, n) * 1000)
    return _text([spec.label, " ", _digits(np.arange(n), 1)])


def _references(cols: _Columns, spec: FieldSpec) -> pa.Array:
    n = cols.rows
    if spec.reference_to in {("User",), ("Group", "User")}:
        users = cols.context["User"]
        active = users.filter(pc.field("UserType") == "Standard")["Id"].combine_chunks()
        owners = active.take(pa.array(cols.numbers(0, len(active))))
        groups = cols.context.get("Group")
        if spec.reference_to == ("User",) or groups is None or not groups.num_rows:
            return owners
        # A quarter of the records wait in a queue (OwnerId polymorphic: User or Group).
        queues = groups.filter(pc.field("Type") == "Queue")["Id"].combine_chunks()
        queued = queues.take(pa.array(cols.numbers(0, len(queues))))
        return pc.if_else(pa.array(cols.rng.random(n) < 0.25), queued, owners)
    targets = [
        cols.context[name]["Id"].combine_chunks()
        for name in spec.reference_to
        if name in cols.context and cols.context[name].num_rows
    ]
    if not targets:
        return pa.nulls(n, pa.string())
    which = cols.numbers(0, len(targets))
    result = pa.nulls(n, pa.string())
    for position, ids in enumerate(targets):
        picked = ids.take(pa.array(cols.numbers(0, len(ids))))
        result = pc.if_else(pa.array(which == position), picked, result)
    return result


def _arrow_type(spec: FieldSpec) -> pa.DataType:
    return {
        "boolean": pa.bool_(),
        "int": pa.int32(),
        "double": pa.float64(),
        "currency": pa.float64(),
        "percent": pa.float64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("ms", tz="UTC"),
        "time": pa.time32("ms"),
    }.get(spec.type, pa.string())


def stored_fields(spec: ObjectSpec) -> list[FieldSpec]:
    """Fields that have a column: everything except compound address/location fields."""
    return [f for f in spec.fields if f.type not in COMPOUND_TYPES]


def empty_table(spec: ObjectSpec) -> pa.Table:
    """A zero-row table with the object's typed columns."""
    return pa.table({f.name: pa.array([], type=_arrow_type(f)) for f in stored_fields(spec)})


def object_rng(seed: int, name: str) -> np.random.Generator:
    """The object's own generator, independent of every other object's row count."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def generate_table(spec: ObjectSpec, rows: int, seed: int, context: Context) -> pa.Table:
    """`rows` records of `spec`, deterministic in `seed`; lookups point into `context` tables."""
    cols = _Columns(spec, rows, object_rng(seed, spec.name), context)
    rng = cols.rng
    start_ms = int(DATA_START.timestamp() * 1000)
    end_ms = int(DATA_END.timestamp() * 1000)
    created = np.sort(rng.integers(start_ms // 1000, end_ms // 1000, rows)) * 1000
    modified = (
        created + (rng.beta(0.6, 2.5, rows) * (end_ms - created)).astype(np.int64) // 1000 * 1000
    )
    deleted = rng.random(rows) < 0.03
    cols.columns["Id"] = mint_ids(str(spec.key_prefix), FIRST_RECORD_NUMBER, rows)
    cols.columns["IsDeleted"] = pa.array(deleted)
    cols.columns["CreatedDate"] = _timestamps(created)
    cols.columns["LastModifiedDate"] = _timestamps(modified)
    # SystemModstamp moves with every system change too, so it is never before LastModifiedDate.
    stamp = modified + rng.integers(0, 3, rows) * 1000
    cols.columns["SystemModstamp"] = _timestamps(stamp)
    for field_spec in stored_fields(spec):
        if field_spec.name in cols.columns or field_spec.formula or field_spec.rollup:
            continue
        column = _generated(cols, field_spec)
        if column is None:
            column = _by_type(cols, field_spec)
        whole_address = field_spec.compound_field_name is not None and field_spec.type != "string"
        if (
            field_spec.nillable
            and field_spec.null_fraction > 0
            and field_spec.type != "boolean"
            and not whole_address
        ):
            missing = pa.array(rng.random(rows) < field_spec.null_fraction)
            column = pc.if_else(missing, pa.scalar(None, column.type), column)
        cols.columns[field_spec.name] = column.cast(_arrow_type(field_spec))
    for compound, missing_place in cols.place_missing.items():
        # A missing address is missing as a whole, so the compound field renders as null.
        for field_spec in stored_fields(spec):
            if field_spec.compound_field_name == compound:
                column = cols.columns[field_spec.name]
                cols.columns[field_spec.name] = pc.if_else(
                    pa.array(missing_place), pa.scalar(None, column.type), column
                )
    finisher = _FINISHERS.get(spec.name)
    if finisher is not None:
        finisher(cols)
    for field_spec in stored_fields(spec):
        if field_spec.name not in cols.columns:
            cols.columns[field_spec.name] = pa.nulls(rows, _arrow_type(field_spec))
        elif field_spec.type in {"currency", "percent"} and field_spec.scale:
            cols.columns[field_spec.name] = _at_scale(cols.columns[field_spec.name], field_spec)
    return pa.table(
        {f.name: cols.columns[f.name].cast(_arrow_type(f)) for f in stored_fields(spec)}
    )


def _at_scale(column: pa.Array, spec: FieldSpec) -> pa.Array:
    """Money as Salesforce stores it, at the field's scale: 12.34, never 12.340000000000002.
    (Arrow's round multiplies by 0.01 and leaves 952.4300000000001; numpy divides.)"""
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    missing = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False))
    return pa.array(np.round(values, spec.scale), mask=missing)


def _set(cols: _Columns, name: str, values: pa.Array) -> None:
    cols.columns[name] = values


def _person_names(cols: _Columns) -> None:
    c = cols.columns
    _set(cols, "Name", _text([c["FirstName"], " ", c["LastName"]]))
    if "Email" in c:
        domain = _slug(cols.choice(_NOUNS))
        email = _text(
            [pc.utf8_lower(c["FirstName"]), ".", _slug(c["LastName"]), "@", domain, ".example.com"]
        )
        _set(cols, "Email", pc.if_else(c["Email"].is_null(), pa.scalar(None, pa.string()), email))


_QUEUES = (("Support Tier 1", "Support_Tier_1"), ("Support Tier 2", "Support_Tier_2"))


def _group(cols: _Columns) -> None:
    # The first groups are queues; the rest public groups.
    names = [_QUEUES[i][0] if i < len(_QUEUES) else f"Group {i}" for i in range(cols.rows)]
    developer = [_QUEUES[i][1] if i < len(_QUEUES) else f"Group_{i}" for i in range(cols.rows)]
    kinds = ["Queue" if i < len(_QUEUES) else "Regular" for i in range(cols.rows)]
    _set(cols, "Name", pa.array(names, pa.string()))
    _set(cols, "DeveloperName", pa.array(developer, pa.string()))
    _set(cols, "Type", pa.array(kinds, pa.string()))
    _set(cols, "IsDeleted", pa.array([False] * cols.rows))


def _person_accounts(cols: _Columns) -> None:
    """About one account in five is a person account: Name is the person's name, and the
    person fields are empty on business accounts."""
    c = cols.columns
    person = pa.array(cols.rng.random(cols.rows) < 0.2)
    _set(cols, "IsPersonAccount", person)
    full = _text([c["FirstName"], " ", c["LastName"]])
    _set(cols, "Name", pc.if_else(person, full, c["Name"]))
    email = _text(
        [pc.utf8_lower(c["FirstName"]), ".", _slug(c["LastName"]), "@", "mail.example.com"]
    )
    _set(cols, "PersonEmail", email)
    for name in ("FirstName", "LastName", "Salutation", "PersonEmail", "PersonMobilePhone"):
        _set(cols, name, pc.if_else(person, c[name], pa.scalar(None, pa.string())))
    birth = c["PersonBirthdate"]
    _set(cols, "PersonBirthdate", pc.if_else(person, birth, pa.scalar(None, birth.type)))


def _account(cols: _Columns) -> None:
    _person_accounts(cols)
    c = cols.columns
    site = _text(["https://www.", _slug(c["Name"]), ".example.com"])
    _set(cols, "Website", pc.if_else(c["Website"].is_null(), pa.scalar(None, pa.string()), site))
    employees = c["NumberOfEmployees"].cast(pa.float64())
    ratio = pc.round(pc.divide(c["AnnualRevenue"], employees), 2)
    _set(cols, "Revenue_Per_Employee__c", ratio)


def _opportunity(cols: _Columns) -> None:
    c = cols.columns
    stage = c["StageName"]
    _set(cols, "IsClosed", pc.is_in(stage, pa.array(["Closed Won", "Closed Lost"])))
    _set(cols, "IsWon", pc.equal(stage, "Closed Won"))
    expected = pc.round(pc.divide(pc.multiply(c["Amount"], c["Probability"]), 100.0), 2)
    _set(cols, "ExpectedRevenue", expected)


def _line_item(cols: _Columns) -> None:
    c = cols.columns
    products = cols.context["Product2"]
    index = pc.index_in(c["Product2Id"], value_set=products["Id"].combine_chunks())
    _set(cols, "Name", products["Name"].combine_chunks().take(index))
    _set(cols, "TotalPrice", pc.round(pc.multiply(c["Quantity"], c["UnitPrice"]), 2))


def _case(cols: _Columns) -> None:
    c = cols.columns
    closed = pc.equal(c["Status"], "Closed")
    _set(cols, "IsClosed", closed)
    _set(
        cols,
        "ClosedDate",
        pc.if_else(closed, c["LastModifiedDate"], pa.scalar(None, c["LastModifiedDate"].type)),
    )
    _set(cols, "CaseNumber", _digits(np.arange(1001, 1001 + cols.rows), 8))


def _task(cols: _Columns) -> None:
    _set(cols, "IsClosed", pc.equal(cols.columns["Status"], "Completed"))


def _event(cols: _Columns) -> None:
    c = cols.columns
    start = c["ActivityDateTime"]
    start_ms = np.asarray(start.cast(pa.int64()).fill_null(0).to_numpy())
    minutes = np.asarray(c["DurationInMinutes"].cast(pa.int64()).fill_null(0).to_numpy())
    end = _timestamps(start_ms + minutes * 60_000)
    _set(cols, "EndDateTime", pc.if_else(start.is_null(), pa.scalar(None, end.type), end))
    _set(cols, "ActivityDate", start.cast(pa.date32()))


def _lead(cols: _Columns) -> None:
    _person_names(cols)
    c = cols.columns
    converted = pc.equal(c["Status"], "Closed - Converted")
    _set(cols, "IsConverted", converted)
    _set(
        cols,
        "ConvertedDate",
        pc.if_else(
            converted, c["LastModifiedDate"].cast(pa.date32()), pa.scalar(None, pa.date32())
        ),
    )


def _campaign_member(cols: _Columns) -> None:
    c = cols.columns
    responded = pc.equal(c["Status"], "Responded")
    _set(cols, "HasResponded", responded)
    _set(
        cols,
        "FirstRespondedDate",
        pc.if_else(
            responded, c["LastModifiedDate"].cast(pa.date32()), pa.scalar(None, pa.date32())
        ),
    )


def _pricebook(cols: _Columns) -> None:
    _set(cols, "IsStandard", pa.array(np.arange(cols.rows) == 0))
    _set(cols, "IsActive", pa.array(np.ones(cols.rows, dtype=bool)))


def _attachment(cols: _Columns) -> None:
    body = cols.columns["Body"]
    decoded = pc.divide(pc.multiply(pc.utf8_length(body), 3), 4)
    padding = pc.utf8_length(pc.replace_substring_regex(body, pattern="[^=]", replacement=""))
    _set(cols, "BodyLength", pc.subtract(decoded, padding).cast(pa.int32()))


def _project(cols: _Columns) -> None:
    c = cols.columns
    _set(cols, "Budget_Per_Head__c", pc.round(pc.divide(c["Budget__c"], c["Team_Size__c"]), 2))
    label = _text([pc.fill_null(c["Status__c"], ""), " - ", c["Name"]])
    _set(cols, "Status_Label__c", label)


def _invoice(cols: _Columns) -> None:
    _set(cols, "Name", _text(["INV-", _digits(np.arange(1, cols.rows + 1), 6)]))


#: Pieces of long text as people type them: several lines (LF and CRLF), straight and curly
#: quotes, commas and semicolons, tabs, and non-Latin scripts (4-byte emoji included).
_LONG_TEXT_PIECES = (
    'Site visit: the "north" warehouse, dock 3, was closed; inventory counted twice.\n',
    "Besuch in München: Überprüfung der Lagerbestände – alles in Ordnung.\r\n",
    "東京の倉庫で現地調査を実施しました。在庫は「良好」です。\n",
    "Ελληνικά: η επιθεώρηση ολοκληρώθηκε, χωρίς ευρήματα.\n",
    "Русский текст: проверка завершена; замечаний нет.\n",
    "العربية: تم الانتهاء من الفحص بنجاح.\n",
    "Tabs\tand \u2018single\u2019, \u201cdouble\u201d and ''doubled'' quotes 🚀✅\n",
    '"A line that starts with a quote", and "ends" with one"\n',
)
#: Characters a long or rich text area may hold.
LONG_TEXT_MAX = 131_072


def long_text(row: int, length: int) -> str:
    """Deterministic multi-line text of exactly ``length`` characters for ``row``."""
    pieces = _LONG_TEXT_PIECES[row % len(_LONG_TEXT_PIECES) :] + _LONG_TEXT_PIECES
    unit = f"Survey {row}, entry: " + "".join(pieces)
    text = (unit * (length // len(unit) + 1))[:length]
    # Never end on half of a CRLF pair or on a bare CR.
    return text[:-1] + "." if text.endswith("\r") else text


def _field_survey(cols: _Columns) -> None:
    # One row of each long field at the 131,072-character maximum, the others a few KB.
    lengths = cols.rng.integers(200, 6000, cols.rows)
    findings = [long_text(row, int(n)) for row, n in enumerate(lengths)]
    summaries = [
        "<p>"
        + long_text(row + 3, int(n) // 2).replace("&", "&amp;").replace("<", "&lt;")
        + '</p><br><p><b>Ünïcödé</b> &amp; "quotes"</p>'
        for row, n in enumerate(lengths)
    ]
    if cols.rows:
        findings[0] = long_text(0, LONG_TEXT_MAX)
    if cols.rows > 1:
        summaries[1] = "<p>" + long_text(1, LONG_TEXT_MAX - 7) + "</p>"
    deleted = np.asarray(cols.columns["IsDeleted"].to_numpy(zero_copy_only=False)).copy()
    deleted[:2] = False  # the longest values stay visible to query, not only queryAll
    _set(cols, "IsDeleted", pa.array(deleted))
    _set(cols, "Findings__c", pa.array(findings, pa.string()))
    _set(cols, "Summary__c", pa.array(summaries, pa.string()))


_FINISHERS: dict[str, Callable[[_Columns], None]] = {
    "Group": _group,
    "Field_Survey__c": _field_survey,
    "Account": _account,
    "Contact": _person_names,
    "Lead": _lead,
    "Opportunity": _opportunity,
    "OpportunityLineItem": _line_item,
    "Case": _case,
    "Task": _task,
    "Event": _event,
    "CampaignMember": _campaign_member,
    "Pricebook2": _pricebook,
    "Attachment": _attachment,
    "Project__c": _project,
    "Invoice__c": _invoice,
}
