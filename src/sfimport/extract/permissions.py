"""The permission check: does the connected Salesforce user hold the four permissions the
product needs, and what does each missing one block?

The user's effective permissions (profile, permission sets and groups together) come from
``UserPermissionAccess``; where that object cannot be read, the user's permission set
assignments are combined instead. An API_DISABLED answer to the check itself means the user
lacks API Enabled; the other permissions then cannot be read and are reported as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sfimport.errors import (
    ApiDisabled,
    InsufficientAccess,
    InvalidQuery,
    ResourceNotFound,
    UsageError,
)
from sfimport.salesforce.client import SalesforceClient


@dataclass(frozen=True)
class RequiredPermission:
    """A permission the product needs, its API field and what is blocked without it."""

    name: str
    field: str
    blocks: str


REQUIRED_PERMISSIONS: tuple[RequiredPermission, ...] = (
    RequiredPermission(
        "API Enabled",
        "PermissionsApiEnabled",
        "Everything: sfimport reads Salesforce only through its API, so no object or report "
        "can be listed or imported.",
    ),
    RequiredPermission(
        "Run Reports",
        "PermissionsRunReports",
        "Reports: they cannot be listed, run or imported.",
    ),
    RequiredPermission(
        "View Roles and Role Hierarchy",
        "PermissionsViewRoles",
        "Roles: the role hierarchy (UserRole) and role-based report scopes cannot be imported.",
    ),
    RequiredPermission(
        "View Setup and Configuration",
        "PermissionsViewSetup",
        "Setup data: record counts and the org's API limits cannot be read, so imports run "
        "without size estimates, and setup objects cannot be imported.",
    ),
)

_USER_PERMISSION_ACCESS_SOQL = (
    "SELECT " + ", ".join(p.field for p in REQUIRED_PERMISSIONS) + " FROM UserPermissionAccess"
)
_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


@dataclass(frozen=True)
class PermissionItem:
    """One permission: ``present`` is None when it could not be determined."""

    name: str
    field: str
    present: bool | None
    blocks: str


@dataclass(frozen=True)
class PermissionReport:
    """The outcome of a permission check, one item per required permission."""

    items: tuple[PermissionItem, ...]
    #: Where the answer came from: UserPermissionAccess, PermissionSetAssignment, or
    #: api_disabled (the check itself was refused).
    source: str

    @property
    def missing(self) -> tuple[PermissionItem, ...]:
        return tuple(item for item in self.items if item.present is False)

    @property
    def unknown(self) -> tuple[PermissionItem, ...]:
        return tuple(item for item in self.items if item.present is None)

    @property
    def all_present(self) -> bool:
        return all(item.present is True for item in self.items)

    def get(self, name_or_field: str) -> PermissionItem:
        for item in self.items:
            if name_or_field in (item.name, item.field):
                return item
        raise KeyError(name_or_field)


def check_permissions(client: SalesforceClient, user_id: str) -> PermissionReport:
    """Check the four permissions of the connection's user (``user_id`` from identity)."""
    if not _SALESFORCE_ID.match(user_id):
        raise UsageError(f"{user_id!r} is not a Salesforce user id.")
    try:
        rows = list(client.rest.records(_USER_PERMISSION_ACCESS_SOQL))
    except ApiDisabled:
        return _report({"PermissionsApiEnabled": False}, source="api_disabled")
    except (InvalidQuery, InsufficientAccess, ResourceNotFound):
        return _from_assignments(client, user_id)
    if not rows:
        return _from_assignments(client, user_id)
    return _report(_flags(rows[0]), source="UserPermissionAccess")


def _from_assignments(client: SalesforceClient, user_id: str) -> PermissionReport:
    fields = ", ".join(f"PermissionSet.{p.field}" for p in REQUIRED_PERMISSIONS)
    soql = f"SELECT {fields} FROM PermissionSetAssignment WHERE AssigneeId = '{user_id}'"
    try:
        rows = list(client.rest.records(soql))
    except ApiDisabled:
        return _report({"PermissionsApiEnabled": False}, source="api_disabled")
    except (InvalidQuery, InsufficientAccess, ResourceNotFound):
        # Only users with View Setup can read assignments; the query itself ran, so the API
        # works and View Setup is what is missing.
        return _report(
            {"PermissionsApiEnabled": True, "PermissionsViewSetup": False},
            source="PermissionSetAssignment",
        )
    combined: dict[str, bool] = {}
    for row in rows:
        # Each assignment's permission set (the profile's own included) grants what it has.
        for name, value in _flags(row.get("PermissionSet") or {}).items():
            combined[name] = combined.get(name, False) or value
    for permission in REQUIRED_PERMISSIONS:
        combined.setdefault(permission.field, False)
    return _report(combined, source="PermissionSetAssignment")


def _flags(row: Mapping[str, Any]) -> dict[str, bool]:
    return {
        p.field: bool(row[p.field])
        for p in REQUIRED_PERMISSIONS
        if p.field in row and row[p.field] is not None
    }


def _report(flags: Mapping[str, bool], *, source: str) -> PermissionReport:
    return PermissionReport(
        items=tuple(
            PermissionItem(name=p.name, field=p.field, present=flags.get(p.field), blocks=p.blocks)
            for p in REQUIRED_PERMISSIONS
        ),
        source=source,
    )
