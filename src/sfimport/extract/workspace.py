"""The engine's front door: one data folder's connections, catalog, plans, runs and My Data,
as the web app and the CLI call them (see the engine contract). Thread-safe; cheap to build."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, cast

import httpx2
import pyarrow as pa

from sfimport.errors import (
    ApiBudgetReached,
    BudgetExceeded,
    DailyLimitExceeded,
    NotFound,
    ResourceNotFound,
    RunStopped,
    SfimportError,
    UsageError,
)
from sfimport.extract.budget import ApiGate
from sfimport.extract.catalog import (
    CatalogReport,
    is_supported_object,
    load_catalog,
    unsupported_object_error,
)
from sfimport.extract.conceal import (
    Concealer,
    default_concealed_columns,
    sample_rows,
)
from sfimport.extract.connections import (
    Connected,
    ConnectionService,
    DeletionResult,
    PendingAuthorization,
)
from sfimport.extract.cursor import count_soql, start_of
from sfimport.extract.events import EventLog, Listener, ProgressEvent
from sfimport.extract.permissions import PermissionReport
from sfimport.extract.plan import (
    ImportPlan,
    PlannedDataset,
    assemble_plan,
    plan_object,
    plan_report,
)
from sfimport.extract.refresh import RefreshChoice, plan_object_refresh
from sfimport.extract.reports import (
    default_concealed_report_columns,
    grand_total,
    report_columns,
    report_schema,
)
from sfimport.extract.resume import Checkpoint, planned_from_json
from sfimport.extract.runner import LIMIT_RETRY, Runner
from sfimport.extract.runs import RunInfo, RunLedger, ScheduleBook, ScheduleInfo
from sfimport.extract.schedule import connection_key, connection_of, next_run
from sfimport.extract.schema import FieldSpec, field_sf_type, select_fields
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.salesforce.client import DEFAULT_TIMEOUT, ApiUsage, SalesforceClient
from sfimport.salesforce.redaction import redacting_logger
from sfimport.salesforce.wire import ReportDescribe, SObjectDescribe
from sfimport.settings import Settings
from sfimport.store.metadata import Connection, ConnectionStatus
from sfimport.store.mydata import Dataset, MyData, new_run_id
from sfimport.store.names import suggest_name, validate_name

ClientFactory = Callable[[str], SalesforceClient]
logger = redacting_logger(__name__)

#: How long close() waits for background runs to stop at their next page.
CLOSE_TIMEOUT_SECONDS = 60.0

_REPORT_ID = re.compile(r"^00O[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")


def is_unsupported_object(name: str) -> bool:
    return not is_supported_object(name)


@dataclass(frozen=True)
class ObjectEntry:
    name: str
    label: str
    custom: bool
    #: Unknown until the object is described.
    field_count: int | None = None


@dataclass(frozen=True)
class RunResult:
    """What a blocking run returns: the finished run and where its data sets landed."""

    run: RunInfo

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def status(self) -> str:
        return self.run.status


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
    concealed: tuple[str, ...]
    last_import_at: datetime
    status: str
    schedule: str | None
    start_date: date | None
    incomplete_reason: str | None
    columns: tuple[tuple[str, str], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    cursor_field: str | None = None


@dataclass(frozen=True)
class PreviewResult:
    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


class Workspace:
    """One data folder: metadata DB, My Data, secrets, connections, runs."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx2.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._clock = clock or (lambda: datetime.now(UTC))
        self._injected_sleep = sleep
        #: Set by close(): runs stop at their next page, pauses end at once.
        self._closing = threading.Event()
        self._data_dir = settings.data_dir()
        self._mydata = MyData.for_data_dir(self._data_dir)
        self._ledger = RunLedger.at(settings.metadata_url, self._clock)
        self._schedules = ScheduleBook(self._ledger.engine)
        self._client_factory = client_factory
        # Every Salesforce call passes the gate that keeps running imports within their budget.
        self._gate = ApiGate(transport if transport is not None else httpx2.HTTPTransport())
        self._http = httpx2.Client(transport=self._gate, timeout=DEFAULT_TIMEOUT)
        # The clients' retry pauses use the injected sleep; with an injected clock, their
        # deadlines and the token-flow expiry follow it too (in seconds).
        try:
            self._connections = ConnectionService.open(
                settings,
                http=self._http,
                sleep=self._pause,
                clock=time.monotonic if clock is None else lambda: self._clock().timestamp(),
            )
        except BaseException:
            # A workspace that could not be built closes what it opened (e.g. a bad key).
            self._http.close()
            raise
        self._clients: dict[str, SalesforceClient] = {}
        self._lock = threading.Lock()
        self._logs: dict[str, EventLog] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._concealer: Concealer | None = None
        # Runs a dead process left behind keep their staged pages: they resume from them.
        self._ledger.mark_abandoned()

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Stop the background runs started here after their current page (each is recorded
        as interrupted and resumes where it stopped: the next process picks it up), wait for
        them, then close the HTTP clients this workspace opened. Nothing new starts after.

        A run still busy after ``timeout`` seconds (a request hanging on the network) keeps
        the HTTP clients open rather than have them closed under it."""
        self._closing.set()
        with self._lock:
            threads = list(self._threads.values())
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [t.name for t in threads if t.is_alive()]
        if busy:
            logger.warning(
                "Runs still busy after %g s; their HTTP clients stay open: %s",
                timeout,
                ", ".join(busy),
            )
            return
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        self._connections.close()
        self._http.close()

    def _pause(self, seconds: float) -> None:
        """The sleep of retries and Bulk polling: cut short by close() with RunStopped, so a
        closing workspace never waits out a back-off."""
        if self._closing.is_set():
            raise _stopping()
        if self._injected_sleep is not None:
            self._injected_sleep(seconds)
        else:
            self._closing.wait(seconds)
        if self._closing.is_set():
            raise _stopping()

    def _track(self, run_id: str, thread: threading.Thread) -> None:
        """Start a background run's thread, known to close() and wait(). (One registered just
        as close() began stops itself before its first call.)"""
        with self._lock:
            # Finished runs are forgotten, so a long-running web app does not collect them.
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            self._threads[run_id] = thread
            thread.start()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- connections --------------------------------------------------------------------------

    def client(self, connection: str) -> SalesforceClient:
        """The Salesforce client of a connection (one per connection, shared by threads)."""
        with self._lock:
            client = self._clients.get(connection)
            if client is None:
                client = self._new_client(connection)
                self._clients[connection] = client
            return client

    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        redirect_uri: str | None = None,
        reauthorize: bool = False,
    ) -> PendingAuthorization:
        """Start the OAuth round trip for a new connection, or with ``reauthorize`` for a new
        login to an existing one (its login URL and sandbox flag are kept)."""
        return self._connections.begin_authorization(
            name,
            sandbox=sandbox,
            login_url=login_url,
            redirect_uri=redirect_uri,
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
        """The new connection (``.connection``) and its permission check (``.permissions``);
        after a re-authorisation (``.reauthorized``) the same connection with new tokens, its
        data sets and schedules kept. A login to another org is refused (UsageError)."""
        connected = self._connections.complete_authorization(
            state=state, code=code, error=error, error_description=error_description
        )
        if connected.reauthorized:
            self._forget_client(connected.name)
        return connected

    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        reauthorize: bool = False,
    ) -> Connected:
        connected = self._connections.connect_with_refresh_token(
            name, refresh_token, sandbox=sandbox, login_url=login_url, reauthorize=reauthorize
        )
        if connected.reauthorized:
            self._forget_client(connected.name)
        return connected

    def list_connections(self) -> list[Connection]:
        return self._connections.list_connections()

    def get_connection(self, name: str) -> Connection:
        return self._connections.get_connection(name)

    def check_permissions(self, name: str) -> PermissionReport:
        return self._connections.check_permissions(name)

    def test_connection(self, name: str) -> Connection:
        """A real data call; updates the connection's status and API usage, raises on failure."""
        check = self._connections.test_connection(name)
        if not check.ok and check.error is not None:
            raise check.error
        return self._connections.get_connection(name)

    def delete_connection(self, name: str) -> DeletionResult:
        self._forget_client(name)
        return self._connections.delete_connection(name)

    def _forget_client(self, connection: str) -> None:
        """Drop the cached client of a connection (its tokens changed or it is going away); the
        next call builds one from the stored tokens."""
        with self._lock:
            client = self._clients.pop(connection, None)
        if client is not None:
            client.close()

    def _new_client(self, connection: str) -> SalesforceClient:
        if self._client_factory is not None:
            return self._client_factory(connection)
        return self._connections.client_for(connection)

    # --- catalog --------------------------------------------------------------------------------

    def list_objects(self, connection: str, search: str | None = None) -> list[ObjectEntry]:
        catalog = load_catalog(self.client(connection), include_reports=False)
        if search:
            catalog = catalog.search(search)
        return [ObjectEntry(o.name, o.label, o.custom) for o in catalog.objects]

    def list_reports(self, connection: str, search: str | None = None) -> list[CatalogReport]:
        """Reports this connection can run (id, name, developer_name, folder, format)."""
        catalog = load_catalog(self.client(connection))
        if catalog.reports_unavailable and not catalog.reports:
            logger.info("Reports unavailable for %s: %s", connection, catalog.reports_unavailable)
        if search:
            catalog = catalog.search(search)
        return list(catalog.reports)

    def list_fields(self, connection: str, sobject: str) -> list[FieldSpec]:
        self._check_supported(sobject)
        described = self._describe(self.client(connection), sobject)
        return [FieldSpec.from_describe(cast(dict[str, Any], f)) for f in described["fields"]]

    def default_concealed_columns(self, connection: str, dataset: str) -> list[str]:
        return list(self._concealable(connection, dataset)[1])

    def conceal_sample(
        self,
        connection: str,
        dataset: str,
        columns: list[str] | None = None,
        rows: int = 3,
    ) -> list[dict[str, tuple[str | None, str | None]]]:
        """How concealed values look, from made-up inputs (never the org's data): per row,
        column -> (a value like, how it is stored). ``dataset`` is an object or a report;
        ``columns`` default to the data set's default concealed columns; unknown columns are
        left out."""
        available, defaults = self._concealable(connection, dataset)
        chosen = set(defaults if columns is None else columns)
        picked = [column for column in available if column[0] in chosen]
        return [dict(row) for row in sample_rows(picked, rows)]

    def _concealable(
        self, connection: str, dataset: str
    ) -> tuple[list[tuple[str, str, pa.DataType]], tuple[str, ...]]:
        """A data set's columns as (name, Salesforce type, Arrow type), and those concealed
        by default. A report's columns are its labels, typed from its describe."""
        report = self._find_report(connection, dataset, required=False)
        if report is not None:
            try:
                describe = self.client(connection).reports.describe(report[0])
            except ResourceNotFound as error:
                raise _no_report(dataset) from error
            described = report_columns(describe)
            schema = report_schema(described)
            typed = [(f.name, field_sf_type(f), f.type) for f in schema]
            return typed, default_concealed_report_columns(described)
        selection = select_fields(self.list_fields(connection, dataset))
        typed = [(f.name, f.sf_type, f.arrow_type) for f in selection.fields]
        return typed, default_concealed_columns(selection.fields, dataset)

    # --- plans ----------------------------------------------------------------------------------

    def build_plan(self, spec: ImportSpec) -> ImportPlan:
        """Validate the spec, describe and COUNT() every data set, estimate the API calls.

        Raises NotFound for an object or report Salesforce does not have (or this user cannot
        read), NotSupportedObject, and DailyLimitExceeded when the org's allowance is already
        used up (nothing is started then)."""
        with self._before_any_run():
            return self._build_plan(spec)

    def _build_plan(self, spec: ImportSpec) -> ImportPlan:
        validate_name(spec.folder, "folder")
        client = self.client(spec.connection)
        start = start_of(spec.start_date) if spec.start_date else None
        planned: list[PlannedDataset] = []
        for choice in spec.objects:
            planned.append(self._plan_object(client, spec, choice, start))
        for ref in spec.reports:
            planned.append(self._plan_report(client, spec, ref))
        names = [p.name.lower() for p in planned]
        if len(set(names)) != len(names):
            raise UsageError("Two data sets of this import would have the same name.")
        usage = client.usage or self._limits_usage(client)
        return assemble_plan(
            spec,
            planned,
            usage,
            default_budget_percent=self.settings.api_budget_percent,
            created_at=self._clock(),
            instance_url=client.instance_url,
        )

    def _plan_object(
        self,
        client: SalesforceClient,
        spec: ImportSpec,
        choice: ObjectChoice,
        start: datetime | None,
    ) -> PlannedDataset:
        self._check_supported(choice.name)
        described = self._describe(client, choice.name)
        name = described["name"]
        fields = [FieldSpec.from_describe(cast(dict[str, Any], f)) for f in described["fields"]]
        selection = select_fields(fields, choice.fields)
        cursor = selection.cursor_field
        expected = client.rest.count(count_soql(name, cursor, start))
        concealed = self._concealed_for(
            spec, (choice.name, name), lambda: default_concealed_columns(selection.fields, name)
        )
        known = set(selection.names)
        for column in concealed:
            if column not in known:
                raise UsageError(f"Cannot conceal {column}: {name} has no such imported field.")
        return plan_object(
            name,
            selection,
            expected_rows=expected,
            has_start_date=start is not None,
            concealed=concealed,
        )

    def _plan_report(self, client: SalesforceClient, spec: ImportSpec, ref: str) -> PlannedDataset:
        found = self._find_report(spec.connection, ref, required=True)
        assert found is not None
        report_id, report_name = found
        try:
            describe: ReportDescribe = client.reports.describe(report_id)
        except ResourceNotFound as error:
            raise _no_report(ref) from error
        columns = report_columns(describe)
        # A summary-only run (no details) is cheap and gives the report's own row count.
        summary = client.reports.run(report_id, include_details=False)
        expected = grand_total(summary)
        concealed = self._concealed_for(
            spec, (ref, report_id, report_name), lambda: default_concealed_report_columns(columns)
        )
        labels = {c.label for c in columns}
        for column in concealed:
            if column not in labels:
                raise UsageError(f"Cannot conceal {column}: the report has no such column.")
        name = suggest_name(report_name or describe["reportMetadata"].get("name", report_id))
        return plan_report(
            report_id, name, list(columns), expected_rows=expected, concealed=concealed
        )

    @staticmethod
    def _concealed_for(
        spec: ImportSpec, keys: tuple[str, ...], defaults: Callable[[], tuple[str, ...]]
    ) -> tuple[str, ...]:
        for key in keys:
            if key in spec.conceal:
                columns = spec.conceal[key]
                return defaults() if columns is None else tuple(columns)
        return ()

    def _find_report(self, connection: str, ref: str, *, required: bool) -> tuple[str, str] | None:
        client = self.client(connection)
        for record in client.reports.list_reports():
            if ref in (record["Id"], record["Id"][:15], record["Name"], record["DeveloperName"]):
                return record["Id"], record["Name"]
        if _REPORT_ID.match(ref):
            try:
                describe = client.reports.describe(ref)
            except ResourceNotFound as error:
                if not required:
                    return None
                raise _no_report(ref) from error
            return ref, describe["reportMetadata"].get("name", ref)
        if required:
            raise _no_report(ref)
        return None

    @staticmethod
    def _check_supported(sobject: str) -> None:
        unsupported = unsupported_object_error(sobject)
        if unsupported is not None:
            raise unsupported

    @staticmethod
    def _describe(client: SalesforceClient, sobject: str) -> SObjectDescribe:
        try:
            return client.rest.describe(sobject)
        except ResourceNotFound as error:
            # Salesforce's own words ("The requested resource does not exist") name nothing.
            raise NotFound(
                f"Salesforce has no object named {sobject!r} that this user can read.",
                remedy="Check the object's API name (custom objects end in __c) in the "
                "catalog, or the user's object permissions in Salesforce.",
            ) from error

    @contextmanager
    def _before_any_run(self) -> Iterator[None]:
        """Planning calls that meet the org's exhausted daily allowance start nothing: say so,
        and when to try again, rather than promising a run that resumes by itself."""
        try:
            yield
        except ApiBudgetReached:
            raise
        except DailyLimitExceeded as error:
            retry_at = (self._clock() + LIMIT_RETRY).astimezone(UTC)
            raise DailyLimitExceeded(
                "The Salesforce org has used up its daily API allowance, so nothing was started.",
                status=error.status,
                error_code=error.error_code,
                remedy="Salesforce counts API calls over a rolling 24 hours, so calls free up "
                "as those made a day earlier age out: try again after "
                f"{retry_at:%Y-%m-%d %H:%M} UTC, or ask Salesforce for a higher limit.",
            ) from error

    def _limits_usage(self, client: SalesforceClient) -> ApiUsage | None:
        try:
            limits = client.rest.limits()
        except SfimportError:
            return None  # /limits needs View Setup and Configuration; it is optional
        daily = limits.get("DailyApiRequests")
        if daily is None:
            return None
        return ApiUsage(used=daily["Max"] - daily["Remaining"], max=daily["Max"])

    # --- runs -----------------------------------------------------------------------------------

    def _runner(self) -> Runner:
        if self._concealer is None:
            self._concealer = Concealer.for_data_folder(self._data_dir)
        return Runner(
            mydata=self._mydata,
            ledger=self._ledger,
            concealer=self._concealer,
            client_for=self.client,
            concurrency=self.settings.concurrency,
            clock=self._clock,
            sleep=self._pause,
            on_connection_failed=self._needs_reauth,
            budget=self._budget_for,
            should_stop=self._closing.is_set,
        )

    def _needs_reauth(self, connection: str) -> None:
        try:
            self._connections.store.set_status(connection, ConnectionStatus.NEEDS_REAUTH)
        except SfimportError:
            logger.info("Connection %s could not be marked for re-authorisation", connection)

    @contextmanager
    def _budget_for(self, plan: ImportPlan) -> Iterator[None]:
        if plan.instance_url is None:
            yield
            return
        usage = None
        if plan.api_max is not None and plan.api_remaining is not None:
            usage = ApiUsage(used=plan.api_max - plan.api_remaining, max=plan.api_max)
        with self._gate.budget(plan.instance_url, plan.budget_percent, usage):
            yield

    @staticmethod
    def _check_budget(plan: ImportPlan) -> None:
        """Refuse a plan whose API calls would cross its budget; nothing is started."""
        if not plan.within_budget:
            raise BudgetExceeded(
                f"This run needs about {plan.api_calls_total:,} API calls, more than the "
                f"{plan.budget_calls or 0:,} its budget ({plan.budget_percent:g}% of the daily "
                f"{plan.api_max or 0:,}) leaves."
            )

    def _prepare(
        self, plan: ImportPlan, kind: str, on_event: Listener | None
    ) -> tuple[Runner, str, EventLog, datetime]:
        runner = self._runner()
        run_id = new_run_id()
        log = EventLog(run_id, self._clock, [on_event] if on_event else [])
        with self._lock:
            self._logs[run_id] = log
        started = runner.register(plan, run_id, kind=kind)
        return runner, run_id, log, started

    def run_import(
        self, plan: ImportPlan, on_event: Callable[[ProgressEvent], None] | None = None
    ) -> RunResult:
        """Run an import to its end in this thread; data set failures are on the result."""
        self._check_budget(plan)
        runner, run_id, log, started = self._prepare(plan, "import", on_event)
        return RunResult(runner.execute(plan, run_id, log, started))

    def start_import(self, plan: ImportPlan) -> str:
        """Start an import in a background thread; returns its run id at once."""
        self._check_budget(plan)
        return self._start(plan, "import")

    def _start(self, plan: ImportPlan, kind: str) -> str:
        if self._closing.is_set():
            raise UsageError("sfimport is shutting down; no run starts now.")
        runner, run_id, log, started = self._prepare(plan, kind, None)
        thread = threading.Thread(
            target=runner.execute, args=(plan, run_id, log, started), name=f"run-{run_id}"
        )
        self._track(run_id, thread)
        return run_id

    def wait(self, run_id: str, timeout: float | None = None) -> RunInfo:
        """Block until a run started here finishes (tests and the CLI)."""
        with self._lock:
            thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)
        return self.get_run(run_id)

    def refresh(
        self,
        datasets: list[str] | None = None,
        *,
        all: bool = False,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> RunResult:
        """Bring data sets up to date: changes since the last import for objects with a cursor,
        whole for reports and cursorless objects. One run per connection and folder; returns
        the last one. BudgetExceeded (nothing started) when a run would cross its budget."""
        plans = self._refresh_plans(datasets, all=all)
        for plan in plans:
            self._check_budget(plan)
        result: RunResult | None = None
        for plan in plans:
            runner, run_id, log, started = self._prepare(plan, "refresh", on_event)
            result = RunResult(runner.execute(plan, run_id, log, started))
        assert result is not None
        return result

    def start_refresh(self, datasets: list[str]) -> str:
        """Start refreshes in the background; returns the first run's id."""
        plans = self._refresh_plans(datasets, all=False)
        for plan in plans:
            self._check_budget(plan)
        run_ids = [self._start(plan, "refresh") for plan in plans]
        return run_ids[0]

    def _refresh_plans(
        self,
        datasets: list[str] | None,
        *,
        all: bool = False,
        without: dict[str, frozenset[str]] | None = None,
        whole: bool = False,
    ) -> list[ImportPlan]:
        with self._before_any_run():
            return self._plan_refreshes(datasets, all=all, without=without, whole=whole)

    def _plan_refreshes(
        self,
        datasets: list[str] | None,
        *,
        all: bool,
        without: dict[str, frozenset[str]] | None,
        whole: bool,
    ) -> list[ImportPlan]:
        if all:
            chosen = self._mydata.list_datasets()
        elif datasets:
            chosen = [self._dataset(name) for name in datasets]
        else:
            raise UsageError("Name the data sets to refresh, or refresh all of them.")
        groups: dict[tuple[str, str], list[Dataset]] = {}
        for dataset in chosen:
            groups.setdefault((dataset.connection, dataset.folder), []).append(dataset)
        plans = []
        for (connection, folder), members in groups.items():
            client = self.client(connection)
            planned: list[PlannedDataset] = []
            start_dates = {d.start_date for d in members if d.start_date is not None}
            budget_percent: float | None = None
            every_field: dict[str, bool] = {}
            default_concealment: dict[str, bool] = {}
            for dataset in members:
                last = self._last_spec(dataset)
                if last is not None and last.budget_percent is not None:
                    budget_percent = last.budget_percent
                if dataset.kind == "report":
                    report = self._plan_report(client, self._report_spec(dataset), dataset.source)
                    planned.append(replace(report, name=dataset.name))
                    continue
                choice = self._refresh_choice(dataset, last)
                every_field[dataset.source] = choice.all_fields
                default_concealment[dataset.source] = choice.default_concealment
                if without and dataset.name in without:
                    choice = replace(choice, without=choice.without | without[dataset.name])
                if whole:
                    reread = replace(dataset, high_water_mark=None)
                    planned.append(plan_object_refresh(client, reread, choice))
                else:
                    planned.append(plan_object_refresh(client, dataset, choice))
            spec = ImportSpec(
                connection=connection,
                folder=folder,
                start_date=min(start_dates) if start_dates else None,
                # A data set imported with every field keeps taking every field.
                objects=tuple(
                    ObjectChoice(d.source, None if every_field.get(d.source) else tuple(d.fields))
                    for d in planned
                    if d.kind == "object"
                ),
                reports=tuple(d.source for d in planned if d.kind == "report"),
                # Default concealment stays "default", so personal fields that appear later
                # are concealed too (a written-out list would leave them raw).
                conceal={
                    d.source: None if default_concealment.get(d.source) else tuple(d.concealed)
                    for d in planned
                    if d.concealed or default_concealment.get(d.source)
                },
                budget_percent=budget_percent,
            )
            usage = client.usage or self._limits_usage(client)
            plans.append(
                assemble_plan(
                    spec,
                    planned,
                    usage,
                    default_budget_percent=self.settings.api_budget_percent,
                    created_at=self._clock(),
                    instance_url=client.instance_url,
                )
            )
        return plans

    def _last_spec(self, dataset: Dataset) -> ImportSpec | None:
        text = self._ledger.last_spec_toml(dataset.folder, dataset.name)
        if not text:
            return None
        try:
            return ImportSpec.from_toml(text)
        except SfimportError:
            return None

    @staticmethod
    def _refresh_choice(dataset: Dataset, last: ImportSpec | None) -> RefreshChoice:
        if last is None:
            return RefreshChoice()
        choice = next((o for o in last.objects if o.name.lower() == dataset.source.lower()), None)
        defaults = dataset.source in last.conceal and last.conceal[dataset.source] is None
        if choice is None:
            return RefreshChoice(default_concealment=defaults)
        return RefreshChoice(all_fields=choice.fields is None, default_concealment=defaults)

    @staticmethod
    def _report_spec(dataset: Dataset) -> ImportSpec:
        return ImportSpec(
            connection=dataset.connection,
            folder=dataset.folder,
            reports=(dataset.source,),
            conceal={dataset.source: tuple(dataset.concealed)} if dataset.concealed else {},
        )

    def get_run(self, run_id: str) -> RunInfo:
        return self._ledger.get(run_id)

    def list_runs(self, dataset: str | None = None, limit: int = 50) -> list[RunInfo]:
        """Recent runs, newest first; ``dataset`` as "Folder.Name" or a bare name."""
        return self._ledger.recent(dataset=dataset, limit=limit)

    def run_events(self, run_id: str, after: int = 0) -> list[ProgressEvent]:
        with self._lock:
            log = self._logs.get(run_id)
        if log is not None:
            return log.after(after)
        # A run of another process: one event per data set, from its recorded progress.
        run = self._ledger.get(run_id)
        phases = {"complete": "done", "incomplete": "done", "superseded": "done"}
        phases["waiting"] = "waiting"
        events = [
            ProgressEvent(
                run_id=run_id,
                seq=index + 1,
                dataset=d.name,
                phase=phases.get(
                    d.status, "failed" if d.status in ("failed", "interrupted") else "downloading"
                ),
                rows_done=d.rows,
                rows_expected=d.rows_expected,
                pages=d.pages,
                api_calls=d.api_calls,
                rows_per_second=None,
                message=d.incomplete_reason or (d.error.message if d.error else ""),
                at=run.finished_at or run.started_at,
            )
            for index, d in enumerate(run.datasets)
        ]
        return events[after:]

    def resume_waiting_runs(self) -> list[str]:
        """Resume, where they stopped, the runs whose resume time has come: runs waiting for
        the API limit, and runs interrupted by the network or by a process that ended."""
        self._ledger.mark_abandoned()
        resumed = []
        for run in self._ledger.due_for_resume(self._clock()):
            if self._resume(run.id, background=True):
                resumed.append(run.id)
        return resumed

    def resume_run(self, run_id: str) -> RunResult:
        """Resume a stopped run now, in this thread, until it ends (e.g. after re-authorising
        a connection)."""
        self._resume_now(run_id, background=False)
        return RunResult(self._ledger.get(run_id))

    def start_resume(self, run_id: str) -> str:
        """Resume a stopped run in a background thread, tracked like :meth:`start_import`;
        returns its id once the run is recorded as running again. UsageError when there is
        nothing to resume."""
        self._resume_now(run_id, background=True)
        return run_id

    def _resume_now(self, run_id: str, *, background: bool) -> None:
        run = self._ledger.get(run_id)
        if run.status in ("running", "complete"):
            raise UsageError(f"Run {run_id} is {run.status}; there is nothing to resume.")
        if not self._resume(run_id, background=background):
            raise UsageError(f"Run {run_id} could not be resumed (another process took it).")

    def _resume(self, run_id: str, *, background: bool) -> bool:
        if background and self._closing.is_set():
            raise UsageError("sfimport is shutting down; no run starts now.")
        spec = ImportSpec.from_toml(self._ledger.spec_toml(run_id))
        run = self._ledger.get(run_id)
        datasets = []
        for item in run.datasets:
            checkpoint = Checkpoint.from_json(self._ledger.checkpoint(run_id, item.name))
            if checkpoint is None:
                logger.warning("Run %s cannot resume %s: no checkpoint", run_id, item.name)
                continue
            datasets.append(planned_from_json(checkpoint.plan))
        client = self.client(spec.connection)
        plan = ImportPlan(
            spec=spec,
            datasets=tuple(datasets),
            api_calls_total=sum(d.api_calls for d in datasets),
            api_remaining=None,
            api_max=None,
            budget_calls=None,
            within_budget=True,
            budget_percent=spec.budget_percent or self.settings.api_budget_percent,
            instance_url=client.instance_url,
        )
        if not self._ledger.claim(run_id):
            return False
        runner = self._runner()
        log = EventLog(run_id, self._clock, [])
        with self._lock:
            self._logs[run_id] = log
        if not background:
            runner.execute(plan, run_id, log, run.started_at)
            return True
        thread = threading.Thread(
            target=runner.execute, args=(plan, run_id, log, run.started_at), name=f"run-{run_id}"
        )
        self._track(run_id, thread)
        return True

    def set_schedule(self, dataset: str, every: str) -> ScheduleInfo:
        """Refresh a data set on a schedule ("1h", "1d", "30m" or a cron expression, UTC)."""
        found = self._dataset(dataset)
        when = next_run(every, self._clock())
        return self._schedules.set(f"{found.folder}.{found.name}", every.strip(), when)

    def set_connection_schedule(self, connection: str, every: str) -> ScheduleInfo:
        """Refresh every data set of a connection on a schedule."""
        self._connections.get_connection(connection)
        when = next_run(every, self._clock())
        return self._schedules.set(connection_key(connection), every.strip(), when)

    def remove_schedule(self, dataset_or_connection: str) -> None:
        key = dataset_or_connection
        if connection_of(key) is None:
            found = self._dataset(key)
            key = f"{found.folder}.{found.name}"
        self._schedules.remove(key)

    def list_schedules(self) -> list[ScheduleInfo]:
        return self._schedules.all()

    def run_due_schedules(self) -> list[str]:
        """Start the refreshes whose schedule is due (called by the web app's scheduler loop).

        A refresh over its API budget does not start: it is recorded as a run waiting for the
        limit, so the person sees it and it resumes by itself."""
        now = self._clock()
        due = [s for s in self._schedules.all() if s.next_run_at <= now]
        run_ids = []
        for schedule in due:
            self._schedules.set(schedule.dataset, schedule.every, next_run(schedule.every, now))
            connection = connection_of(schedule.dataset)
            try:
                if connection is not None:
                    names = [
                        f"{d.folder}.{d.name}"
                        for d in self._mydata.list_datasets()
                        if d.connection == connection
                    ]
                else:
                    names = [schedule.dataset]
                if not names:
                    continue
                for plan in self._refresh_plans(names):
                    run_ids.append(self._start_or_wait(plan))
            except NotFound:
                self._schedules.remove(schedule.dataset)
            except SfimportError as error:
                logger.warning("Scheduled refresh of %s not started: %s", schedule.dataset, error)
        return run_ids

    def _start_or_wait(self, plan: ImportPlan) -> str:
        try:
            self._check_budget(plan)
        except BudgetExceeded as error:
            runner, run_id, _, _ = self._prepare(plan, "refresh", None)
            runner.wait_for_budget(run_id, error)
            return run_id
        return self._start(plan, "refresh")

    def resolve_field_error(self, run_id: str, action: str) -> str:
        """Act on a field that went away: "reimport" the data set fresh (every field available
        now), "retry" once it is restored in Salesforce, or "continue_without_field"."""
        if action not in ("reimport", "retry", "continue_without_field"):
            raise UsageError(
                f"Unknown action {action!r}: use reimport, retry or continue_without_field."
            )
        run = self._ledger.get(run_id)
        failed = [d for d in run.datasets if d.error is not None and d.error.field]
        if not failed:
            raise UsageError(f"Run {run_id} has no data set stopped by a missing field.")
        names = [f"{run.folder}.{d.name}" for d in failed]
        if action == "retry":
            plans = self._refresh_plans(names)
        elif action == "continue_without_field":
            without = {
                d.name: frozenset({d.error.field}) for d in failed if d.error and d.error.field
            }
            plans = self._refresh_plans(names, without=without)
        else:
            gone = {d.name: d.error.field for d in failed if d.error and d.error.field}
            plans = self._reimport_plans(run, gone)
        run_ids = []
        for plan in plans:
            self._check_budget(plan)
            run_ids.append(self._start(plan, "import" if action == "reimport" else "refresh"))
        return run_ids[0]

    def _reimport_plans(self, run: RunInfo, gone: dict[str, str]) -> list[ImportPlan]:
        """A fresh import of each data set with every field Salesforce offers now."""
        datasets = [self._dataset(f"{run.folder}.{name}") for name in gone]
        objects = tuple(ObjectChoice(d.source) for d in datasets if d.kind == "object")
        conceal: dict[str, tuple[str, ...] | None] = {}
        for d in datasets:
            kept = tuple(c for c in d.concealed if c != gone[d.name])
            if kept:
                conceal[d.source] = kept
        spec = ImportSpec(
            connection=run.connection,
            folder=run.folder,
            start_date=next((d.start_date for d in datasets if d.start_date), None),
            objects=objects,
            conceal=conceal,
        )
        return [self.build_plan(spec)]

    # --- My Data --------------------------------------------------------------------------------

    def list_folders(self) -> list[str]:
        return self._mydata.list_folders()

    def list_datasets(self, folder: str | None = None) -> list[DatasetInfo]:
        schedules = {s.dataset.lower(): s.every for s in self._schedules.all()}
        return [self._info(d, schedules) for d in self._mydata.list_datasets(folder)]

    def get_dataset(self, name: str) -> DatasetInfo:
        schedules = {s.dataset.lower(): s.every for s in self._schedules.all()}
        return self._info(self._dataset(name), schedules)

    def preview(self, name: str, limit: int = 100) -> PreviewResult:
        found = self._dataset(name)
        table = self._mydata.preview(found.folder, found.name, limit)
        return _preview(table, truncated=False)

    def export(self, name: str, fmt: str, path: Path) -> Path:
        if fmt not in ("csv", "parquet"):
            raise UsageError(f"Unknown export format {fmt!r}: use csv or parquet.")
        found = self._dataset(name)
        return self._mydata.export(
            found.folder, found.name, path, cast(Literal["csv", "parquet"], fmt)
        )

    def query(self, sql: str, limit: int = 1000) -> PreviewResult:
        result = self._mydata.query(sql, limit=limit)
        return _preview(result.table, truncated=result.truncated)

    def delete_dataset(self, name: str) -> None:
        found = self._dataset(name)
        self._mydata.delete_dataset(found.folder, found.name)
        self._schedules.remove(f"{found.folder}.{found.name}")

    def _dataset(self, name: str) -> Dataset:
        if "." in name:
            folder, _, short = name.partition(".")
            return self._mydata.get_dataset(folder, short)
        matches = [d for d in self._mydata.list_datasets() if d.name.lower() == name.lower()]
        if not matches:
            raise NotFound(f"There is no data set {name} in My Data.")
        if len(matches) > 1:
            raise UsageError(f"Several folders hold a data set {name}: write it as Folder.{name}.")
        return matches[0]

    @staticmethod
    def _info(dataset: Dataset, schedules: dict[str, str]) -> DatasetInfo:
        qualified = f"{dataset.folder}.{dataset.name}"
        return DatasetInfo(
            id=dataset.id,
            folder=dataset.folder,
            name=dataset.name,
            qualified=qualified,
            kind=dataset.kind,
            source=dataset.source,
            connection=dataset.connection,
            row_count=dataset.row_count,
            concealed=dataset.concealed,
            last_import_at=dataset.last_import,
            status=dataset.status,
            schedule=schedules.get(qualified.lower()),
            start_date=dataset.start_date,
            incomplete_reason=dataset.incomplete_reason,
            columns=tuple((c.name, c.type) for c in dataset.columns),
            skipped=dataset.skipped,
            cursor_field=dataset.cursor_field,
        )


def _stopping() -> RunStopped:
    return RunStopped("sfimport is shutting down, so the run stopped after its last saved page.")


def _no_report(ref: str) -> NotFound:
    return NotFound(
        f"Salesforce has no report {ref!r} that this user can run.",
        remedy="Check the report's name or id in the catalog, and that the user can see its "
        "folder in Salesforce.",
    )


def _preview(table: Any, *, truncated: bool) -> PreviewResult:
    columns = tuple((field.name, str(field.type)) for field in table.schema)
    rows = [tuple(row.values()) for row in table.to_pylist()]
    return PreviewResult(columns=columns, rows=rows, truncated=truncated)
