"""A stand-in for the engine's Workspace, for CLI tests of rendering and exit codes.

It keeps the contract's names and raises the product's errors as the engine does; tests that need
the real engine run against the emulator instead (test_emulator_*.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sfimport.app.workspace import RunResult
from sfimport.errors import AuthorizationDenied, NotFound, NotSupportedObject, UsageError
from sfimport.extract.connections import Connected, DeletionResult, PendingAuthorization
from sfimport.extract.events import ProgressEvent
from sfimport.extract.permissions import PermissionItem, PermissionReport
from sfimport.extract.plan import ImportPlan, PlannedDataset
from sfimport.extract.schema import FieldSpec
from sfimport.extract.spec import ImportSpec
from sfimport.store.metadata import Connection, ConnectionStatus
from sfimport.store.runs import ErrorInfo, RunDatasetInfo, RunInfo

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def connection(name: str, *, sandbox: bool = False) -> Connection:
    return Connection(
        id=1,
        name=name,
        owner="local",
        login_url="https://login.salesforce.com",
        instance_url="https://acme.my.salesforce.com",
        org_id="00D000000000001EAA",
        user_id="005000000000001AAA",
        username="admin@acme.example",
        is_sandbox=sandbox,
        status=ConnectionStatus.ACTIVE,
        created_at=NOW,
        last_checked_at=None,
        api_used=120,
        api_max=15000,
    )


@dataclass(frozen=True)
class ObjectEntry:
    name: str
    label: str
    custom: bool
    field_count: int | None


@dataclass(frozen=True)
class ReportEntry:
    id: str
    name: str
    developer_name: str
    folder: str
    format: str


@dataclass(frozen=True)
class PreviewResult:
    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]


OBJECTS = {"Lead": 250, "Account": 40, "Contact": 90}
UNSUPPORTED = {"AccountChangeEvent": "change events are not data", "LoginHistory": "on the list"}


@dataclass
class FakeWorkspace:
    connections: dict[str, Connection] = field(default_factory=lambda: {"prod": connection("prod")})
    permissions_missing: tuple[str, ...] = ()
    run_status: str = "complete"
    api_remaining: int = 14880
    plans: list[ImportSpec] = field(default_factory=list)
    imports: list[ImportPlan] = field(default_factory=list)
    refreshes: list[tuple[list[str] | None, bool]] = field(default_factory=list)
    exports: list[tuple[str, str, Path]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    completed: list[dict[str, Any]] = field(default_factory=list)
    explode: Exception | None = None

    def _connection(self, name: str) -> Connection:
        if self.explode is not None:
            raise self.explode
        try:
            return self.connections[name]
        except KeyError:
            raise NotFound(f"There is no connection named '{name}'.") from None

    # --- connections
    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        redirect_uri: str | None = None,
        reauthorize: bool = False,
    ) -> PendingAuthorization:
        self._pending_name = name
        self._reauthorizing = reauthorize
        return PendingAuthorization(
            name=name,
            authorize_url="https://login.salesforce.com/services/oauth2/authorize"
            f"?redirect_uri={redirect_uri}",
            state="state-123",
            code_verifier="v",
            login_url="https://login.salesforce.com",
            redirect_uri=str(redirect_uri),
            is_sandbox=sandbox,
        )

    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> Connected:
        self.completed.append({"state": state, "code": code, "error": error})
        if error:
            raise AuthorizationDenied(f"Salesforce said: {error_description or error}.")
        info = connection(self._pending_name)
        self.connections[info.name] = info
        reauthorized = getattr(self, "_reauthorizing", False)
        return Connected(info, self.check_permissions(info.name), reauthorized=reauthorized)

    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        reauthorize: bool = False,
    ) -> Connected:
        self.tokens.append(refresh_token)
        info = connection(name, sandbox=sandbox)
        self.connections[name] = info
        return Connected(info, self.check_permissions(name), reauthorized=reauthorize)

    def list_connections(self) -> list[Connection]:
        return list(self.connections.values())

    def check_permissions(self, name: str) -> PermissionReport:
        self._connection(name)
        names = ["API Enabled", "Run Reports", "View Setup and Configuration"]
        return PermissionReport(
            tuple(
                PermissionItem(n, n.replace(" ", ""), n not in self.permissions_missing, "imports")
                for n in names
            ),
            source="UserPermissionAccess",
        )

    def delete_connection(self, name: str) -> DeletionResult:
        self._connection(name)
        del self.connections[name]
        return DeletionResult(name, True, "The token was revoked at Salesforce.")

    # --- catalog
    def list_objects(self, connection: str, search: str | None = None) -> list[ObjectEntry]:
        self._connection(connection)
        return [
            ObjectEntry(n, n, False, 20)
            for n in OBJECTS
            if not search or search.lower() in n.lower()
        ]

    def list_reports(self, connection: str, search: str | None = None) -> list[ReportEntry]:
        self._connection(connection)
        return [ReportEntry("00O000000000001AAA", "Pipeline", "Pipeline", "Sales", "Summary")]

    def list_fields(self, connection: str, sobject: str) -> list[FieldSpec]:
        self._connection(connection)
        if sobject not in OBJECTS:
            raise NotFound(f"There is no object '{sobject}' in '{connection}'.")
        return [FieldSpec("Id", "Record ID", "id"), FieldSpec("Email", "Email", "email")]

    # --- plans and runs
    def build_plan(self, spec: ImportSpec) -> ImportPlan:
        self.plans.append(spec)
        self._connection(spec.connection)
        datasets = []
        for choice in spec.objects:
            if choice.name in UNSUPPORTED:
                raise NotSupportedObject(
                    f"{choice.name} is not supported: {UNSUPPORTED[choice.name]}."
                )
            if choice.name not in OBJECTS:
                raise NotFound(f"There is no object '{choice.name}' in '{spec.connection}'.")
            columns = spec.conceal.get(choice.name, ())
            concealed = ("Email", "Phone") if columns is None else tuple(columns or ())
            datasets.append(
                PlannedDataset(
                    name=choice.name,
                    kind="object",
                    source=choice.name,
                    fields=("Id", "Email", "Phone"),
                    skipped_fields=(("Photo", "binary content (base64) is not imported"),),
                    concealed=concealed,
                    expected_rows=OBJECTS[choice.name],
                    cursor_field="SystemModstamp",
                    start_date_applies=True,
                    method="rest",
                    api_calls=3,
                )
            )
        return ImportPlan(
            spec=spec,
            datasets=tuple(datasets),
            api_calls_total=3 * len(datasets),
            api_remaining=self.api_remaining,
            api_max=15000,
            budget_calls=int(self.api_remaining * 0.8),
            within_budget=3 * len(datasets) <= int(self.api_remaining * 0.8),
        )

    def run_import(
        self, plan: ImportPlan, on_event: Callable[[ProgressEvent], None] | None = None
    ) -> RunResult:
        self.imports.append(plan)
        return RunResult(self._run("import", [d.name for d in plan.datasets], on_event))

    def refresh(
        self,
        datasets: list[str] | None = None,
        *,
        all: bool = False,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> RunResult:
        self.refreshes.append((datasets, all))
        return RunResult(self._run("refresh", datasets or ["Lead"], on_event))

    def _run(
        self, kind: str, names: list[str], on_event: Callable[[ProgressEvent], None] | None
    ) -> RunInfo:
        seq = 0
        for name in names:
            expected = OBJECTS.get(name, 10)
            for phase, done in (
                ("counting", 0),
                ("downloading", expected // 2),
                ("done", expected),
            ):
                seq += 1
                if on_event is not None:
                    on_event(
                        ProgressEvent(
                            "run-1", seq, name, phase, done, expected, 1, 1, 1000.0, "", NOW
                        )
                    )
        waiting = self.run_status in ("partial", "waiting_for_limit")
        error = None
        if self.run_status == "failed":
            error = ErrorInfo("connection", "The token was revoked.", "Re-authorise.", ())
        return RunInfo(
            id="run-1",
            kind=kind,
            status=self.run_status,
            started_at=NOW,
            finished_at=None if waiting else NOW,
            resume_at=NOW if waiting else None,
            datasets=tuple(
                RunDatasetInfo(n, "done", OBJECTS.get(n, 10), OBJECTS.get(n, 10), 5, 0, 0, 3, None)
                for n in names
            ),
            error=error,
        )

    def list_runs(self, dataset: str | None = None, limit: int = 50) -> list[RunInfo]:
        return [self._run("import", ["Lead"], None)]

    # --- My Data
    def list_datasets(self, folder: str | None = None) -> list[Any]:
        return []

    def preview(self, name: str, limit: int = 100) -> PreviewResult:
        if name != "Sales.Lead":
            raise NotFound(f"There is no data set '{name}' in My Data.")
        return PreviewResult(
            [("Id", "VARCHAR"), ("AnnualRevenue", "DOUBLE")],
            [("00Q000000000001AAA", 1500.5), ("00Q000000000002AAA", None)][:limit],
        )

    def query(self, sql: str, limit: int = 1000) -> PreviewResult:
        if not sql.lower().startswith("select"):
            raise UsageError("Only read-only queries are allowed in My Data.")
        return PreviewResult([("n", "BIGINT")], [(2,)])

    def export(self, name: str, fmt: str, path: Path) -> Path:
        self.exports.append((name, fmt, path))
        path.write_text("Id\n", encoding="utf-8")
        return path
