"""The org model in plain Python: objects and tables, users and permissions, the Connected App,
OAuth grants and tokens, the daily API allowance, the clock and open query cursors.

Routes call into an `Org` and translate its results and `SalesforceApiError`/`OAuthError` to HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator import field_definitions
from sfimport.emulator.catalog import PERMISSION_NAMES
from sfimport.emulator.errors import OAuthError, SalesforceApiError, invalid_session, not_found
from sfimport.emulator.formulas import with_cross_record_values
from sfimport.emulator.generate import empty_table
from sfimport.emulator.ids import mint_id
from sfimport.emulator.query import (
    Plan,
    QueryScope,
    aggregate_record,
    execute,
    grouped_records,
    plan,
    render_records,
    timestamp,
)
from sfimport.emulator.schema import (
    ChildRelationship,
    FieldSpec,
    ObjectSpec,
    describe_global_entry,
    describe_object,
)
from sfimport.emulator.soql import parse

CURSOR_IDLE_SECONDS = 15 * 60
# An org's session timeout (Setup > Session Settings), 2 hours unless the admin changes it.
SESSION_TIMEOUT_SECONDS = 2 * 3600
# The /limits entries of a Developer Edition org and their maxima (DailyApiRequests is live).
DEVELOPER_EDITION_LIMITS: Mapping[str, int] = {
    "AnalyticsExternalDataSizeMB": 40960,
    "BOZosCalloutHourlyLimit": 20000,
    "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentEinsteinDataInsightsStoryCreation": 5,
    "ConcurrentEinsteinDiscoveryStoryCreation": 2,
    "ConcurrentSyncReportRuns": 20,
    "DailyAnalyticsDataflowJobExecutions": 60,
    "DailyAnalyticsUploadedFilesSizeMB": 51200,
    "DailyAsyncApexExecutions": 250000,
    "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562,
    "DailyBulkV2QueryJobs": 10000,
    "DailyDurableGenericStreamingApiEvents": 10000,
    "DailyDurableStreamingApiEvents": 10000,
    "DailyEinsteinDataInsightsStoryCreation": 1000,
    "DailyEinsteinDiscoveryPredictAPICalls": 50000,
    "DailyEinsteinDiscoveryPredictionsByCDC": 500000,
    "DailyEinsteinDiscoveryStoryCreation": 100,
    "DailyFunctionsApiCallLimit": 50000,
    "DailyGenericStreamingApiEvents": 10000,
    "DailyStandardVolumePlatformEvents": 10000,
    "DailyStreamingApiEvents": 10000,
    "DailyWorkflowEmails": 195,
    "DataStorageMB": 5,
    "DurableStreamingApiConcurrentClients": 20,
    "FileStorageMB": 20,
    "HourlyAsyncReportRuns": 1200,
    "HourlyDashboardRefreshes": 200,
    "HourlyDashboardResults": 5000,
    "HourlyDashboardStatuses": 999999999,
    "HourlyLongTermIdMapping": 100000,
    "HourlyManagedContentPublicRequests": 50000,
    "HourlyODataCallout": 1000,
    "HourlyPublishedPlatformEvents": 50000,
    "HourlyPublishedStandardVolumePlatformEvents": 1000,
    "HourlyShortTermIdMapping": 100000,
    "HourlySyncReportRuns": 500,
    "HourlyTimeBasedWorkflow": 50,
    "MassEmail": 10,
    "MonthlyEinsteinDiscoveryStoryCreation": 500,
    "MonthlyPlatformEventsUsageEntitlement": 0,
    "Package2VersionCreates": 6,
    "Package2VersionCreatesWithoutValidation": 500,
    "PermissionSets": 1500,
    "PrivateConnectOutboundCalloutHourlyLimitMB": 0,
    "SingleEmail": 15,
    "StreamingApiConcurrentClients": 20,
}
PER_APP_LIMITS = frozenset(
    {"DailyBulkApiBatches", "DailyGenericStreamingApiEvents", "DailyStreamingApiEvents"}
)
MAX_CURSORS_PER_USER = 10
REPLICATION_DAYS_UPDATED = 30
REPLICATION_DAYS_DELETED = 15
AUTHORIZATION_CODE_SECONDS = 15 * 60
DEFAULT_BATCH_SIZE = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


class Clock:
    """The org's notion of now: wall time (or a fixed start) moved by an adjustable offset."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self._offset = timedelta()

    def now(self) -> datetime:
        base = self._start if self._start is not None else datetime.now(UTC)
        return base + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        base = self._start if self._start is not None else datetime.now(UTC)
        self._offset = moment.astimezone(UTC) - base

    @property
    def offset_seconds(self) -> float:
        return self._offset.total_seconds()

    def restore_offset(self, seconds: float) -> None:
        """Put back an offset saved earlier (a restarted demo org keeps its moved clock)."""
        self._offset = timedelta(seconds=seconds)


@dataclass
class ApiUsage:
    """DailyApiRequests: calls so far on the clock's current (UTC) day, against `maximum`."""

    maximum: int
    used: int = 0
    day: date | None = None

    def roll(self, today: date) -> None:
        if self.day != today:
            self.day = today
            self.used = 0


@dataclass(frozen=True)
class PermissionSet:
    id: str
    name: str
    label: str
    permissions: frozenset[str]
    profile_id: str | None = None


@dataclass(frozen=True)
class User:
    id: str
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    profile_id: str
    permission_set_ids: tuple[str, ...]
    hidden_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    active: bool = True
    user_type: str = "Standard"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class ConnectedApp:
    """The OAuth client. `any_loopback_callback` lets the demo app redirect to any local port."""

    name: str
    client_id: str
    client_secret: str
    callback_urls: tuple[str, ...]
    scopes: tuple[str, ...] = ("api", "refresh_token", "id")
    any_loopback_callback: bool = False

    def accepts_callback(self, url: str) -> bool:
        if url in self.callback_urls:
            return True
        if not self.any_loopback_callback:
            return False
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
        host = host[: host.index("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
        return parts.scheme in {"http", "https"} and host.lower() in LOOPBACK_HOSTS


@dataclass
class AuthorizationRequest:
    """A browser's pending /authorize: its parameters, then the user who logged in."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]
    code_challenge: str | None
    user_id: str | None = None


@dataclass
class AuthorizationCode:
    user_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    issued: datetime


@dataclass
class RefreshToken:
    user_id: str
    client_id: str
    scopes: tuple[str, ...]


@dataclass
class AccessToken:
    user_id: str
    refresh_token: str | None
    issued: datetime
    last_used: datetime


@dataclass
class Cursor:
    user_id: str
    plan: Plan
    indices: pa.Array
    batch_size: int
    last_used: datetime


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint hands out; rendered by the routes with the request's host."""

    user: User
    access_token: str
    refresh_token: str | None
    scopes: tuple[str, ...]
    issued_at_ms: int


class Org:
    """One emulated org. Construct with `sfimport.emulator.build_demo_org`."""

    def __init__(
        self,
        *,
        org_id: str,
        name: str,
        is_sandbox: bool,
        objects: Sequence[ObjectSpec],
        tables: Mapping[str, pa.Table],
        users: Sequence[User],
        permission_sets: Sequence[PermissionSet],
        profiles: Mapping[str, str],
        app: ConnectedApp,
        clock: Clock,
        api_max: int,
        demo_logins: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.org_id = org_id
        self.name = name
        self.is_sandbox = is_sandbox
        self.objects = {spec.name.lower(): spec for spec in objects}
        self.tables = dict(tables)
        self.users = {user.id: user for user in users}
        self.permission_sets = {ps.id: ps for ps in permission_sets}
        self.profiles = dict(profiles)
        self.app = app
        self.clock = clock
        self.api = ApiUsage(api_max)
        #: Multi-currency enabled (see sfimport.emulator.currencies); off in most orgs.
        self.multi_currency = False
        self.object_for_prefix = {
            spec.key_prefix: spec.name for spec in objects if spec.key_prefix and spec.fields
        }
        self.pending: dict[str, AuthorizationRequest] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.session_timeout_seconds: float = SESSION_TIMEOUT_SECONDS
        self.cursors: dict[str, Cursor] = {}
        self._cursor_serial = 0
        self.calls_by_user: dict[str, int] = {}
        # (username, password, what the user lacks): shown on the demo login page.
        self.demo_logins = tuple(demo_logins)

    # --- users and permissions -------------------------------------------------------------

    def user_named(self, username: str) -> User | None:
        for user in self.users.values():
            if user.username.lower() == username.lower():
                return user
        return None

    def permissions(self, user: User) -> frozenset[str]:
        """Effective user permissions: the profile's permission set OR every assigned one."""
        granted: set[str] = set()
        for ps_id in user.permission_set_ids:
            granted |= self.permission_sets[ps_id].permissions
        return frozenset(granted)

    def visible_object(self, user: User, name: str) -> ObjectSpec | None:
        spec = self.objects.get(name.lower())
        if spec is None:
            return None
        if spec.required_permission and spec.required_permission not in self.permissions(user):
            return None
        return spec

    def visible_fields(self, user: User, spec: ObjectSpec) -> list[FieldSpec]:
        """Fields the user can read: field-level security removes the hidden ones entirely."""
        hidden = user.hidden_fields.get(spec.name, frozenset())
        return [f for f in spec.fields if f.name not in hidden]

    # --- API access -----------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> User:
        """The user behind `Authorization: Bearer <token>` (or OAuth <token>), else 401.

        Access tokens carry no expiry of their own: the session behind one dies after the org's
        session timeout without use, and each use extends it (clients refresh on the 401).
        """
        if not authorization:
            raise invalid_session()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in {"bearer", "oauth"}:
            raise invalid_session()
        grant = self.access_tokens.get(token.strip())
        if grant is None:
            raise invalid_session()
        now = self.clock.now()
        if (now - grant.last_used).total_seconds() > self.session_timeout_seconds:
            del self.access_tokens[token.strip()]
            raise invalid_session()
        grant.last_used = max(grant.last_used, now)
        return self.users[grant.user_id]

    def begin_api_call(self, user: User) -> None:
        """Check API access and the daily allowance, then count the call."""
        if "PermissionsApiEnabled" not in self.permissions(user):
            raise SalesforceApiError(
                403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization."
            )
        self.api.roll(self.clock.now().date())
        if self.api.used >= self.api.maximum:
            raise SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.api.used += 1
        self.calls_by_user[user.username] = self.calls_by_user.get(user.username, 0) + 1

    def limit_info(self) -> str:
        self.api.roll(self.clock.now().date())
        return f"api-usage={self.api.used}/{self.api.maximum}"

    def set_limits(self, maximum: int | None, remaining: int | None) -> None:
        self.api.roll(self.clock.now().date())
        if maximum is not None:
            self.api.maximum = maximum
        if remaining is not None:
            self.api.used = max(0, self.api.maximum - remaining)

    def require_permission(self, user: User, permission: str) -> None:
        if permission not in self.permissions(user):
            raise SalesforceApiError(403, "INSUFFICIENT_ACCESS", "Insufficient privileges")

    # --- describe --------------------------------------------------------------------------

    def describe_global(self, user: User, version: str) -> dict[str, Any]:
        visible = sorted(
            (spec for spec in self.objects.values() if self.visible_object(user, spec.name)),
            key=lambda spec: spec.name,
        )
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [describe_global_entry(spec, version) for spec in visible],
        }

    def describe(self, user: User, name: str, version: str, base_url: str) -> dict[str, Any]:
        spec = self.visible_object(user, name)
        if spec is None:
            raise not_found()
        children = []
        for other in sorted(self.objects.values(), key=lambda s: s.name):
            if self.visible_object(user, other.name) is None:
                continue
            for reference in self.visible_fields(user, other):
                if spec.name in reference.reference_to and reference.child_relationship:
                    children.append(
                        ChildRelationship(other.name, reference.name, reference.child_relationship)
                    )
            if other.associate_parent_entity == spec.name:
                parent_field = "ParentId" if other.associate_entity_type != "ChangeEvent" else "Id"
                children.append(ChildRelationship(other.name, parent_field, None))
        return describe_object(spec, self.visible_fields(user, spec), children, version, base_url)

    # --- data ------------------------------------------------------------------------------

    def table(self, user: User, name: str) -> pa.Table:
        spec = self.objects[name.lower()]
        if spec.name == "UserPermissionAccess":
            granted = self.permissions(user)
            row: dict[str, Any] = {"Id": "000000000000000AAA"}
            row.update({perm: perm in granted for perm in PERMISSION_NAMES})
            row["LastCacheUpdate"] = self.clock.now().replace(microsecond=0)
            return pa.Table.from_pylist(
                [row],
                schema=empty_table(spec).schema,
            )
        table = self.tables.get(spec.name) or empty_table(spec)
        return with_cross_record_values(spec, table, self.tables, self.objects)

    def scope(self, user: User) -> QueryScope:
        return QueryScope(
            objects=lambda name: self.visible_object(user, name),
            fields=lambda spec: self.visible_fields(user, spec),
            table=lambda name: self.table(user, name),
            object_for_prefix=self.object_for_prefix,
            now=self.clock.now(),
        )

    def query(
        self, user: User, soql: str | None, *, include_deleted: bool, batch_size: int, version: str
    ) -> dict[str, Any]:
        """Run SOQL and answer its first page (opening a cursor when more pages remain)."""
        if soql is None or not soql.strip():
            raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        if field_definitions.is_field_definition_query(soql):
            return self._field_definitions(user, soql, version)
        scope = self.scope(user)
        planned = plan(scope, parse(soql))
        indices = execute(scope, planned, include_deleted)
        if planned.count_only:
            return {"totalSize": len(indices), "done": True, "records": []}
        if planned.group_keys:
            records = grouped_records(scope, planned, indices, version)
            return {"totalSize": len(records), "done": True, "records": records}
        if planned.aggregate_keys:
            record = aggregate_record(scope, planned, indices)
            return {"totalSize": 1, "done": True, "records": [record]}
        cursor = Cursor(user.id, planned, indices, batch_size, self.clock.now())
        return self._page(user, cursor, None, 0, version)

    def _field_definitions(self, user: User, soql: str, version: str) -> dict[str, Any]:
        """FieldDefinition rows, with data classification, of one object the user can see."""
        match = re.search(r"=\s*'(\w+)'", soql)
        spec = self.visible_object(user, match.group(1)) if match else None
        fields = [] if spec is None else [(f.name, f.type) for f in self.visible_fields(user, spec)]
        name = spec.name if spec is not None else ""
        answer: dict[str, Any] = field_definitions.answer(soql, fields, name, version)
        return answer

    def query_more(self, user: User, locator: str, version: str) -> dict[str, Any]:
        """The page of an open cursor named by `<locator>-<offset>` from nextRecordsUrl."""
        cursor_id, _, offset_text = locator.rpartition("-")
        cursor = self.cursors.get(cursor_id)
        now = self.clock.now()
        if (
            cursor is None
            or cursor.user_id != user.id
            or not offset_text.isdigit()
            or (now - cursor.last_used).total_seconds() > CURSOR_IDLE_SECONDS
        ):
            self.cursors.pop(cursor_id, None)
            raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        cursor.last_used = now
        return self._page(user, cursor, cursor_id, int(offset_text), version)

    def _page(
        self, user: User, cursor: Cursor, cursor_id: str | None, offset: int, version: str
    ) -> dict[str, Any]:
        total = len(cursor.indices)
        page = cursor.indices[offset : offset + cursor.batch_size]
        records = render_records(self.scope(user), cursor.plan, page, version)
        body: dict[str, Any] = {"totalSize": total, "done": offset + len(page) >= total}
        if not body["done"]:
            if cursor_id is None:
                cursor_id = self._open_cursor(cursor)
            body["nextRecordsUrl"] = (
                f"/services/data/v{version}/query/{cursor_id}-{offset + len(page)}"
            )
        elif cursor_id is not None:
            self.cursors.pop(cursor_id, None)
        if cursor.plan.query.subqueries:
            records = self._attach_children(user, cursor.plan, page, records, version)
        body["records"] = records
        return body

    def _child_relationship(self, user: User, parent: ObjectSpec, name: str) -> ObjectSpec:
        """The child object behind relationship `name` of `parent`, else INVALID_TYPE."""
        for other in sorted(self.objects.values(), key=lambda s: s.name):
            if self.visible_object(user, other.name) is None:
                continue
            for reference in self.visible_fields(user, other):
                if (
                    reference.child_relationship
                    and reference.child_relationship.lower() == name.lower()
                    and parent.name in reference.reference_to
                ):
                    return other
        raise SalesforceApiError(
            400,
            "INVALID_TYPE",
            f"Didn't understand relationship '{name}' in FROM part of query call. If you are "
            "attempting to use a custom relationship, be sure to append the '__r' after the "
            "custom relationship name. Please reference your WSDL or the describe call for the "
            "appropriate names.",
        )

    def _attach_children(
        self,
        user: User,
        planned: Plan,
        page: pa.Array,
        records: list[dict[str, Any]],
        version: str,
    ) -> list[dict[str, Any]]:
        """Each record's child subqueries as `{totalSize, done, records}`, or null when the
        record has no children (as the recorded child subquery shows), in SELECT position."""
        scope = self.scope(user)
        parent = planned.sobject
        parent_ids = [r["attributes"]["url"].rsplit("/", 1)[-1] for r in records]
        nested: list[tuple[str, int, list[Any]]] = []
        for sub in planned.query.subqueries:
            child = self._child_relationship(user, parent, sub.relationship)
            reference = next(
                f
                for f in self.visible_fields(user, child)
                if f.child_relationship
                and f.child_relationship.lower() == sub.relationship.lower()
                and parent.name in f.reference_to
            )
            text = re.sub(
                rf"\bFROM\s+{re.escape(sub.relationship)}\b",
                f"FROM {child.name}",
                sub.text,
                count=1,
                flags=re.IGNORECASE,
            )
            child_query = parse(text)
            child_plan = plan(
                scope, replace(child_query, limit=None, offset=None), filtered_by_parent=True
            )
            matched = execute(scope, child_plan, False)
            owners = scope.table(child.name)[reference.name].take(matched).to_pylist()
            groups: dict[str, list[int]] = {}
            for position, owner in zip(matched.to_pylist(), owners, strict=True):
                if owner is not None:
                    groups.setdefault(owner, []).append(position)
            values: list[Any] = []
            for parent_id in parent_ids:
                rows = groups.get(parent_id, [])[child_query.offset or 0 :]
                if child_query.limit is not None:
                    rows = rows[: child_query.limit]
                if not rows:
                    values.append(None)
                    continue
                rendered = render_records(scope, child_plan, pa.array(rows, pa.int64()), version)
                values.append({"totalSize": len(rows), "done": True, "records": rendered})
            nested.append((sub.relationship, sub.after, values))
        out = []
        for index, record in enumerate(records):
            items = list(record.items())
            for name, after, values in reversed(nested):
                # After the top-level keys of the plain fields that precede it in SELECT.
                heads = planned.query.fields[:after]
                seen = {path.parts[0].lower() for path in heads}
                where = 1 + sum(1 for key, _ in items[1:] if key.lower() in seen)
                items.insert(where, (name, values[index]))
            out.append(dict(items))
        return out

    def _open_cursor(self, cursor: Cursor) -> str:
        mine = [key for key, other in self.cursors.items() if other.user_id == cursor.user_id]
        # Salesforce keeps only a handful of open cursors per user; the oldest ones die first.
        for key in mine[: max(0, len(mine) - MAX_CURSORS_PER_USER + 1)]:
            del self.cursors[key]
        self._cursor_serial += 1
        cursor_id = mint_id("01g", self._cursor_serial)
        self.cursors[cursor_id] = cursor
        return cursor_id

    # --- limits and replication ------------------------------------------------------------

    def limits(self, user: User) -> dict[str, Any]:
        self.require_permission(user, "PermissionsViewSetup")
        self.api.roll(self.clock.now().date())
        remaining = max(0, self.api.maximum - self.api.used)
        fixed = DEVELOPER_EDITION_LIMITS
        body: dict[str, Any] = {}
        for key in sorted([*fixed, "DailyApiRequests"]):
            if key == "DailyApiRequests":
                body[key] = {"Max": self.api.maximum, "Remaining": remaining}
            else:
                body[key] = {"Max": fixed[key], "Remaining": fixed[key]}
            # Current orgs break these entries down per connected app (DailyApiRequests not).
            if key in PER_APP_LIMITS:
                body[key][self.app.name] = {"Max": 0, "Remaining": 0}
        permission_sets = DEVELOPER_EDITION_LIMITS["PermissionSets"]
        body["PermissionSets"]["CreateCustom"] = {
            "Max": permission_sets - 500,
            "Remaining": permission_sets - 500,
        }
        return body

    def record_count(self, user: User, names: Iterable[str] | None) -> dict[str, Any]:
        """Approximate counts; unknown names are ignored and zero counts are left out."""
        self.require_permission(user, "PermissionsViewSetup")
        wanted = None if names is None else {n.lower() for n in names}
        counts = []
        for spec in sorted(self.objects.values(), key=lambda s: s.name):
            if wanted is not None and spec.name.lower() not in wanted:
                continue
            if spec.name not in self.tables or self.visible_object(user, spec.name) is None:
                continue
            table = self.tables[spec.name]
            live = table.num_rows
            if "IsDeleted" in table.column_names:
                live -= pc.sum(table["IsDeleted"].cast(pa.int64())).as_py() or 0
            if live:
                counts.append({"count": live, "name": spec.name})
        return {"sObjects": counts}

    def _replication(
        self, user: User, name: str, start: str | None, end: str | None, deleted: bool
    ) -> tuple[pa.Table, datetime, datetime]:
        spec = self.visible_object(user, name)
        if spec is None or spec.name not in self.tables:
            raise not_found()
        if not spec.flags["replicateable"]:
            raise SalesforceApiError(
                400, "INVALID_TYPE", f"sObject type '{spec.name}' is not supported."
            )
        try:
            begin = _minute(_parse_instant(start))
            finish = _minute(_parse_instant(end))
        except ValueError as exc:
            raise SalesforceApiError(400, "INVALID_REPLICATION_DATE", str(exc)) from exc
        if begin >= finish:
            raise SalesforceApiError(
                400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate"
            )
        # updated reaches back 30 days, deleted 15 (the recycle bin): older starts are refused.
        days = REPLICATION_DAYS_DELETED if deleted else REPLICATION_DAYS_UPDATED
        if begin < _minute(self.clock.now()) - timedelta(days=days):
            raise SalesforceApiError(
                400,
                "INVALID_REPLICATION_DATE",
                f"startDate cannot be more than {days} days ago",
            )
        finish = min(finish, _minute(self.clock.now()))
        table = self.tables[spec.name]
        kind = pa.timestamp("ms", tz="UTC")
        stamp = table["SystemModstamp"]
        window = pc.and_(
            pc.greater_equal(stamp, pa.scalar(begin, kind)), pc.less(stamp, pa.scalar(finish, kind))
        )
        flag = pc.equal(table["IsDeleted"], deleted)
        return table.filter(pc.and_(window, flag)), begin, finish

    def updated(self, user: User, name: str, start: str | None, end: str | None) -> dict[str, Any]:
        rows, _, finish = self._replication(user, name, start, end, deleted=False)
        return {"ids": rows["Id"].to_pylist(), "latestDateCovered": timestamp(finish)}

    def deleted(self, user: User, name: str, start: str | None, end: str | None) -> dict[str, Any]:
        rows, begin, finish = self._replication(user, name, start, end, deleted=True)
        stamps = rows["SystemModstamp"].to_pylist()
        return {
            "deletedRecords": [
                {"id": row_id, "deletedDate": timestamp(stamp)}
                for row_id, stamp in zip(rows["Id"].to_pylist(), stamps, strict=True)
            ],
            "earliestDateAvailable": timestamp(begin),
            "latestDateCovered": timestamp(finish),
        }

    # --- OAuth ------------------------------------------------------------------------------

    def check_client(self, client_id: str | None) -> ConnectedApp:
        if client_id != self.app.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        return self.app

    def begin_authorization(self, request: AuthorizationRequest) -> str:
        request_id = secrets.token_urlsafe(24)
        self.pending[request_id] = request
        return request_id

    def login(self, username: str, password: str) -> User | None:
        user = self.user_named(username)
        if user is None or not user.active or not hmac.compare_digest(user.password, password):
            return None
        return user

    def issue_code(self, request: AuthorizationRequest) -> str:
        assert request.user_id is not None
        # Real codes are URL-safe base64 ending in "==", so they arrive URL-encoded (%3D%3D).
        code = "aPrx" + base64.urlsafe_b64encode(secrets.token_bytes(49)).decode()
        self.codes[code] = AuthorizationCode(
            request.user_id,
            request.client_id,
            request.redirect_uri,
            request.scopes,
            request.code_challenge,
            self.clock.now(),
        )
        return code

    def exchange_code(
        self, code: str | None, redirect_uri: str | None, code_verifier: str | None
    ) -> TokenGrant:
        grant = self.codes.pop(code or "", None)
        if grant is None:
            raise OAuthError("invalid_grant", "invalid authorization code")
        if (self.clock.now() - grant.issued).total_seconds() > AUTHORIZATION_CODE_SECONDS:
            raise OAuthError("invalid_grant", "expired authorization code")
        if redirect_uri != grant.redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
        if grant.code_challenge is not None:
            if not code_verifier:
                raise OAuthError("invalid_grant", "invalid code verifier")
            digest = hashlib.sha256(code_verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if not hmac.compare_digest(expected, grant.code_challenge):
                raise OAuthError("invalid_request", "invalid code verifier")
        return self.grant_tokens(self.users[grant.user_id], grant.scopes)

    def grant_tokens(self, user: User, scopes: Sequence[str]) -> TokenGrant:
        """Fresh access token, plus a refresh token when the scopes ask for one."""
        refresh = None
        # `full` encompasses every other scope but still returns no refresh token on its own.
        if "refresh_token" in scopes or "offline_access" in scopes:
            refresh = "5Aep861" + secrets.token_urlsafe(64)
            self.refresh_tokens[refresh] = RefreshToken(user.id, self.app.client_id, tuple(scopes))
        return self._access(user, refresh, tuple(scopes), include_refresh=True)

    def _access(
        self, user: User, refresh: str | None, scopes: tuple[str, ...], include_refresh: bool
    ) -> TokenGrant:
        token = f"{self.org_id[:15]}!AQ" + secrets.token_urlsafe(72)
        now = self.clock.now()
        self.access_tokens[token] = AccessToken(user.id, refresh, now, now)
        issued = int(now.timestamp() * 1000)
        return TokenGrant(user, token, refresh if include_refresh else None, scopes, issued)

    def refresh(self, refresh_token: str | None) -> TokenGrant:
        grant = self.refresh_tokens.get(refresh_token or "")
        if grant is None:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        user = self.users[grant.user_id]
        if not user.active:
            raise OAuthError("inactive_user", "user is inactive")
        return self._access(user, refresh_token, grant.scopes, include_refresh=False)

    def password_grant(self, username: str | None, password: str | None) -> TokenGrant:
        user = self.login(username or "", password or "")
        if user is None:
            raise OAuthError("invalid_grant", "authentication failure")
        return self._access(user, None, self.app.scopes, include_refresh=False)

    def revoke(self, token: str | None) -> None:
        """Revoke an access or refresh token; a refresh token takes its access tokens along."""
        if token in self.refresh_tokens:
            del self.refresh_tokens[token]
            for key in [k for k, v in self.access_tokens.items() if v.refresh_token == token]:
                del self.access_tokens[key]
            return
        if token in self.access_tokens:
            del self.access_tokens[token]
            return
        raise OAuthError("invalid_token", "invalid token")

    def signature(self, identity_url: str, issued_at: str) -> str:
        """base64(HMAC-SHA256(client_secret, id + issued_at)), as Salesforce signs responses."""
        mac = hmac.new(
            self.app.client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256
        )
        return base64.b64encode(mac.digest()).decode()

    def state(self) -> dict[str, Any]:
        self.api.roll(self.clock.now().date())
        return {
            "now": self.clock.now().isoformat(),
            "api_requests": {"used": self.api.used, "max": self.api.maximum},
            "api_requests_by_user": dict(self.calls_by_user),
            "open_cursors": len(self.cursors),
            "access_tokens": len(self.access_tokens),
            "refresh_tokens": len(self.refresh_tokens),
            "is_sandbox": self.is_sandbox,
            "session_timeout_seconds": self.session_timeout_seconds,
        }


def _parse_instant(text: str | None) -> datetime:
    if not text:
        raise ValueError("start and end are required")
    normalised = text.strip().replace(" ", "+").replace("Z", "+00:00")
    if len(normalised) >= 5 and normalised[-5] in "+-" and normalised[-3] != ":":
        normalised = normalised[:-2] + ":" + normalised[-2:]
    moment = datetime.fromisoformat(normalised)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _minute(moment: datetime) -> datetime:
    # getUpdated/getDeleted work in whole minutes: seconds are truncated.
    return moment.replace(second=0, microsecond=0)
