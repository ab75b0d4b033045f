"""The one in-memory fake of the application services, for page and command tests.

It implements :class:`sfimport.app.ports.WorkspacePort` and returns the engine's own frozen values
(``Connection``, ``ImportPlan``, ``RunInfo``...), so ``mypy --strict tests/fakes`` (scripts/check)
holds it to the same contract as the real services. It keeps no Salesforce logic: just enough
state for every page and command to render and every form to act. Behaviour tests run the real
engine against the emulator instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, overload

from sfimport.app.ports import (
    CatalogReport,
    Column,
    Connected,
    Connection,
    ConnectionStatus,
    DatasetInfo,
    DeletionResult,
    ErrorInfo,
    FieldSpec,
    ImportPlan,
    ImportSpec,
    ObjectEntry,
    PendingAuthorization,
    PermissionItem,
    PermissionReport,
    PlannedDataset,
    PreviewResult,
    ProgressEvent,
    QueryCancel,
    RunDatasetInfo,
    RunInfo,
    RunResult,
    ScheduleInfo,
    WorkspacePort,
)
from sfimport.errors import AuthorizationDenied, NotFound, NotSupportedObject, UsageError
from sfimport.settings import Settings
from sfimport.store.mydata import MyData
from sfimport.store.runs import DatasetStatus, RunStatus

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: The one refresh token the fake org accepts (connect with it; anything else is refused).
SECRET_TOKEN = "00Dxx0000001gPL!AQ0AQSECRETACCESSTOKEN"


@dataclass(frozen=True)
class FakeObject:
    """One object of the fake org: its catalog entry, describe size and record count."""

    label: str
    fields: int
    records: int
    custom: bool = False


#: The fake org. Like the engine's catalog, no field counts until an object is described.
OBJECTS = {
    "Account": FakeObject("Account", fields=40, records=40),
    "Contact": FakeObject("Contact", fields=35, records=90),
    "Lead": FakeObject("Lead", fields=30, records=250),
    "Invoice__c": FakeObject("Invoice", fields=12, records=7, custom=True),
}
#: Objects the engine refuses to import, with its reason.
UNSUPPORTED = {"AccountChangeEvent": "change events are not data", "LoginHistory": "on the list"}
REPORTS = (
    CatalogReport("00O000000000001AAA", "Leads by Source", "Leads_by_Source", "Sales", "SUMMARY"),
)
#: The columns concealed by default (personal data).
PERSONAL = {"Contact": ("Name", "Email", "Phone"), "Lead": ("Name", "Email")}
PERMISSIONS = (
    ("API Enabled", "PermissionsApiEnabled", "every import"),
    ("Run Reports", "PermissionsRunReports", "importing reports"),
    ("View Setup and Configuration", "PermissionsViewSetup", "listing objects"),
)
_FIRST_FIELDS = (
    FieldSpec("Id", "Record ID", "id"),
    FieldSpec("Name", "Name", "string"),
    FieldSpec("Email", "Email", "email"),
    FieldSpec("Phone", "Phone", "phone"),
)


def fields_of(sobject: str) -> tuple[FieldSpec, ...]:
    """The describe of a fake object: Id, Name, Email, Phone, then plain text fields."""
    count = OBJECTS[sobject].fields
    extra = (FieldSpec(f"Field{i}__c", f"Field {i}", "string") for i in range(4, count))
    return (*_FIRST_FIELDS, *extra)[:count]


def connection(name: str, *, login_url: str, sandbox: bool = False) -> Connection:
    """A stored connection as the engine returns it."""
    return Connection(
        id=1,
        name=name,
        owner="local",
        login_url=login_url,
        instance_url="https://acme.my.salesforce.com",
        org_id="00D000000000001AAA",
        user_id="005000000000001AAA",
        username="admin@acme.example",
        is_sandbox=sandbox,
        status=ConnectionStatus.ACTIVE,
        created_at=NOW,
        last_checked_at=None,
        api_used=120,
        api_max=15000,
    )


@dataclass
class FakeServices:
    """Every service of one data folder, in memory. Tests read and set its public state."""

    settings: Settings
    connections: dict[str, Connection] = field(default_factory=dict)
    datasets: dict[str, DatasetInfo] = field(default_factory=dict)
    runs: dict[str, RunInfo] = field(default_factory=dict)
    events: dict[str, list[ProgressEvent]] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, str] = field(default_factory=dict)
    schema_notes: list[str] = field(default_factory=list)
    #: OAuth flows begun and not completed: state -> (name, sandbox, login URL, reauthorize).
    pending: dict[str, tuple[str, bool, str, bool]] = field(default_factory=dict)
    #: Raised by every call that names a connection, when set (to test error output).
    explode: Exception | None = None
    #: Raised by every catalog call when set (to test error pages).
    catalog_error: Exception | None = None
    missing_permissions: set[str] = field(default_factory=set)
    #: How the next import or refresh ends.
    run_status: RunStatus = RunStatus.COMPLETE
    api_remaining: int = 14880
    #: The Name of the first record every preview shows.
    record_value: str = "Ada"
    # --- what was asked, in order
    completed: list[dict[str, str | None]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    plans: list[ImportSpec] = field(default_factory=list)
    imports: list[ImportPlan] = field(default_factory=list)
    refreshes: list[tuple[list[str] | None, bool]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    exports: list[tuple[str, str, Path | BinaryIO]] = field(default_factory=list)
    scheduler_ticks: int = 0
    closed: bool = False
    interrupted: bool = False

    # --- connections -----------------------------------------------------------------------
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
        login = login_url or (
            self.settings.sandbox_login_url if sandbox else self.settings.production_login_url
        )
        redirect = redirect_uri or self.settings.redirect_uri
        state = f"state{len(self.pending) + len(self.completed) + 1}"
        self.pending[state] = (name, sandbox, login, reauthorize)
        return PendingAuthorization(
            name=name,
            authorize_url=f"{login}/services/oauth2/authorize?redirect_uri={redirect}"
            f"&state={state}",
            state=state,
            code_verifier="verifier",
            login_url=login,
            redirect_uri=redirect,
            is_sandbox=sandbox,
            reauthorize=reauthorize,
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
            self.pending.pop(state, None)
            raise AuthorizationDenied(f"Salesforce said: {error_description or error}.")
        if state not in self.pending:
            raise AuthorizationDenied("Unknown OAuth state.")
        name, sandbox, login, reauthorize = self.pending.pop(state)
        if reauthorize:
            info = replace(self.connections[name], status=ConnectionStatus.ACTIVE)
        else:
            info = connection(name, login_url=login, sandbox=sandbox)
        self.connections[name] = info
        return Connected(info, self.check_permissions(name), reauthorized=reauthorize)

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
        if refresh_token != SECRET_TOKEN:
            raise AuthorizationDenied("Salesforce refused the refresh token (invalid_grant).")
        state = self.begin_authorization(
            name, sandbox=sandbox, login_url=login_url, reauthorize=reauthorize
        ).state
        return self.complete_authorization(state=state, code="from-refresh-token")

    def list_connections(self) -> list[Connection]:
        return list(self.connections.values())

    def get_connection(self, name: str) -> Connection:
        if self.explode is not None:
            raise self.explode
        try:
            return self.connections[name]
        except KeyError:
            raise NotFound(f"There is no connection named '{name}'.") from None

    def check_permissions(self, name: str) -> PermissionReport:
        self.get_connection(name)
        items = tuple(
            PermissionItem(n, f, n not in self.missing_permissions, b) for n, f, b in PERMISSIONS
        )
        return PermissionReport(items, source="UserPermissionAccess")

    def test_connection(self, name: str) -> Connection:
        info = replace(self.get_connection(name), api_used=121, last_checked_at=NOW)
        self.connections[name] = info
        return info

    def delete_connection(self, name: str) -> DeletionResult:
        self.get_connection(name)
        del self.connections[name]
        self.deleted.append(name)
        return DeletionResult(name, True, "The token was revoked at Salesforce.")

    # --- catalog ---------------------------------------------------------------------------
    def _catalog(self, connection: str) -> None:
        self.get_connection(connection)
        if self.catalog_error is not None:
            raise self.catalog_error

    def list_objects(self, connection: str, search: str | None = None) -> list[ObjectEntry]:
        self._catalog(connection)
        needle = (search or "").lower()
        return [
            ObjectEntry(name, o.label, o.custom)
            for name, o in OBJECTS.items()
            if needle in name.lower() or needle in o.label.lower()
        ]

    def list_reports(self, connection: str, search: str | None = None) -> list[CatalogReport]:
        self._catalog(connection)
        needle = (search or "").lower()
        return [r for r in REPORTS if needle in r.name.lower()]

    def record_counts(self, connection: str) -> dict[str, int]:
        self._catalog(connection)
        return {name: o.records for name, o in OBJECTS.items()}

    def list_fields(self, connection: str, sobject: str) -> list[FieldSpec]:
        self._catalog(connection)
        if sobject not in OBJECTS:
            raise NotFound(f"There is no object '{sobject}' in '{connection}'.")
        self.described.append(sobject)
        return list(fields_of(sobject))

    def default_concealed_columns(self, connection: str, dataset: str) -> list[str]:
        return list(PERSONAL.get(dataset, ()))

    def default_concealment_reasons(self, connection: str, dataset: str) -> dict[str, str]:
        return {c: "personal data" for c in PERSONAL.get(dataset, ())}

    def conceal_sample(
        self, connection: str, dataset: str, columns: list[str] | None = None, rows: int = 3
    ) -> list[dict[str, tuple[str | None, str | None]]]:
        chosen = columns or PERSONAL.get(dataset, ())
        return [{c: (f"{c} {i}", f"{c[:4]} 3f9a2c1b7d0{i}") for c in chosen} for i in range(rows)]

    # --- plans and imports -----------------------------------------------------------------
    def build_plan(self, spec: ImportSpec) -> ImportPlan:
        self.plans.append(spec)
        self._catalog(spec.connection)
        planned = []
        for choice in spec.objects:
            if choice.name in UNSUPPORTED:
                raise NotSupportedObject(
                    f"{choice.name} is not supported: {UNSUPPORTED[choice.name]}."
                )
            if choice.name not in OBJECTS:
                raise NotFound(f"There is no object '{choice.name}' in '{spec.connection}'.")
            concealed: tuple[str, ...] = ()
            if choice.name in spec.conceal:
                columns = spec.conceal[choice.name]
                concealed = PERSONAL.get(choice.name, ()) if columns is None else tuple(columns)
            planned.append(
                PlannedDataset(
                    name=choice.name,
                    kind="object",
                    source=choice.name,
                    fields=("Id", "Name", "Email", "Phone"),
                    skipped_fields=(("Photo", "binary content (base64) is not imported"),),
                    concealed=concealed,
                    expected_rows=OBJECTS[choice.name].records,
                    cursor_field="SystemModstamp",
                    start_date_applies=True,
                    method="rest",
                    api_calls=3,
                )
            )
        for report in spec.reports:
            planned.append(
                PlannedDataset(
                    name=report,
                    kind="report",
                    source=REPORTS[0].id,
                    fields=("Lead Source",),
                    skipped_fields=(),
                    concealed=(),
                    expected_rows=7,
                    cursor_field=None,
                    start_date_applies=False,
                    method="report",
                    api_calls=1,
                )
            )
        calls = sum(d.api_calls for d in planned)
        budget = int(self.api_remaining * 0.8)
        return ImportPlan(
            spec=spec,
            datasets=tuple(planned),
            api_calls_total=calls,
            api_remaining=self.api_remaining,
            api_max=15000,
            budget_calls=budget,
            within_budget=calls <= budget,
        )

    def _record_datasets(self, plan: ImportPlan) -> list[str]:
        names = []
        for d in plan.datasets:
            qualified = f"{plan.spec.folder}.{d.name}"
            names.append(qualified)
            self.datasets[qualified] = dataset(
                qualified, kind=d.kind, source=d.source, connection=plan.spec.connection
            )
            self.datasets[qualified] = replace(
                self.datasets[qualified], concealed=d.concealed, start_date=plan.spec.start_date
            )
        return names

    def start_import(self, plan: ImportPlan) -> str:
        self.imports.append(plan)
        names = self._record_datasets(plan)
        return self.record_run("import", names, connection=plan.spec.connection)

    def run_import(
        self, plan: ImportPlan, on_event: Callable[[ProgressEvent], None] | None = None
    ) -> RunResult:
        self.imports.append(plan)
        names = self._record_datasets(plan)
        run_id = self.record_run(
            "import", names, connection=plan.spec.connection, on_event=on_event
        )
        return RunResult(self.runs[run_id])

    def start_refresh(self, datasets: list[str]) -> str:
        self.refreshes.append((datasets, False))
        return self.record_run("refresh", datasets)

    def refresh(
        self,
        datasets: list[str] | None = None,
        *,
        all: bool = False,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> RunResult:
        self.refreshes.append((datasets, all))
        names = list(self.datasets) if all else (datasets or [])
        run_id = self.record_run("refresh", names or ["Sales.Lead"], on_event=on_event)
        return RunResult(self.runs[run_id])

    def wait(self, run_id: str, timeout: float | None = None) -> RunInfo:
        # Runs finish as they start here: there is nothing to wait for.
        return self.get_run(run_id)

    def record_run(
        self,
        kind: str,
        qualified: Sequence[str],
        *,
        connection: str = "Sales org",
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> str:
        """Record a run that ended as ``run_status`` says, its progress told to ``on_event``;
        like the engine's, it names its data sets within their folder."""
        run_id = f"run{len(self.runs) + 1:04d}"
        folder = qualified[0].partition(".")[0] if qualified else ""
        names = [n.partition(".")[2] or n for n in qualified]
        events: list[ProgressEvent] = []
        for name in names:
            expected = OBJECTS[name].records if name in OBJECTS else 42
            for phase, done in (
                ("counting", 0),
                ("downloading", expected // 2),
                ("done", expected),
            ):
                event = ProgressEvent(
                    run_id, len(events) + 1, name, phase, done, expected, 1, 1, 1000.0, "", NOW
                )
                events.append(event)
                if on_event is not None:
                    on_event(event)
        status = self.run_status
        waiting = status in (RunStatus.PARTIAL, RunStatus.WAITING_FOR_LIMIT)
        error = None
        if status == RunStatus.FAILED:
            error = ErrorInfo("connection", "The token was revoked.", "Re-authorise.", ())
        self.runs[run_id] = RunInfo(
            id=run_id,
            kind=kind,
            status=status,
            started_at=NOW,
            finished_at=None if waiting else NOW,
            resume_at=NOW if waiting else None,
            datasets=tuple(
                RunDatasetInfo(
                    n,
                    DatasetStatus.COMPLETE,
                    OBJECTS[n].records if n in OBJECTS else 42,
                    OBJECTS[n].records if n in OBJECTS else 42,
                    5,
                    0,
                    0,
                    3,
                    None,
                )
                for n in names
            ),
            error=error,
            connection=connection,
            folder=folder,
            trigger="manual",
        )
        self.events[run_id] = events
        return run_id

    # --- runs ------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunInfo:
        try:
            return self.runs[run_id]
        except KeyError:
            raise NotFound(f"There is no run {run_id}.") from None

    def list_runs(self, dataset: str | None = None, limit: int = 50) -> list[RunInfo]:
        # As the engine: "Folder.Name" finds that folder's runs, a bare name any folder's.
        folder, dot, name = (dataset or "").partition(".")
        if not dot:
            folder, name = "", dataset or ""
        runs = [
            r
            for r in reversed(self.runs.values())
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

    def run_log(self, run_id: str) -> str:
        self.get_run(run_id)
        return self.logs.get(run_id, "")

    def resume_waiting_runs(self, *, queue: bool = False) -> list[str]:
        self.scheduler_ticks += 1
        return []

    def start_resume(self, run_id: str) -> str:
        # The fake finishes the run at once; the engine runs it in the background.
        run = self.get_run(run_id)
        if run.status in (RunStatus.RUNNING, RunStatus.COMPLETE):
            raise UsageError(f"Run {run_id} is {run.status}; there is nothing to resume.")
        self.resumed.append(run_id)
        datasets = tuple(
            replace(d, status=DatasetStatus.COMPLETE, rows=d.rows_expected or 0)
            for d in run.datasets
        )
        self.runs[run_id] = replace(
            run, status=RunStatus.COMPLETE, error=None, resume_at=None, datasets=datasets
        )
        return run_id

    def resume_run(self, run_id: str) -> RunResult:
        return RunResult(self.get_run(self.start_resume(run_id)))

    def work_queue(self, *, until_empty: bool = False) -> list[str]:
        # Nothing is ever queued here: runs start (and end) when asked.
        return []

    def resolve_field_error(self, run_id: str, action: str) -> str:
        if action not in ("reimport", "retry", "continue_without_field"):
            raise UsageError(f"Unknown action {action!r}.")
        run = self.get_run(run_id)
        return self.record_run("refresh", [f"{run.folder}.{d.name}" for d in run.datasets])

    # --- schedules -------------------------------------------------------------------------
    def _every(self, every: str) -> str:
        if every not in ("1h", "1d"):
            raise UsageError(f"'{every}' is not a schedule; write 1h, 1d or a cron expression.")
        return every

    def set_schedule(self, dataset: str, every: str) -> ScheduleInfo:
        found = self.get_dataset(dataset)
        self.schedules[found.qualified] = self._every(every)
        self.datasets[found.qualified] = replace(found, schedule=every)
        return ScheduleInfo(found.qualified, every, NOW)

    def set_connection_schedule(self, connection: str, every: str) -> ScheduleInfo:
        self.get_connection(connection)
        self.schedules[f"connection:{connection}"] = self._every(every)
        return ScheduleInfo(f"connection:{connection}", every, NOW)

    def remove_schedule(self, dataset_or_connection: str) -> None:
        self.schedules.pop(dataset_or_connection, None)
        if dataset_or_connection in self.datasets:
            self.datasets[dataset_or_connection] = replace(
                self.datasets[dataset_or_connection], schedule=None
            )

    def list_schedules(self) -> list[ScheduleInfo]:
        return [ScheduleInfo(key, every, NOW) for key, every in self.schedules.items()]

    def run_due_schedules(self, *, queue: bool = False) -> list[str]:
        return []

    def run_due(self) -> list[RunInfo]:
        run_ids = self.run_due_schedules() + self.resume_waiting_runs()
        return [self.wait(run_id) for run_id in run_ids]

    # --- My Data ---------------------------------------------------------------------------
    def list_folders(self) -> list[str]:
        return sorted({d.folder for d in self.datasets.values()})

    def list_datasets(self, folder: str | None = None) -> list[DatasetInfo]:
        return [d for d in self.datasets.values() if folder is None or d.folder == folder]

    def get_dataset(self, name: str) -> DatasetInfo:
        for d in self.datasets.values():
            if name in (d.qualified, d.name):
                return d
        raise NotFound(f"There is no data set '{name}' in My Data.")

    def preview(self, name: str, limit: int = 100) -> PreviewResult:
        self.get_dataset(name)
        rows = [
            ("00Q000000000001AAA", self.record_value, 1500.5),
            ("00Q000000000002AAA", "Grace", None),
        ]
        return PreviewResult(PREVIEW_COLUMNS, rows[:limit])

    @overload
    def export(self, name: str, fmt: str, path: Path) -> Path: ...
    @overload
    def export(self, name: str, fmt: str, path: BinaryIO) -> BinaryIO: ...
    def export(self, name: str, fmt: str, path: Path | BinaryIO) -> Path | BinaryIO:
        self.get_dataset(name)
        self.exports.append((name, fmt, path))
        body = b"Id,Name\n00Q000000000001AAA,Ada\n"
        if isinstance(path, Path):
            path.write_bytes(body)
        else:
            path.write(body)
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
            columns = tuple(Column(f.name, str(f.type)) for f in result.table.schema)
            return PreviewResult(columns, rows, truncated=result.truncated)
        return PreviewResult((Column("n", "BIGINT"),), [(42,)])

    # --- the process -----------------------------------------------------------------------
    def interrupt(self) -> None:
        self.interrupted = True

    def close(self, timeout: float = 60.0) -> None:
        self.closed = True


PREVIEW_COLUMNS = (
    Column("Id", "VARCHAR"),
    Column("Name", "VARCHAR"),
    Column("AnnualRevenue", "DOUBLE"),
)


def dataset(
    qualified: str,
    *,
    kind: str = "object",
    source: str | None = None,
    connection: str = "Sales org",
    rows: int = 42,
) -> DatasetInfo:
    """A complete data set of My Data, imported at NOW."""
    folder, _, name = qualified.partition(".")
    return DatasetInfo(
        id=qualified,
        folder=folder,
        name=name,
        qualified=qualified,
        kind=kind,
        source=source or name,
        connection=connection,
        row_count=rows,
        concealed=(),
        last_import_at=NOW,
        status="complete",
        schedule=None,
        start_date=None,
        incomplete_reason=None,
        columns=PREVIEW_COLUMNS,
    )


def failed_field_run(services: FakeServices, qualified: str) -> str:
    """Record a refresh that failed on a removed field, with the engine's recovery actions."""
    folder, _, name = qualified.rpartition(".")
    run_id = f"run{len(services.runs) + 1:04d}"
    services.runs[run_id] = RunInfo(
        run_id,
        "refresh",
        RunStatus.FAILED,
        NOW,
        NOW,
        None,
        (RunDatasetInfo(name, DatasetStatus.FAILED, 0, 42, 0, 0, 0, 0, None),),
        ErrorInfo(
            "field_unavailable",
            f"The field Rating of data set {qualified} is no longer available in Salesforce.",
            "Either re-import the data set fresh, or restore the field and retry.",
            ("reimport", "retry", "continue_without_field"),
            field="Rating",
            dataset=name,
        ),
        folder=folder,
    )
    services.events[run_id] = []
    return run_id


def interrupted_run(services: FakeServices, qualified: str, *, connection: str) -> str:
    """Record an import a revoked connection interrupted: re-authorise, then resume."""
    folder, _, name = qualified.rpartition(".")
    run_id = f"run{len(services.runs) + 1:04d}"
    services.runs[run_id] = RunInfo(
        run_id,
        "import",
        RunStatus.FAILED,
        NOW,
        NOW,
        None,
        (RunDatasetInfo(name, DatasetStatus.INTERRUPTED, 10, 42, 0, 0, 0, 0, None),),
        ErrorInfo(
            "connection",
            "Salesforce no longer accepts this connection's login.",
            "Re-authorise the connection, then resume the run.",
            ("reauthorize", "resume"),
            dataset=name,
        ),
        connection=connection,
        folder=folder,
    )
    services.events[run_id] = []
    return run_id


# mypy holds the fake to the ports the web app and the CLI are typed on (scripts/check).
_check: Callable[[Settings], WorkspacePort] = FakeServices
