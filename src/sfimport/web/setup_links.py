"""Links from the product's pages to the Salesforce Setup page where the person acts.

Each is a Lightning Experience path on the connection's own instance, the same in a real org
and in the demo org: a blocked or revoked app goes to Connected Apps OAuth Usage, a missing
permission to Users, a removed field to the object's Fields & Relationships, the daily limit to
Company Information (API Requests, Last 24 Hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sfimport.errors import SfimportError
from sfimport.web.ports import WorkspacePort

OAUTH_USAGE = "/lightning/setup/ConnectedAppsUsage/home"
USERS = "/lightning/setup/ManageUsers/home"
OBJECTS = "/lightning/setup/ObjectManager/home"
COMPANY = "/lightning/setup/CompanyProfileInfo/home"

_BY_KIND = {
    "connection": (OAUTH_USAGE, "Connected Apps OAuth Usage"),
    "api_disabled": (USERS, "Users (permissions)"),
    "insufficient_access": (USERS, "Users (permissions)"),
    "permissions": (USERS, "Users (permissions)"),
    "daily_limit": (COMPANY, "Company Information (API usage)"),
    "field_unavailable": (OBJECTS, "Object Manager"),
}


@dataclass(frozen=True)
class SetupLink:
    url: str
    label: str


def object_fields_path(sobject: str) -> str:
    return f"/lightning/setup/ObjectManager/{quote(sobject, safe='')}/FieldsAndRelationships/view"


def setup_link(
    workspace: WorkspacePort, connection: str | None, kind: str, sobject: str | None = None
) -> SetupLink | None:
    """The Setup page for an error `kind` on `connection`'s org, or None (unknown kind or
    connection: the page then shows the remedy's words alone)."""
    if not connection or kind not in _BY_KIND:
        return None
    try:
        instance = getattr(workspace.get_connection(connection), "instance_url", None)
    except SfimportError:
        return None
    if not isinstance(instance, str) or not instance:
        return None
    path, label = _BY_KIND[kind]
    if kind == "field_unavailable" and sobject:
        path, label = object_fields_path(sobject), f"{sobject} fields"
    return SetupLink(instance.rstrip("/") + path, label)
