"""An in-memory stand-in for the engine's Workspace, shaped like its contract, for page tests.

It keeps no Salesforce logic: just enough state for every page to render and every form to act.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sfimport.app.ports import FailedAttempt
from sfimport.errors import AuthorizationDenied, NotFound, SfimportError, UsageError
from sfimport.extract.spec import ImportSpec
from sfimport.settings import Settings
from sfimport.store.mydata import MyData, QueryCancel

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET_TOKEN = "00Dxx0000001gPL!AQ0AQSECRETACCESSTOKEN"


@dataclass(frozen=True)
class PendingAuthorization:
    authorize_url: str
    state: str


@dataclass(frozen=True)
class ConnectionInfo:
    name: str
    owner: str = "local"
    login_url: str = "https://login.example"
    instance_url: str = "https://acme.my.example"
    org_id: str = "00D000000000001AAA"
    user_id: str = "005000000000001AAA"
    username: str = "ada@acme.example"
    is_sandbox: bool = False
    status: str = "active"
    created_at: datetime = NOW
    api_used: int | None = 120
    api_max: int | None = 15000


@dataclass(frozen=True)
class Authorized:
    """What completing the OAuth round trip returns (the engine's ``Connected``)."""

    connection: ConnectionInfo
    reauthorized: bool = False

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def login_url(self) -> str:
        return self.connection.login_url

    @property
    def is_sandbox(self) -> bool:
        return self.connection.is_sandbox


@dataclass(frozen=True)
class PermissionItem:
    name: str
    api_field: str
    present: bool
    blocks: str


@dataclass(frozen=True)
class PermissionReport:
    items: list[PermissionItem]

    @property
    def missing(self) -> list[PermissionItem]:
        return [i for i in self.items if not i.present]


@dataclass(frozen=True)
class DeleteResult:
    revoked: bool
    message: str


@dataclass(frozen=True)
class ObjectEntry:
    name: str
    label: str
    custom: bool = False
    field_count: int | None = None


@dataclass(frozen=True)
class ReportEntry:
    id: str
    name: str
    developer_name: str
    folder: str
    format: str = "TABULAR"


@dataclass(frozen=True)
class PlannedDataset:
    name: str
    kind: str
    source: str
    fields: list[str]
    skipped_fields: list[tuple[str, str]]
    concealed: list[str]
    expected_rows: int | None
    cursor_field: str | None
    start_date_applies: bool
    method: str
    api_calls: int


@dataclass(frozen=True)
class ImportPlan:
    spec: ImportSpec
    datasets: list[PlannedDataset]
    api_calls_total: int
    api_remaining: int | None
    api_max: int | None
    budget_calls: int | None
    within_budget: bool
    notes: list[str]
    api_calls_planning: int = 0

    def budget_summary(self) -> str:
        return f"the org's usage may reach 80% of its daily API maximum of {self.api_max}"


@dataclass(frozen=True)
class ErrorInfo:
    kind: str
    message: str
    remedy: str
    actions: list[str]
    field: str | None = None
    dataset: str | None = None


@dataclass(frozen=True)
class RunDatasetInfo:
    name: str
    status: str
    rows: int
    rows_expected: int | None
    added: int = 0
    updated: int = 0
    removed: int = 0
    api_calls: int = 0
    count_mismatch: int | None = None


@dataclass(frozen=True)
class RunInfo:
    id: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    resume_at: datetime | None
    datasets: list[RunDatasetInfo]
    error: ErrorInfo | None = None
    connection: str = "Sales org"
    folder: str = ""


@dataclass(frozen=True)
class ProgressEvent:
    run_id: str
    seq: int
    dataset: str
    phase: str
    rows_done: int
    rows_expected: int | None
    pages: int
    api_calls: int
    rows_per_second: float | None
    message: str
    at: datetime


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    folder: str
    name: str
    qualified: str
    kind: str
    source: str
    connection: str
    row_count: int
    concealed: list[str]
    last_import_at: datetime | None
    status: str
    schedule: str | None
    start_date: date | None
    incomplete_reason: str | None = None
    last_failure: FailedAttempt | None = None
    column_notes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PreviewResult:
    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class ScheduleInfo:
    dataset: str
    every: str
    next_run_at: datetime = NOW


@dataclass(frozen=True)
class FieldSpec:
    name: str


# Like the engine's catalog: no field counts until an object is described.
OBJECTS = [
    ObjectEntry("Account", "Account"),
    ObjectEntry("Contact", "Contact"),
    ObjectEntry("Lead", "Lead"),
    ObjectEntry("Invoice__c", "Invoice", custom=True),
]
FIELD_COUNTS = {"Account": 40, "Contact": 35, "Lead": 30, "Invoice__c": 12}
REPORTS = [ReportEntry("00O000000000001AAA", "Leads by Source", "Leads_by_Source", "Sales")]
PERSONAL = {"Contact": ["Name", "Email", "Phone"], "Lead": ["Name", "Email"]}


@dataclass
class FakeWorkspace:
    settings: Settings
    connections: dict[str, ConnectionInfo] = field(default_factory=dict)
    pending: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    datasets: dict[str, DatasetInfo] = field(default_factory=dict)
    runs: dict[str, RunInfo] = field(default_factory=dict)
    events: dict[str, list[ProgressEvent]] = field(default_factory=dict)
    schedules: dict[str, str] = field(default_factory=dict)
    started_plans: list[ImportPlan] = field(default_factory=list)
    #: Raised by every catalog call when set (to test error pages).
    catalog_error: SfimportError | None = None
    missing_permissions: set[str] = field(default_factory=set)
    record_value: str = "Ada"
    deleted: list[str] = field(default_factory=list)
    scheduler_ticks: int = 0
    #: Objects described (one API call each), in order.
    described: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)

    # --- connections ---
    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        redirect_uri: str | None = None,
        reauthorize: bool = False,
    ) -> PendingAuthorization:
        # As the engine: a name in use is refused unless the connection is re-authorised,
        # which keeps its own login host and sandbox flag.
        if reauthorize:
            existing = self.get_connection(name)
            sandbox, login_url = existing.is_sandbox, existing.login_url
        elif name in self.connections:
            raise UsageError(f"A connection named {name!r} already exists.")
        if "/" in name:
            raise UsageError("A connector name cannot contain '/'.")
        state = f"state{len(self.pending) + 1}"
        self.pending[state] = (name, sandbox, reauthorize)
        host = login_url or ("https://test.example" if sandbox else "https://login.example")
        return PendingAuthorization(f"{host}/services/oauth2/authorize?state={state}", state)

    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> Authorized:
        if state not in self.pending:
            raise AuthorizationDenied("Unknown OAuth state.")
        name, sandbox, reauthorize = self.pending.pop(state)
        if error:
            raise AuthorizationDenied(f"Salesforce said: {error_description or error}.")
        if reauthorize:
            info = replace(self.connections[name], status="active")
        else:
            login = (
                self.settings.sandbox_login_url if sandbox else self.settings.production_login_url
            )
            info = ConnectionInfo(name=name, is_sandbox=sandbox, login_url=login)
        self.connections[name] = info
        return Authorized(info, reauthorized=reauthorize)

    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        reauthorize: bool = False,
    ) -> Authorized:
        if refresh_token != SECRET_TOKEN:
            raise AuthorizationDenied("Salesforce refused the refresh token (invalid_grant).")
        state = self.begin_authorization(
            name, sandbox=sandbox, login_url=login_url, reauthorize=reauthorize
        ).state
        return self.complete_authorization(state=state, code="from-refresh-token")

    def list_connections(self) -> list[ConnectionInfo]:
        return list(self.connections.values())

    def get_connection(self, name: str) -> ConnectionInfo:
        try:
            return self.connections[name]
        except KeyError:
            raise NotFound(f"No connection named '{name}'.") from None

    def check_permissions(self, name: str) -> PermissionReport:
        self.get_connection(name)
        perms = [
            ("API Enabled", "PermissionsApiEnabled", "every import"),
            ("Run Reports", "PermissionsRunReports", "importing reports"),
            ("View Setup and Configuration", "PermissionsViewSetup", "listing objects"),
        ]
        return PermissionReport(
            [PermissionItem(n, f, n not in self.missing_permissions, b) for n, f, b in perms]
        )

    def test_connection(self, name: str) -> ConnectionInfo:
        info = replace(self.get_connection(name), api_used=121)
        self.connections[name] = info
        return info

    def delete_connection(self, name: str) -> DeleteResult:
        self.get_connection(name)
        del self.connections[name]
        self.deleted.append(name)
        return DeleteResult(True, f"Connection “{name}” deleted; access revoked at Salesforce.")

    # --- catalog ---
    def _catalog(self, connection: str) -> None:
        self.get_connection(connection)
        if self.catalog_error is not None:
            raise self.catalog_error

    def list_objects(self, connection: str, search: str | None = None) -> list[ObjectEntry]:
        self._catalog(connection)
        needle = (search or "").lower()
        return [o for o in OBJECTS if needle in o.name.lower() or needle in o.label.lower()]

    def list_reports(self, connection: str, search: str | None = None) -> list[ReportEntry]:
        self._catalog(connection)
        needle = (search or "").lower()
        return [r for r in REPORTS if needle in r.name.lower()]

    def record_counts(self, connection: str) -> dict[str, int]:
        self._catalog(connection)
        return {"Lead": 1200, "Contact": 450}

    def list_fields(self, connection: str, sobject: str) -> list[FieldSpec]:
        self._catalog(connection)
        if sobject not in FIELD_COUNTS:
            raise NotFound(f"No object named {sobject}.")
        self.described.append(sobject)
        return [FieldSpec(f"Field{i}") for i in range(FIELD_COUNTS[sobject])]

    def default_concealed_columns(self, connection: str, dataset: str) -> list[str]:
        return PERSONAL.get(dataset, [])

    def default_concealment_reasons(self, connection: str, dataset: str) -> dict[str, str]:
        return {c: "personal data" for c in PERSONAL.get(dataset, [])}

    def conceal_sample(
        self, connection: str, dataset: str, columns: list[str] | None = None, rows: int = 3
    ) -> list[dict[str, str]]:
        cols = columns or PERSONAL.get(dataset, [])
        return [{c: f"{c[:4]} 3f9a2c1b7d0{i}" for c in cols} for i in range(rows)]

    # --- plans and runs ---
    def build_plan(self, spec: ImportSpec) -> ImportPlan:
        self._catalog(spec.connection)
        names = {o.name for o in OBJECTS}
        planned = []
        for choice in spec.objects:
            if choice.name not in names:
                raise NotFound(f"No object named {choice.name}.")
            concealed = PERSONAL.get(choice.name, []) if choice.name in spec.conceal else []
            planned.append(
                PlannedDataset(
                    choice.name,
                    "object",
                    choice.name,
                    ["Id", "Name", "Email"],
                    [],
                    concealed,
                    42,
                    "SystemModstamp",
                    True,
                    "bulk",
                    4,
                )
            )
        for report in spec.reports:
            planned.append(
                PlannedDataset(
                    report,
                    "report",
                    REPORTS[0].id,
                    ["Lead Source"],
                    [],
                    [],
                    7,
                    None,
                    False,
                    "report",
                    1,
                )
            )
        return ImportPlan(spec, planned, 5 * len(planned), 14880, 15000, 11904, True, [])

    def _new_run(self, kind: str, names: list[str], rows: int = 42) -> str:
        """A finished run; like the engine's, it names its data sets within its folder."""
        run_id = f"run{len(self.runs) + 1:04d}"
        folder = names[0].partition(".")[0] if names else ""
        names = [n.partition(".")[2] or n for n in names]
        self.runs[run_id] = RunInfo(
            run_id,
            kind,
            "complete",
            NOW,
            NOW,
            None,
            [RunDatasetInfo(n, "complete", rows, rows) for n in names],
            folder=folder,
        )
        self.events[run_id] = [
            ProgressEvent(run_id, i + 1, n, "done", rows, rows, 1, 2, 1000.0, "", NOW)
            for i, n in enumerate(names)
        ]
        return run_id

    def start_import(self, plan: ImportPlan) -> str:
        self.started_plans.append(plan)
        names = []
        for d in plan.datasets:
            qualified = f"{plan.spec.folder}.{d.name}"
            names.append(qualified)
            self.datasets[qualified] = DatasetInfo(
                qualified,
                plan.spec.folder,
                d.name,
                qualified,
                d.kind,
                d.source,
                plan.spec.connection,
                42,
                d.concealed,
                NOW,
                "complete",
                None,
                plan.spec.start_date,
            )
        return self._new_run("import", names)

    def start_refresh(self, datasets: list[str]) -> str:
        return self._new_run("refresh", datasets)

    def get_run(self, run_id: str) -> RunInfo:
        try:
            return self.runs[run_id]
        except KeyError:
            raise NotFound(f"No run {run_id}.") from None

    def list_runs(self, dataset: str | None = None, limit: int = 50) -> list[RunInfo]:
        # As the engine: "Folder.Name" finds that folder's runs, a bare name any folder's.
        folder, dot, name = (dataset or "").partition(".")
        if not dot:
            folder, name = "", dataset or ""
        runs = [
            r
            for r in self.runs.values()
            if dataset is None
            or (
                any(d.name.lower() == name.lower() for d in r.datasets)
                and (not dot or r.folder.lower() == folder.lower())
            )
        ]
        return runs[:limit]

    def run_events(self, run_id: str, after: int = 0) -> list[ProgressEvent]:
        self.get_run(run_id)
        return self.events.get(run_id, [])[after:]

    def resume_waiting_runs(self) -> list[str]:
        self.scheduler_ticks += 1
        return []

    def set_schedule(self, dataset: str, every: str) -> ScheduleInfo:
        if every not in ("1h", "1d"):
            raise UsageError(f"'{every}' is not a schedule; write 1h, 1d or a cron expression.")
        self.schedules[dataset] = every
        self.datasets[dataset] = replace(self.datasets[dataset], schedule=every)
        return ScheduleInfo(dataset, every)

    def set_connection_schedule(self, connection: str, every: str) -> ScheduleInfo:
        self.get_connection(connection)
        if every not in ("1h", "1d"):
            raise UsageError(f"'{every}' is not a schedule; write 1h, 1d or a cron expression.")
        self.schedules[f"connection:{connection}"] = every
        return ScheduleInfo(f"connection:{connection}", every)

    def remove_schedule(self, dataset_or_connection: str) -> None:
        self.schedules.pop(dataset_or_connection, None)
        if dataset_or_connection in self.datasets:
            self.datasets[dataset_or_connection] = replace(
                self.datasets[dataset_or_connection], schedule=None
            )

    def list_schedules(self) -> list[ScheduleInfo]:
        return [ScheduleInfo(key, every) for key, every in self.schedules.items()]

    def start_resume(self, run_id: str) -> str:
        # The stand-in finishes the run at once; the engine runs it in the background.
        run = self.get_run(run_id)
        if run.status in ("running", "complete"):
            raise UsageError(f"Run {run_id} is {run.status}; there is nothing to resume.")
        self.resumed.append(run_id)
        datasets = [replace(d, status="complete", rows=d.rows_expected or 0) for d in run.datasets]
        self.runs[run_id] = replace(
            run, status="complete", error=None, resume_at=None, datasets=datasets
        )
        return run_id

    def run_due_schedules(self) -> list[str]:
        return []

    def work_queue(self, *, until_empty: bool = False) -> list[str]:
        return []

    def resolve_field_error(self, run_id: str, action: str) -> str:
        if action not in ("reimport", "retry", "continue_without_field"):
            raise UsageError(f"Unknown action {action!r}.")
        run = self.get_run(run_id)
        return self._new_run("refresh", [f"{run.folder}.{d.name}" for d in run.datasets])

    # --- My Data ---
    def list_folders(self) -> list[str]:
        return sorted({d.folder for d in self.datasets.values()})

    def list_datasets(self, folder: str | None = None) -> list[DatasetInfo]:
        return [d for d in self.datasets.values() if folder is None or d.folder == folder]

    def get_dataset(self, name: str) -> DatasetInfo:
        for d in self.datasets.values():
            if name in (d.qualified, d.name):
                return d
        raise NotFound(f"No data set named {name}.")

    def preview(self, name: str, limit: int = 100) -> PreviewResult:
        self.get_dataset(name)
        return PreviewResult(
            [("Id", "VARCHAR"), ("Name", "VARCHAR")], [("00Q000000000001AAA", self.record_value)]
        )

    def export(self, name: str, fmt: str, path: Path) -> Path:
        path.write_text("Id,Name\n00Q000000000001AAA,Ada\n")
        return path

    def query(
        self, sql: str, limit: int = 1000, *, cancel: QueryCancel | None = None
    ) -> PreviewResult:
        if not sql.strip().lower().startswith("select"):
            raise UsageError("Only read-only queries (SELECT) are allowed.")
        if "range(" in sql:
            # A real DuckDB query, for the deadline and cancellation tests.
            mydata = MyData(self.settings.home / "mydata.duckdb")
            result = mydata.query(
                sql, limit=limit, timeout=self.settings.query_timeout or None, cancel=cancel
            )
            rows = [tuple(r.values()) for r in result.table.to_pylist()]
            return PreviewResult([(f.name, str(f.type)) for f in result.table.schema], rows)
        return PreviewResult([("n", "BIGINT")], [(42,)])


def failed_field_run(workspace: FakeWorkspace, dataset: str) -> str:
    """Record a refresh that failed on a removed field, with the engine's recovery actions."""
    folder, _, name = dataset.rpartition(".")
    run_id = f"run{len(workspace.runs) + 1:04d}"
    workspace.runs[run_id] = RunInfo(
        run_id,
        "refresh",
        "failed",
        NOW,
        NOW,
        None,
        [RunDatasetInfo(name, "failed", 0, 42)],
        ErrorInfo(
            "field_unavailable",
            f"The field Rating of data set {dataset} is no longer available in Salesforce.",
            "Either re-import the data set fresh, or restore the field and retry.",
            ["reimport", "retry", "continue_without_field"],
            field="Rating",
            dataset=name,
        ),
        folder=folder,
    )
    workspace.events[run_id] = []
    return run_id


def interrupted_run(workspace: FakeWorkspace, dataset: str, *, connection: str) -> str:
    """Record an import a revoked connection interrupted: re-authorise, then resume."""
    folder, _, name = dataset.rpartition(".")
    run_id = f"run{len(workspace.runs) + 1:04d}"
    workspace.runs[run_id] = RunInfo(
        run_id,
        "import",
        "failed",
        NOW,
        NOW,
        None,
        [RunDatasetInfo(name, "interrupted", 10, 42)],
        ErrorInfo(
            "connection",
            "Salesforce no longer accepts this connection's login.",
            "Re-authorise the connection, then resume the run.",
            ["reauthorize", "resume"],
            dataset=name,
        ),
        connection=connection,
        folder=folder,
    )
    workspace.events[run_id] = []
    return run_id
