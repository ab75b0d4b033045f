"""Fault injection and data changes on a running org, in plain Python: revoked tokens, a
blocked Connected App, permissions taken away, fields removed or hidden, a share of failing or
hanging responses (deterministic per seed), and inserts, updates and deletes that move
SystemModstamp so incremental reads have something to find."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.generate import FIRST_RECORD_NUMBER
from sfimport.emulator.ids import mint_id, mint_ids, to_18
from sfimport.emulator.org import Org, PermissionSet, User
from sfimport.emulator.schema import FieldSpec, ObjectSpec

AUDIT_STAMPS = ("LastModifiedDate", "SystemModstamp")


class FaultError(ValueError):
    """A control request that cannot be applied (unknown user, object, field or record)."""


@dataclass(frozen=True)
class Fault:
    """What to do to one response: hang first (seconds), then fail with `status` (or not)."""

    hang_seconds: float = 0.0
    status: int | None = None


@dataclass
class ResponseFaults:
    """A share of API responses that fail with 500/503 or hang, drawn from a seeded stream."""

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    hang_rate: float = 0.0
    hang_seconds: float = 0.0
    path_prefix: str = "/services/"
    seed: int = 0
    app_blocked: bool = False
    _rng: random.Random = field(default_factory=lambda: random.Random(0))

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Replace the response-fault settings (missing keys reset to no fault)."""
        statuses = settings.get("error_statuses", [500, 503])
        if isinstance(statuses, int):
            statuses = [statuses]
        chosen = tuple(int(status) for status in statuses)
        if not chosen or any(status not in {500, 502, 503} for status in chosen):
            raise FaultError("error_statuses must be among 500, 502 and 503")
        self.error_rate = _share(settings.get("error_rate", 0.0), "error_rate")
        self.hang_rate = _share(settings.get("hang_rate", 0.0), "hang_rate")
        self.error_statuses = chosen
        self.hang_seconds = float(settings.get("hang_seconds", 0.0))
        self.path_prefix = str(settings.get("path_prefix", "/services/"))
        self.seed = int(settings.get("seed", 0))
        self._rng = random.Random(self.seed)

    def draw(self, path: str) -> Fault | None:
        """The fault for the next response on `path`, if any (the stream advances per call)."""
        if not path.startswith(self.path_prefix) or (self.error_rate <= 0 and self.hang_rate <= 0):
            return None
        hang = self._rng.random() < self.hang_rate
        fail = self._rng.random() < self.error_rate
        status = self.error_statuses[self._rng.randrange(len(self.error_statuses))]
        if not hang and not fail:
            return None
        return Fault(self.hang_seconds if hang else 0.0, status if fail else None)

    def describe(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "error_statuses": list(self.error_statuses),
            "hang_rate": self.hang_rate,
            "hang_seconds": self.hang_seconds,
            "path_prefix": self.path_prefix,
            "seed": self.seed,
            "app_blocked": self.app_blocked,
        }


def _share(value: Any, name: str) -> float:
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise FaultError(f"{name} must be between 0 and 1")
    return share


# --- users, tokens and the Connected App ---------------------------------------------------


def user_by_name(org: Org, username: str) -> User:
    user = org.user_named(username)
    if user is None:
        raise FaultError(f"unknown username {username!r}")
    return user


def revoke_user_tokens(org: Org, user: User) -> int:
    """Revoke every refresh and access token of `user` (as an admin does in Setup)."""
    refresh = [key for key, grant in org.refresh_tokens.items() if grant.user_id == user.id]
    access = [key for key, grant in org.access_tokens.items() if grant.user_id == user.id]
    for key in refresh:
        del org.refresh_tokens[key]
    for key in access:
        del org.access_tokens[key]
    return len(refresh) + len(access)


def block_app(org: Org, faults: ResponseFaults, blocked: bool) -> int:
    """Block (or unblock) the Connected App; blocking revokes every token it issued."""
    faults.app_blocked = blocked
    if not blocked:
        return 0
    revoked = len(org.refresh_tokens) + len(org.access_tokens)
    org.refresh_tokens.clear()
    org.access_tokens.clear()
    return revoked


def set_user_permission(org: Org, user: User, permission: str, enabled: bool) -> User:
    """Grant or take away one user permission (e.g. PermissionsApiEnabled) at run time.

    Taking away replaces each of the user's permission sets that grants it by a copy without
    it; granting assigns a permission set holding just that permission.
    """
    if enabled == (permission in org.permissions(user)):
        return user
    sets: list[str] = []
    if enabled:
        grant_id = mint_id("0PS", 700 + len(org.permission_sets))
        org.permission_sets[grant_id] = PermissionSet(
            grant_id, f"Emulator_Grant_{permission}", permission, frozenset({permission})
        )
        sets = [*user.permission_set_ids, grant_id]
    else:
        for ps_id in user.permission_set_ids:
            granted = org.permission_sets[ps_id]
            if permission not in granted.permissions:
                sets.append(ps_id)
                continue
            copy_id = mint_id("0PS", 700 + len(org.permission_sets))
            org.permission_sets[copy_id] = replace(
                granted,
                id=copy_id,
                name=f"{granted.name}_without_{permission}",
                permissions=granted.permissions - {permission},
            )
            sets.append(copy_id)
    changed = replace(user, permission_set_ids=tuple(sets))
    org.users[user.id] = changed
    return changed


# --- fields ----------------------------------------------------------------------------------


def object_spec(org: Org, name: str) -> ObjectSpec:
    spec = org.objects.get(name.lower())
    if spec is None:
        raise FaultError(f"unknown object {name!r}")
    return spec


def _field(spec: ObjectSpec, name: str) -> FieldSpec:
    found = spec.field_named(name)
    if found is None:
        raise FaultError(f"{spec.name} has no field {name!r}")
    return found


def hide_field(org: Org, user: User, object_name: str, field_name: str, hidden: bool) -> None:
    """Field-level security: hide the field from (or show it again to) one user."""
    spec = object_spec(org, object_name)
    name = _field(spec, field_name).name
    fields = dict(user.hidden_fields)
    current = fields.get(spec.name, frozenset())
    fields[spec.name] = current | {name} if hidden else current - {name}
    org.users[user.id] = replace(user, hidden_fields=fields)


@dataclass
class RemovedFields:
    """Fields deleted from the org's schema, kept so that they can be restored."""

    by_object: dict[str, list[tuple[int, FieldSpec]]] = field(default_factory=dict)

    def remove(self, org: Org, object_name: str, field_name: str) -> None:
        spec = object_spec(org, object_name)
        target = _field(spec, field_name)
        if target.name == "Id":
            raise FaultError("the Id field cannot be removed")
        position = spec.fields.index(target)
        self.by_object.setdefault(spec.name, []).append((position, target))
        kept = tuple(f for f in spec.fields if f is not target)
        org.objects[spec.name.lower()] = replace(spec, fields=kept)

    def restore(self, org: Org, object_name: str, field_name: str) -> None:
        spec = object_spec(org, object_name)
        removed = self.by_object.get(spec.name, [])
        for entry in removed:
            position, target = entry
            if target.name.lower() == field_name.lower():
                fields = list(spec.fields)
                fields.insert(min(position, len(fields)), target)
                org.objects[spec.name.lower()] = replace(spec, fields=tuple(fields))
                removed.remove(entry)
                return
        raise FaultError(f"{field_name!r} of {spec.name} was not removed")


# --- records ---------------------------------------------------------------------------------


def _stamp(org: Org) -> datetime:
    # Salesforce keeps audit stamps to the second: every recording shows `.000`.
    return org.clock.now().replace(microsecond=0)


def _python_value(spec: FieldSpec | None, kind: pa.DataType, value: Any) -> Any:
    """A JSON value converted to what the column of type `kind` holds."""
    if value is None or value == "":
        # Salesforce stores an empty string as null (a blank field), never as "".
        return None
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if pa.types.is_date(kind):
        return date.fromisoformat(str(value)[:10])
    if pa.types.is_time(kind):
        return time.fromisoformat(str(value).removesuffix("Z"))
    if spec is not None and spec.type in {"id", "reference"} and isinstance(value, str):
        return to_18(value) if len(value) == 15 else value
    return value


def _column(org: Org, spec: ObjectSpec, table: pa.Table, name: str, values: Sequence[Any]) -> Any:
    kind = table.schema.field(name).type
    field_spec = spec.field_named(name)
    try:
        return pa.array([_python_value(field_spec, kind, v) for v in values], type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as exc:
        raise FaultError(f"bad value for {spec.name}.{name}: {exc}") from exc


def _writable(spec: ObjectSpec, table: pa.Table, row: Mapping[str, Any]) -> dict[str, str]:
    """Map the row's keys to column names, refusing unknown fields."""
    names: dict[str, str] = {}
    for key in row:
        canonical = next((c for c in table.column_names if c.lower() == key.lower()), None)
        if canonical is None:
            raise FaultError(f"{spec.name} has no stored field {key!r}")
        names[key] = canonical
    return names


def _data_table(org: Org, name: str) -> tuple[ObjectSpec, pa.Table]:
    spec = object_spec(org, name)
    table = org.tables.get(spec.name)
    if table is None or "SystemModstamp" not in table.column_names:
        raise FaultError(f"{spec.name} holds no editable records")
    return spec, table


def insert_records(org: Org, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Append records (new ids, created and modified now); returns their ids."""
    spec, table = _data_table(org, object_name)
    if not rows:
        return []
    count = len(rows)
    ids = mint_ids(str(spec.key_prefix), FIRST_RECORD_NUMBER + table.num_rows, count)
    now = _stamp(org)
    owner = next(iter(org.users.values())).id
    defaults: dict[str, Any] = {
        "IsDeleted": False,
        "CreatedDate": now,
        "LastModifiedDate": now,
        "SystemModstamp": now,
        "CreatedById": owner,
        "LastModifiedById": owner,
        "OwnerId": owner,
    }
    named = [{_writable(spec, table, row)[k]: v for k, v in row.items()} for row in rows]
    arrays = []
    for name in table.column_names:
        if name == "Id":
            arrays.append(ids)
        elif name in AUDIT_STAMPS or name in {"CreatedDate", "IsDeleted"}:
            arrays.append(pa.array([defaults[name]] * count, type=table.schema.field(name).type))
        else:
            values = [row.get(name, defaults.get(name)) for row in named]
            arrays.append(_column(org, spec, table, name, values))
    added = pa.Table.from_arrays(arrays, schema=table.schema)
    org.tables[spec.name] = pa.concat_tables([table, added]).combine_chunks()
    return [str(v) for v in ids.to_pylist()]


def _positions(table: pa.Table, ids: Sequence[str]) -> np.ndarray:
    wanted = pa.array([to_18(str(i)) for i in ids], type=pa.string())
    found = pc.index_in(wanted, value_set=table["Id"].combine_chunks())
    if found.null_count:
        missing = [i for i, p in zip(ids, found.to_pylist(), strict=True) if p is None]
        raise SalesforceApiError(404, "NOT_FOUND", f"no such records: {', '.join(missing)}")
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def _scatter(column: pa.ChunkedArray, positions: np.ndarray, values: pa.Array) -> pa.Array:
    """`column` with `values` written at `positions`, without a Python loop over rows."""
    whole = column.combine_chunks()
    picks = np.arange(len(whole), dtype=np.int64)
    picks[positions] = len(whole) + np.arange(len(positions), dtype=np.int64)
    return pa.concat_arrays([whole, values.cast(whole.type)]).take(pa.array(picks))


def update_records(org: Org, object_name: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Change fields of existing records by Id; LastModifiedDate and SystemModstamp move."""
    spec, table = _data_table(org, object_name)
    if not rows:
        return 0
    if any("Id" not in row for row in rows):
        raise FaultError("every updated record needs its Id")
    positions = _positions(table, [str(row["Id"]) for row in rows])
    now = _stamp(org)
    changes: dict[str, list[tuple[int, Any]]] = {}
    for position, row in zip(positions.tolist(), rows, strict=True):
        for key, name in _writable(spec, table, row).items():
            if name != "Id":
                changes.setdefault(name, []).append((position, row[key]))
    for name in AUDIT_STAMPS:
        changes[name] = [(int(p), now) for p in positions]
    for name, edits in changes.items():
        where = np.array([p for p, _ in edits], dtype=np.int64)
        values = _column(org, spec, table, name, [v for _, v in edits])
        index = table.column_names.index(name)
        table = table.set_column(index, name, _scatter(table[name], where, values))
    org.tables[spec.name] = table
    return len(rows)


def delete_records(org: Org, object_name: str, ids: Sequence[str]) -> int:
    """Soft-delete: IsDeleted becomes true (seen by queryAll and /deleted), stamps move."""
    return update_records(org, object_name, [{"Id": i, "IsDeleted": True} for i in ids])
