"""The seeded demo org: its users, permission sets, Connected App and generated records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from sfimport.emulator.catalog import (
    ALL_OBJECTS,
    DATA_OBJECTS,
    DEFAULT_ROWS,
    ORGANIZATION,
    PERMISSION_NAMES,
    PERMISSION_SET,
    PERMISSION_SET_ASSIGNMENT,
    PROFILE,
    USER,
    USER_ROLE,
)
from sfimport.emulator.content import DERIVED_OBJECTS, content_tables
from sfimport.emulator.currencies import enable_multi_currency
from sfimport.emulator.generate import DATA_START, empty_table, generate_table
from sfimport.emulator.ids import mint_id, mint_ids
from sfimport.emulator.org import Clock, ConnectedApp, Org, PermissionSet, User
from sfimport.emulator.reports import install_reports

DEMO_CLIENT_ID = (
    "3MVG9sfimportDemoConnectedApp.EmulatorOnly.NotASecret0000000000000000000000000000000000"
)
DEMO_CLIENT_SECRET = "E9C0A6B1D2F34C5D8E7F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5"
DEMO_CALLBACK_URLS = (
    "http://127.0.0.1:8000/oauth/callback",
    "http://localhost:8000/oauth/callback",
)
DOMAIN = "sfimport-demo.example"
API = "PermissionsApiEnabled"
REPORTS = "PermissionsRunReports"
ROLES = "PermissionsViewRoles"
SETUP = "PermissionsViewSetup"
ALL_DATA = "PermissionsViewAllData"


@dataclass(frozen=True)
class DemoUser:
    """A demo login: its credentials and what it lacks (shown on the login page and the CLI)."""

    key: str
    username: str
    password: str
    first_name: str
    last_name: str
    lacks: str
    profile: str
    permission_sets: tuple[str, ...] = ()
    hidden_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


RESTRICTED_FIELDS: Mapping[str, frozenset[str]] = {
    "Account": frozenset({"AnnualRevenue", "Revenue_Per_Employee__c", "Phone"}),
    "Contact": frozenset({"Birthdate", "MobilePhone"}),
    "Lead": frozenset({"Email", "AnnualRevenue"}),
    "Project__c": frozenset({"Budget__c", "Budget_Per_Head__c", "Access_Code__c"}),
}

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "admin",
        f"admin@{DOMAIN}",
        "demo-admin-1",
        "Ada",
        "Admin",
        "nothing (System Administrator, View All Data)",
        "System Administrator",
    ),
    DemoUser(
        "noapi",
        f"noapi@{DOMAIN}",
        "demo-noapi-1",
        "Nora",
        "Noapi",
        "API Enabled",
        "Standard User (No API)",
        ("Analytics_Import",),
    ),
    DemoUser(
        "noreports",
        f"noreports@{DOMAIN}",
        "demo-noreports-1",
        "Rene",
        "Noreports",
        "Run Reports",
        "Standard User (No Reports)",
        ("Analytics_Import",),
    ),
    DemoUser(
        "nosetup",
        f"nosetup@{DOMAIN}",
        "demo-nosetup-1",
        "Sami",
        "Nosetup",
        "View Setup and Configuration",
        "Standard User",
        ("Role_Viewer",),
    ),
    DemoUser(
        "noroles",
        f"noroles@{DOMAIN}",
        "demo-noroles-1",
        "Rolf",
        "Noroles",
        "View Roles and Role Hierarchy",
        "Standard User",
        ("Setup_Viewer",),
    ),
    DemoUser(
        "restricted",
        f"restricted@{DOMAIN}",
        "demo-restricted-1",
        "Rita",
        "Restricted",
        "read access to some fields (field-level security on Account, Contact, Lead, Project__c)",
        "Standard User",
        ("Analytics_Import",),
        RESTRICTED_FIELDS,
    ),
)

_PROFILES: Mapping[str, frozenset[str]] = {
    "System Administrator": frozenset({API, REPORTS, ROLES, SETUP, ALL_DATA}),
    "Standard User": frozenset({API, REPORTS}),
    "Standard User (No API)": frozenset({REPORTS}),
    "Standard User (No Reports)": frozenset({API}),
}
_PERMISSION_SETS: Mapping[str, frozenset[str]] = {
    "Analytics_Import": frozenset({SETUP, ROLES}),
    "Setup_Viewer": frozenset({SETUP}),
    "Role_Viewer": frozenset({ROLES}),
}
_SALES_REPS = (
    ("Sally", "Seller"),
    ("Omar", "Owens"),
    ("Priya", "Patel"),
    ("Lars", "Lund"),
    ("Mei", "Chen"),
    ("Diego", "Diaz"),
    ("Hana", "Sato"),
    ("Tom", "Tanner"),
)


def _permission_sets() -> tuple[dict[str, str], list[PermissionSet]]:
    profiles: dict[str, str] = {}
    sets: list[PermissionSet] = []
    for number, (name, granted) in enumerate(_PROFILES.items(), start=1):
        profile_id = mint_id("00e", number)
        profiles[name] = profile_id
        # Every profile owns a permission set (IsOwnedByProfile) carrying its permissions.
        sets.append(
            PermissionSet(
                mint_id("0PS", number), f"X{number:02d}_{profile_id}", name, granted, profile_id
            )
        )
    for number, (name, granted) in enumerate(_PERMISSION_SETS.items(), start=101):
        sets.append(PermissionSet(mint_id("0PS", number), name, name.replace("_", " "), granted))
    return profiles, sets


def _users(profiles: Mapping[str, str], sets: list[PermissionSet]) -> list[User]:
    by_name = {ps.name: ps.id for ps in sets}
    by_profile = {ps.profile_id: ps.id for ps in sets if ps.profile_id}
    users: list[User] = []
    for number, demo in enumerate(DEMO_USERS, start=1):
        profile_id = profiles[demo.profile]
        users.append(
            User(
                mint_id("005", number),
                demo.username,
                demo.password,
                demo.first_name,
                demo.last_name,
                demo.username,
                profile_id,
                (by_profile[profile_id], *(by_name[name] for name in demo.permission_sets)),
                demo.hidden_fields,
            )
        )
    for number, (first, last) in enumerate(_SALES_REPS, start=len(users) + 1):
        profile_id = profiles["Standard User"]
        username = f"{first.lower()}.{last.lower()}@{DOMAIN}"
        users.append(
            User(
                mint_id("005", number),
                username,
                f"demo-{first.lower()}-1",
                first,
                last,
                username,
                profile_id,
                (by_profile[profile_id],),
            )
        )
    users.append(
        User(
            mint_id("005", len(users) + 1),
            f"autoproc@{DOMAIN}",
            "-",
            "Automated",
            "Process",
            f"autoproc@{DOMAIN}",
            profiles["System Administrator"],
            (by_profile[profiles["System Administrator"]],),
            active=False,
            user_type="AutomatedProcess",
        )
    )
    return users


def _audit_rows(count: int, creator: str, start: datetime) -> dict[str, Sequence[object]]:
    stamps = [start + timedelta(hours=number) for number in range(count)]
    return {
        "IsDeleted": [False] * count,
        "CreatedDate": stamps,
        "CreatedById": [creator] * count,
        "LastModifiedDate": stamps,
        "LastModifiedById": [creator] * count,
        "SystemModstamp": stamps,
    }


def _table(spec_table: pa.Table, columns: Mapping[str, Sequence[object]]) -> pa.Table:
    schema = spec_table.schema
    count = len(next(iter(columns.values())))
    arrays = [
        pa.array(columns[name], type=schema.field(name).type)
        if name in columns
        else pa.nulls(count, schema.field(name).type)
        for name in schema.names
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _setup_tables(
    org_id: str,
    name: str,
    is_sandbox: bool,
    users: list[User],
    profiles: Mapping[str, str],
    sets: list[PermissionSet],
) -> dict[str, pa.Table]:
    admin = users[0].id
    start = DATA_START - timedelta(days=30)
    roles = [("CEO", None), ("Sales Manager", 0), ("Sales Rep", 1)]
    role_ids = [mint_id("00E", n + 1) for n in range(len(roles))]
    user_roles = [role_ids[0]] + [role_ids[2]] * (len(users) - 2) + [None]
    tables = {
        "User": _table(
            empty_table(USER),
            {
                "Id": [u.id for u in users],
                "Username": [u.username for u in users],
                "LastName": [u.last_name for u in users],
                "FirstName": [u.first_name for u in users],
                "Name": [u.name for u in users],
                "Alias": [u.username[:8] for u in users],
                "Email": [u.email for u in users],
                "IsActive": [u.active for u in users],
                "UserType": [u.user_type for u in users],
                "ProfileId": [u.profile_id for u in users],
                "UserRoleId": user_roles,
                "ManagerId": [None] + [admin] * (len(users) - 1),
                "TimeZoneSidKey": ["America/Los_Angeles"] * len(users),
                "LocaleSidKey": ["en_US"] * len(users),
                "LanguageLocaleKey": ["en_US"] * len(users),
                **_audit_rows(len(users), admin, start),
            },
        ),
        "Organization": _table(
            empty_table(ORGANIZATION),
            {
                "Id": [org_id],
                "Name": [name],
                "OrganizationType": [
                    "Developer Edition" if not is_sandbox else "Enterprise Edition"
                ],
                "IsSandbox": [is_sandbox],
                "InstanceName": ["EMU1" if not is_sandbox else "EMUS1"],
                "NamespacePrefix": [None],
                "DefaultLocaleSidKey": ["en_US"],
                "TimeZoneSidKey": ["America/Los_Angeles"],
                **{k: v for k, v in _audit_rows(1, admin, start).items() if k != "IsDeleted"},
            },
        ),
        "Profile": _table(
            empty_table(PROFILE),
            {
                "Id": list(profiles.values()),
                "Name": list(profiles),
                **{perm: [perm in _PROFILES[p] for p in profiles] for perm in PERMISSION_NAMES},
                **{
                    k: v
                    for k, v in _audit_rows(len(profiles), admin, start).items()
                    if k != "IsDeleted"
                },
            },
        ),
        "PermissionSet": _table(
            empty_table(PERMISSION_SET),
            {
                "Id": [ps.id for ps in sets],
                "Name": [ps.name for ps in sets],
                "Label": [ps.label for ps in sets],
                "IsOwnedByProfile": [ps.profile_id is not None for ps in sets],
                "ProfileId": [ps.profile_id for ps in sets],
                **{perm: [perm in ps.permissions for ps in sets] for perm in PERMISSION_NAMES},
                **{
                    k: v
                    for k, v in _audit_rows(len(sets), admin, start).items()
                    if k != "IsDeleted"
                },
            },
        ),
        "UserRole": _table(
            empty_table(USER_ROLE),
            {
                "Id": role_ids,
                "Name": [r[0] for r in roles],
                "DeveloperName": [r[0].replace(" ", "_") for r in roles],
                "ParentRoleId": [None if r[1] is None else role_ids[r[1]] for r in roles],
                **{
                    k: v
                    for k, v in _audit_rows(len(roles), admin, start).items()
                    if k != "IsDeleted"
                },
            },
        ),
    }
    assignments = [(user.id, ps_id) for user in users for ps_id in user.permission_set_ids]
    tables["PermissionSetAssignment"] = _table(
        empty_table(PERMISSION_SET_ASSIGNMENT),
        {
            "Id": mint_ids("0Pa", 1, len(assignments)).to_pylist(),
            "AssigneeId": [a[0] for a in assignments],
            "PermissionSetId": [a[1] for a in assignments],
            "SystemModstamp": [start] * len(assignments),
        },
    )
    return tables


def build_demo_org(
    seed: int = 1,
    scale: Mapping[str, int] | None = None,
    is_sandbox: bool = False,
    *,
    api_max: int = 15000,
    clock_start: datetime | None = None,
    multi_currency: bool = False,
) -> Org:
    """The deterministic demo org: the same seed and scale give the same records and answers.

    `scale` sets the row count of named objects (e.g. {"Account": 100000}); `clock_start`
    freezes the org's clock at that instant (wall time otherwise); `api_max` is the
    DailyApiRequests allowance; `multi_currency` enables multiple currencies (CurrencyIsoCode
    on money objects, report amounts with their own currency).
    """
    rows = dict(DEFAULT_ROWS)
    for name, count in (scale or {}).items():
        canonical = next(
            (spec.name for spec in DATA_OBJECTS if spec.name.lower() == name.lower()), None
        )
        if canonical is None or canonical == "User" or canonical in DERIVED_OBJECTS:
            raise ValueError(f"cannot scale {name!r}: not a generated object")
        rows[canonical] = count
    # A sandbox is an org of its own, with its own id (a connection to one is never the other).
    org_id = mint_id("00D", (5000 if is_sandbox else 1000) + seed)
    name = "SFImport Demo Sandbox" if is_sandbox else "SFImport Demo"
    profiles, sets = _permission_sets()
    users = _users(profiles, sets)
    tables = _setup_tables(org_id, name, is_sandbox, users, profiles, sets)
    for spec in DATA_OBJECTS:
        if spec.name != "User" and spec.name not in DERIVED_OBJECTS:
            tables[spec.name] = generate_table(spec, rows[spec.name], seed, tables)
    tables.update(content_tables(tables["Attachment"]))
    app = ConnectedApp(
        "sfimport demo",
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_CALLBACK_URLS,
        any_loopback_callback=True,
    )
    org = Org(
        org_id=org_id,
        name=name,
        is_sandbox=is_sandbox,
        objects=ALL_OBJECTS,
        tables=tables,
        users=users,
        permission_sets=sets,
        profiles=profiles,
        app=app,
        clock=Clock(clock_start.astimezone(UTC) if clock_start else None),
        api_max=api_max,
        demo_logins=[(d.username, d.password, d.lacks) for d in DEMO_USERS],
    )
    install_reports(org)
    if multi_currency:
        enable_multi_currency(org)
    return org
