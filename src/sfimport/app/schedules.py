"""Schedules: refresh a data set or a whole connection on a schedule, and fire those due."""

from __future__ import annotations

from sfimport.app.imports import ImportsService
from sfimport.errors import (
    BudgetExceeded,
    NotFound,
    SfimportError,
)
from sfimport.extract.plan import (
    ImportPlan,
)
from sfimport.extract.schedule import connection_key, connection_of, next_run
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.runs import ScheduleInfo

logger = redacting_logger(__name__)


class SchedulesService(ImportsService):
    """Schedules: refresh a data set or a whole connection on a schedule, and fire those due."""

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

    def run_due_schedules(self, *, queue: bool = False) -> list[str]:
        """Start the refreshes whose schedule is due (the scheduler loop of `serve`, `demo`
        and `sfimport scheduler`, and `sfimport refresh --due`). Each due schedule fires once
        however many schedulers share the data folder. ``queue``: put each refresh on the job
        queue for `sfimport worker` (here or on another host) instead of starting it here
        (`sfimport scheduler --queue`).

        A refresh over its API budget does not start: it is recorded as a run waiting for the
        limit, so the person sees it and it resumes by itself; one that cannot start (a revoked
        token) is recorded as a failed run with its remedy. Returns the runs of both kinds."""
        now = self._clock()
        due = [s for s in self._schedules.all() if s.next_run_at <= now]
        run_ids: list[str] = []
        for schedule in due:
            if not self._schedules.fire(
                schedule.dataset, schedule.next_run_at, next_run(schedule.every, now)
            ):
                continue  # another scheduler on this data folder fired it
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
                plans = self._plan_or_record(names, all=False, trigger="schedule", recorded=run_ids)
                for plan in plans:
                    run_ids.append(self._start_or_wait(plan, queue=queue))
            except NotFound:
                self._schedules.remove(schedule.dataset)
            except SfimportError as error:
                # Recorded as a failed run (with its remedy) by _plan_or_record.
                logger.warning("Scheduled refresh of %s not started: %s", schedule.dataset, error)
        return run_ids

    def _start_or_wait(self, plan: ImportPlan, *, queue: bool) -> str:
        try:
            self._check_budget(plan)
        except BudgetExceeded as error:
            runner, run_id, _, _ = self._prepare(plan, "refresh", None, "schedule")
            with self._lock:
                self._lost.pop(run_id, None)  # it does not run: no lease to keep
            runner.wait_for_budget(run_id, error)
            return run_id
        if queue:
            return self._enqueue(plan, "refresh", "schedule")
        return self._start(plan, "refresh", "schedule")
