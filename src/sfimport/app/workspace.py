"""The engine's front door: every application service of one data folder in one object, as the
web app and the CLI call it (see :mod:`sfimport.app.ports`). Thread-safe; cheap to build."""

from __future__ import annotations

from sfimport.app.catalog import CatalogService
from sfimport.app.connections import ConnectionsService
from sfimport.app.core import CLOSE_TIMEOUT_SECONDS
from sfimport.app.history import HistoryService
from sfimport.app.jobs import JobsService
from sfimport.app.mydata import MyDataService
from sfimport.app.pipes import PipesService
from sfimport.app.ports import PipesPort
from sfimport.app.schedules import SchedulesService
from sfimport.app.values import (
    ClientFactory,
    DatasetInfo,
    ObjectEntry,
    PreviewResult,
    RunResult,
    is_unsupported_object,
)
from sfimport.store.runs import RunInfo

__all__ = [
    "CLOSE_TIMEOUT_SECONDS",
    "ClientFactory",
    "DatasetInfo",
    "ObjectEntry",
    "PreviewResult",
    "RunResult",
    "Workspace",
    "is_unsupported_object",
]


class Workspace(
    ConnectionsService,
    CatalogService,
    JobsService,
    SchedulesService,
    MyDataService,
    HistoryService,
    PipesService,
):
    """One data folder: connections, catalog, plans and imports, runs, queued jobs, schedules,
    My Data, history, pipes."""

    def run_due_schedules(self, *, queue: bool = False) -> list[str]:
        """Start (or, with ``queue``, put on the job queue) the refreshes whose schedule is
        due, and rebuild the pipes whose own schedule is due (pipes run to their end here;
        refreshes in the background or on a worker, as their ids say)."""
        started = super().run_due_schedules(queue=queue)
        self.run_due_pipes()
        return started

    def run_due(self) -> list[RunInfo]:
        """One scheduler pass to its end (`sfimport refresh --due`, for cron or a systemd
        timer): fire the due schedules, resume the runs whose time came, wait for them all.
        Attempts that failed before starting are among the runs returned."""
        run_ids = self.run_due_schedules() + self.resume_waiting_runs()
        return [self.wait(run_id) for run_id in run_ids]


def _pipes_port(workspace: Workspace) -> PipesPort:
    """Never called: mypy checks here that the Workspace is what the pipes port asks for."""
    return workspace
