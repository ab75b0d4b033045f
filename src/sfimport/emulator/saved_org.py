"""An org's durable state in a folder, so that a demo org survives a restart: its records, users
and permission sets, OAuth tokens, the Connected App's block, deleted fields, the API usage of
the day, the clock's offset and the session timeout.

What a restart may lose is what a real org loses too: open query cursors, Bulk jobs, pending
logins and Setup page sessions. The org is rebuilt from its seed first (so the saved files only
hold what can change) and then the saved state is laid over it; `SavedOrg.save` writes only the
tables that changed since the last save (Arrow tables are immutable, so a changed table is a
different object).
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfimport.emulator.org import AccessToken, Org, PermissionSet, RefreshToken, User
from sfimport.emulator.services import services_for

#: Bumped when the files' meaning changes; an unknown format is refused, not guessed at.
FORMAT = 1
STATE_FILE = "org.json"
TABLES = "tables"
#: After reads (which move API usage and token use), save at most this often.
READ_SAVE_SECONDS = 30.0
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_log = logging.getLogger(__name__)


class SavedOrgError(RuntimeError):
    """The saved state cannot be used (another format, another org): start afresh to fix it."""


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a private temporary file beside `path`, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _aligned(saved: pa.Table, built: pa.Table) -> pa.Table:
    """`saved` in `built`'s schema: a column added by a newer release starts out null."""
    if saved.schema.equals(built.schema):
        return saved
    arrays = []
    for column in built.schema:
        if column.name in saved.column_names:
            arrays.append(saved[column.name].cast(column.type))
        else:
            arrays.append(pa.nulls(saved.num_rows, column.type))
    return pa.Table.from_arrays(arrays, schema=built.schema)


class SavedOrg:
    """Reads and writes one org's state under `folder` (created private, mode 0700)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._written: dict[str, pa.Table] = {}
        self._last_save = 0.0

    @property
    def exists(self) -> bool:
        return (self.folder / STATE_FILE).is_file()

    # --- loading -----------------------------------------------------------------------------

    def load_into(self, org: Org) -> bool:
        """Lay the saved state over a freshly built `org`; False when nothing was saved yet."""
        if not self.exists:
            return False
        try:
            state = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SavedOrgError(f"{self.folder / STATE_FILE} cannot be read: {exc}") from exc
        if state.get("format") != FORMAT:
            raise SavedOrgError(
                f"{self.folder / STATE_FILE} was saved in format {state.get('format')!r}; "
                f"this release reads format {FORMAT}"
            )
        if state.get("org_id") != org.org_id:
            raise SavedOrgError(f"{self.folder} holds org {state.get('org_id')}, not {org.org_id}")
        for name in state["tables"]:
            path = self.folder / TABLES / f"{name}.arrow"
            saved = pa.ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
            built = org.tables.get(name)
            table = saved if built is None else _aligned(saved, built)
            org.tables[name] = table.combine_chunks()
            self._written[name] = org.tables[name]
        org.permission_sets = {
            item["id"]: PermissionSet(
                item["id"],
                item["name"],
                item["label"],
                frozenset(item["permissions"]),
                item["profile_id"],
            )
            for item in state["permission_sets"]
        }
        org.users = {
            item["id"]: User(
                item["id"],
                item["username"],
                item["password"],
                item["first_name"],
                item["last_name"],
                item["email"],
                item["profile_id"],
                tuple(item["permission_set_ids"]),
                {name: frozenset(fields) for name, fields in item["hidden_fields"].items()},
                item["active"],
                item["user_type"],
            )
            for item in state["users"]
        }
        services = services_for(org)
        for object_name, field_name in state["removed_fields"]:
            services.removed_fields.remove(org, object_name, field_name)
        services.faults.app_blocked = bool(state["app_blocked"])
        org.refresh_tokens = {
            token: RefreshToken(item["user_id"], item["client_id"], tuple(item["scopes"]))
            for token, item in state["refresh_tokens"].items()
        }
        org.access_tokens = {
            token: AccessToken(
                item["user_id"],
                item["refresh_token"],
                datetime.fromisoformat(item["issued"]),
                datetime.fromisoformat(item["last_used"]),
            )
            for token, item in state["access_tokens"].items()
        }
        api = state["api"]
        org.api.maximum = int(api["maximum"])
        org.api.used = int(api["used"])
        org.api.day = date.fromisoformat(api["day"]) if api["day"] else None
        org.calls_by_user = {str(k): int(v) for k, v in state["calls_by_user"].items()}
        org.clock.restore_offset(float(state["clock_offset_seconds"]))
        org.session_timeout_seconds = float(state["session_timeout_seconds"])
        return True

    # --- saving ------------------------------------------------------------------------------

    def save(self, org: Org) -> None:
        """Write the state; tables only when they changed since the last save or load."""
        _private_dir(self.folder)
        _private_dir(self.folder / TABLES)
        for name, table in org.tables.items():
            if self._written.get(name) is not table:
                _write_atomically(self.folder / TABLES / f"{name}.arrow", _table_bytes(table))
                self._written[name] = table
        services = services_for(org)
        # In removal order per object, so that removing them again on load gives the same
        # field positions.
        removed = [
            [object_name, spec.name]
            for object_name, entries in services.removed_fields.by_object.items()
            for _, spec in entries
        ]
        state: dict[str, Any] = {
            "format": FORMAT,
            "org_id": org.org_id,
            "name": org.name,
            "is_sandbox": org.is_sandbox,
            "tables": sorted(org.tables),
            "permission_sets": [
                {
                    "id": ps.id,
                    "name": ps.name,
                    "label": ps.label,
                    "permissions": sorted(ps.permissions),
                    "profile_id": ps.profile_id,
                }
                for ps in org.permission_sets.values()
            ],
            "users": [
                {
                    "id": user.id,
                    "username": user.username,
                    "password": user.password,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                    "profile_id": user.profile_id,
                    "permission_set_ids": list(user.permission_set_ids),
                    "hidden_fields": {k: sorted(v) for k, v in user.hidden_fields.items()},
                    "active": user.active,
                    "user_type": user.user_type,
                }
                for user in org.users.values()
            ],
            "removed_fields": removed,
            "app_blocked": services.faults.app_blocked,
            "refresh_tokens": {
                token: {"user_id": g.user_id, "client_id": g.client_id, "scopes": list(g.scopes)}
                for token, g in org.refresh_tokens.items()
            },
            "access_tokens": {
                token: {
                    "user_id": g.user_id,
                    "refresh_token": g.refresh_token,
                    "issued": g.issued.isoformat(),
                    "last_used": g.last_used.isoformat(),
                }
                for token, g in org.access_tokens.items()
            },
            "api": {
                "maximum": org.api.maximum,
                "used": org.api.used,
                "day": org.api.day.isoformat() if org.api.day else None,
            },
            "calls_by_user": dict(org.calls_by_user),
            "clock_offset_seconds": org.clock.offset_seconds,
            "session_timeout_seconds": org.session_timeout_seconds,
        }
        payload = json.dumps(state, indent=1, sort_keys=True).encode()
        _write_atomically(self.folder / STATE_FILE, payload)
        self._last_save = time.monotonic()

    def due(self, seconds: float) -> bool:
        """True when the last save is older than `seconds` (or there was none)."""
        return time.monotonic() - self._last_save >= seconds


class SaveChanges:
    """ASGI wrapper saving the org before a response that may have changed it leaves.

    Saved before the answer is sent, so a token the client has seen is on disk even if the
    process dies the next moment. Reads save at most every `READ_SAVE_SECONDS`.
    """

    def __init__(self, app: ASGIApp, org: Org, saved: SavedOrg) -> None:
        self.app = app
        self.org = org
        self.saved = saved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        changes = scope["method"] not in _READS

        async def saving(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                changes or self.saved.due(READ_SAVE_SECONDS)
            ):
                try:
                    self.saved.save(self.org)
                except OSError as exc:  # a full disk must not take the org's answers down
                    _log.warning("could not save the demo org to %s: %s", self.saved.folder, exc)
            await send(message)

        await self.app(scope, receive, saving)
