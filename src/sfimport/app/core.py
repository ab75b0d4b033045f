"""The shared state of the application services: one data folder's stores, HTTP clients and
background runs, and the helpers every service uses."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import httpx2

from sfimport.app.values import ClientFactory, _no_report, _stopping
from sfimport.errors import (
    ApiBudgetReached,
    BudgetExceeded,
    DailyLimitExceeded,
    NotFound,
    ResourceNotFound,
    RunStopped,
    SfimportError,
    StoppedByUser,
    UsageError,
)
from sfimport.extract.budget import ApiGate
from sfimport.extract.catalog import (
    unsupported_object_error,
)
from sfimport.extract.conceal import (
    Classification,
    Concealer,
    read_classifications,
)
from sfimport.extract.connections import (
    ConnectionService,
)
from sfimport.extract.events import EventLog, Listener
from sfimport.extract.plan import (
    ImportPlan,
)
from sfimport.extract.runner import LIMIT_RETRY, Runner
from sfimport.jobs.lease import holding
from sfimport.jobs.queues import close_queue, open_queue
from sfimport.jobs.worker import BEATS_PER_LEASE
from sfimport.salesforce.client import DEFAULT_TIMEOUT, ApiUsage, SalesforceClient
from sfimport.salesforce.redaction import redacting_logger
from sfimport.salesforce.wire import SObjectDescribe
from sfimport.settings import Settings
from sfimport.store.allowance import SqlAllowance
from sfimport.store.leases import this_process
from sfimport.store.metadata import ConnectionStatus
from sfimport.store.mydata import Dataset, MyData, new_run_id
from sfimport.store.runs import RunInfo, RunLedger, ScheduleBook

logger = redacting_logger(__name__)

#: How long close() waits for background runs to stop at their next page.
CLOSE_TIMEOUT_SECONDS = 60.0

_REPORT_ID = re.compile(r"^00O[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")


class Core:
    """One data folder's shared state: metadata DB, My Data, secrets, HTTP clients, the
    background runs of this process. Every service builds on it."""

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
        #: Set by close() or interrupt(): runs stop at their next page, pauses end at once.
        self._closing = threading.Event()
        #: Why they stop: a shutdown (resumed by the next process) or the person (Ctrl-C).
        self._stop_error: Callable[[], RunStopped] = _stopping
        self._data_dir = settings.data_dir()
        # A publish waits out any one query (it is interrupted at its deadline), so a query
        # in the web app never makes an import fail with "My Data is busy".
        self._mydata = MyData.for_data_dir(
            self._data_dir,
            busy_timeout=max(30.0, settings.query_timeout + 15.0),
            change_retention_days=settings.change_retention_days or None,
        )
        #: What opening this data folder upgraded (one line each), for the CLI and the logs.
        self.schema_notes: list[str] = []
        self._ledger = RunLedger.at(
            settings.metadata_url,
            self._clock,
            notes=self.schema_notes,
            lease_seconds=settings.lease_seconds,
        )
        #: The job queue: a table of the metadata database, or procrastinate in team mode.
        self._queue = open_queue(self._ledger.engine, lease_seconds=settings.lease_seconds)
        #: This process as the holder of the leases of the runs it executes.
        self._owner = str(this_process())
        #: Set when a run's lease was lost (another process took it over): it stops at once.
        self._lost: dict[str, threading.Event] = {}
        self._schedules = ScheduleBook(self._ledger.engine)
        self._client_factory = client_factory
        # Every Salesforce call passes the gate that keeps running imports within their budget.
        # In team mode the budget is shared: workers on every host book their calls in one row
        # per org of the metadata database, so together they stay within it.
        self._gate = ApiGate(
            transport if transport is not None else httpx2.HTTPTransport(),
            shared=SqlAllowance(self._ledger.engine) if settings.team_mode else None,
        )
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
        # Pooled database connections end with the workspace (a PostgreSQL server counts them).
        close_queue(self._queue)
        self._ledger.engine.dispose()

    def interrupt_for_shutdown(self) -> None:
        """The service is asked to stop (SIGTERM): every run of this process stops after its
        current page, recorded as interrupted and due for a resume by the next process (a
        queued run goes back on the queue). Safe in a signal handler: it only sets a flag;
        :meth:`close` then waits for the runs."""
        self._closing.set()

    def interrupt(self) -> None:
        """The person asked to stop (Ctrl-C): every run of this process stops after its
        current page and is recorded as interrupted (not failed), resumed only when asked
        ('sfimport resume'). Nothing new starts after."""
        self._stop_error = _stopped_by_user
        self._closing.set()

    def _pause(self, seconds: float) -> None:
        """The sleep of retries and Bulk polling: cut short by close() or interrupt() with
        RunStopped, so a closing workspace never waits out a back-off."""
        if self._closing.is_set():
            raise self._stop_error()
        if self._injected_sleep is not None:
            self._injected_sleep(seconds)
        else:
            self._closing.wait(seconds)
        if self._closing.is_set():
            raise self._stop_error()

    def _track(self, run_id: str, thread: threading.Thread) -> None:
        """Start a background run's thread, known to close() and wait(). (One registered just
        as close() began stops itself before its first call.)"""
        with self._lock:
            # Finished runs are forgotten, so a long-running web app does not collect them.
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            self._threads[run_id] = thread
            thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def client(self, connection: str) -> SalesforceClient:
        """The Salesforce client of a connection (one per connection, shared by threads)."""
        with self._lock:
            client = self._clients.get(connection)
            if client is None:
                client = self._new_client(connection)
                self._clients[connection] = client
            return client

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

    @staticmethod
    def _classifications(client: SalesforceClient, sobject: str) -> dict[str, Classification]:
        """The org's data classification of an object's fields (one FieldDefinition query)."""
        return read_classifications(client, sobject)

    def _limits_usage(self, client: SalesforceClient) -> ApiUsage | None:
        try:
            limits = client.rest.limits()
        except DailyLimitExceeded:
            raise  # the allowance is used up: nothing can be planned
        except SfimportError:
            return None  # /limits needs View Setup and Configuration; it is optional
        daily = limits.get("DailyApiRequests")
        if daily is None:
            return None
        return ApiUsage(used=daily["Max"] - daily["Remaining"], max=daily["Max"])

    def _runner(self, *lost: threading.Event) -> Runner:
        """A runner for one run; it stops at its next page when this workspace closes or when
        any of ``lost`` is set (the run's or its job's lease went to another process)."""
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
            should_stop=lambda: self._closing.is_set() or any(e.is_set() for e in lost),
            stop_error=lambda: self._stop_error(),
            log_dir=self.run_log_dir,
        )

    @property
    def run_log_dir(self) -> Path:
        """Where each run's log file is kept: ``<data folder>/logs/runs/<run id>.log``."""
        return self._data_dir / "logs" / "runs"

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
                f"This run needs about {plan.api_calls_total:,} API calls; its budget "
                f"({plan.budget_summary()}) is smaller."
            )

    def _prepare(
        self, plan: ImportPlan, kind: str, on_event: Listener | None, trigger: str = "manual"
    ) -> tuple[Runner, str, EventLog, datetime]:
        lost = threading.Event()
        runner = self._runner(lost)
        run_id = new_run_id()
        log = EventLog(run_id, self._clock, [on_event] if on_event else [])
        with self._lock:
            self._logs[run_id] = log
            self._lost[run_id] = lost
        started = runner.register(plan, run_id, kind=kind, trigger=trigger)
        return runner, run_id, log, started

    def _execute(
        self, runner: Runner, plan: ImportPlan, run_id: str, log: EventLog, started: datetime
    ) -> RunInfo:
        """Execute a run held by this process, renewing its lease while it works (liveness
        is the lease: a process that dies stops renewing, and the run is free once it lapses)."""
        with self._lock:
            lost = self._lost.pop(run_id, None) or threading.Event()
        with holding(
            lambda: self._ledger.renew(run_id, self._owner),
            lambda: self._ledger.release(run_id, self._owner),
            self.settings.lease_seconds / BEATS_PER_LEASE,
            name=f"run {run_id}",
            lost=lost,
        ):
            return runner.execute(plan, run_id, log, started)

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


def _stopped_by_user() -> StoppedByUser:
    return StoppedByUser("You stopped the run (Ctrl-C); it stopped after its last saved page.")
