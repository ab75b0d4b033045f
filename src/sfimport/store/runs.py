"""Run history in the metadata database: one row per run and one per data set of a run, with
the checkpoints a resumed or refreshed run starts from (the frozen cursor watermark)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, Integer, String, Text, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sfimport.errors import NotFound, SfimportError
from sfimport.store.leases import Holder, known_dead, lapsed, this_process, wall_clock
from sfimport.store.metadata import Base, UtcDateTime, create_metadata_engine

logger = logging.getLogger(__name__)

#: How long a run's lease lasts unless renewed (SFIMPORT_LEASE_SECONDS overrides it).
DEFAULT_LEASE_SECONDS = 60.0


class RunStatus(StrEnum):
    """Where a run stands (a str: compares and serialises as its value)."""

    #: Put on the job queue; a worker has not taken it yet.
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    #: Some data sets complete, others not.
    PARTIAL = "partial"
    WAITING_FOR_LIMIT = "waiting_for_limit"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


RUN_STATUSES = tuple(status.value for status in RunStatus)


class DatasetStatus(StrEnum):
    """Where a data set of a run stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    SUPERSEDED = "superseded"
    #: Stopped resumably (network, shutdown, a dead connection, My Data busy).
    INTERRUPTED = "interrupted"
    #: Stopped by the org's daily API limit or the run's budget; resumes when it frees up.
    WAITING = "waiting"
    FAILED = "failed"


#: The engine's tables (runs, their data sets, schedules) live on the metadata database's Base.
RunsBase = Base
_Stamp = UtcDateTime


class RunRow(RunsBase):
    __tablename__ = "engine_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    connection: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(200))
    spec_toml: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(_Stamp())
    finished_at: Mapped[datetime | None] = mapped_column(_Stamp(), nullable=True)
    resume_at: Mapped[datetime | None] = mapped_column(_Stamp(), nullable=True)
    error_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The process that last ran it (informative: liveness is the lease below).
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Who holds the run and until when (renewed while it works; a lapsed lease frees it).
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(_Stamp(), nullable=True)
    #: What started it: "manual", "schedule" or "resume".
    trigger: Mapped[str | None] = mapped_column(String(16), nullable=True)


class ScheduleRow(RunsBase):
    __tablename__ = "engine_schedules"

    dataset: Mapped[str] = mapped_column(String(200), primary_key=True)
    every: Mapped[str] = mapped_column(String(100))
    next_run_at: Mapped[datetime] = mapped_column(_Stamp())


class RunDatasetRow(RunsBase):
    __tablename__ = "engine_run_datasets"

    run_id: Mapped[str] = mapped_column(ForeignKey("engine_runs.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    rows_expected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    count_mismatch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Where the next refresh reads from: the run's start less the consistency lag.
    watermark: Mapped[datetime | None] = mapped_column(_Stamp(), nullable=True)
    #: Resumable position inside the data set (e.g. Bulk job id and locator), JSON.
    checkpoint_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    incomplete_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_json: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class ErrorInfo:
    """An error as the web app and the CLI show it, with the actions a person can take."""

    kind: str
    message: str
    remedy: str
    actions: tuple[str, ...] = ()
    field: str | None = None
    dataset: str | None = None

    @classmethod
    def from_error(
        cls, error: SfimportError, *, dataset: str | None = None, actions: Sequence[str] = ()
    ) -> ErrorInfo:
        return cls(
            kind=error.kind,
            message=error.message,
            remedy=error.remedy,
            actions=tuple(actions),
            field=getattr(error, "field", None),
            dataset=dataset,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "message": self.message,
                "remedy": self.remedy,
                "actions": list(self.actions),
                "field": self.field,
                "dataset": self.dataset,
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> ErrorInfo | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(
            kind=data["kind"],
            message=data["message"],
            remedy=data["remedy"],
            actions=tuple(data.get("actions") or ()),
            field=data.get("field"),
            dataset=data.get("dataset"),
        )


@dataclass(frozen=True)
class RunDatasetInfo:
    name: str
    status: DatasetStatus
    rows: int
    rows_expected: int | None
    added: int
    updated: int
    removed: int
    api_calls: int
    count_mismatch: int | None
    kind: str = "object"
    method: str = ""
    pages: int = 0
    watermark: datetime | None = None
    incomplete_reason: str | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True)
class RunInfo:
    id: str
    kind: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    resume_at: datetime | None
    datasets: tuple[RunDatasetInfo, ...]
    error: ErrorInfo | None
    connection: str = ""
    folder: str = ""
    #: What started it: "manual" or "schedule" (None: a run of the first release).
    trigger: str | None = None
    #: The worker holding a running run (host and process id), and until when its lease runs.
    worker: Holder | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class FailedAttempt:
    """The latest attempt on a data set that did not complete, for My Data's "last failure"."""

    run_id: str
    at: datetime
    status: str
    error: ErrorInfo | None


#: Runs executing in this process right now. This process never takes one of these over,
#: whatever their lease says: it knows for certain that its own thread still runs them.
EXECUTING: set[str] = set()


def _owner() -> str:
    """This process, as a lease owner: host and process id."""
    return str(this_process())


def _held_elsewhere(row: RunRow | None) -> bool:
    """True when another process took the run over (its lease lapsed here, then it claimed the
    run): this process's late writes about the run are dropped, so a slow holder that lost its
    lease never overwrites the new holder's progress (it stops at its next page)."""
    if row is None or row.status != RunStatus.RUNNING.value or row.lease_owner is None:
        return False
    if row.lease_owner == _owner():
        return False
    logger.warning(
        "Run %s is held by %s now; a late update from here is dropped", row.id, row.lease_owner
    )
    return True


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", -1)
    return int(count) if isinstance(count, int) else -1


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class RunLedger:
    """Reads and writes run history; every write is a short transaction (no long lock)."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        lease_clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self.lease = timedelta(seconds=lease_seconds)
        #: Leases follow the machine's clock, not the injected one (see leases.wall_clock).
        self._lease_clock = lease_clock

    @property
    def engine(self) -> Engine:
        return self._engine

    @classmethod
    def at(
        cls,
        url: str,
        clock: Callable[[], datetime],
        *,
        notes: list[str] | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        lease_clock: Callable[[], datetime] = wall_clock,
    ) -> RunLedger:
        engine = create_metadata_engine(url, notes=notes)
        return cls(engine, clock, lease_seconds=lease_seconds, lease_clock=lease_clock)

    def create(
        self,
        run_id: str,
        *,
        kind: str,
        connection: str,
        folder: str,
        spec_toml: str,
        datasets: Sequence[tuple[str, str, str, str, int | None]],
        started_at: datetime,
        trigger: str = "manual",
    ) -> None:
        """Record a new run, running here under this process's lease; ``datasets`` are
        (name, kind, source, method, expected); ``trigger`` says what started it ("manual",
        "schedule")."""
        EXECUTING.add(run_id)
        with self._lock, Session(self._engine) as session, session.begin():
            session.add(
                RunRow(
                    id=run_id,
                    kind=kind,
                    status=RunStatus.RUNNING.value,
                    connection=connection,
                    folder=folder,
                    spec_toml=spec_toml,
                    started_at=started_at,
                    pid=os.getpid(),
                    lease_owner=_owner(),
                    lease_until=self._lease_clock() + self.lease,
                    trigger=trigger,
                )
            )
            session.flush()
            for name, ds_kind, source, method, expected in datasets:
                session.add(
                    RunDatasetRow(
                        run_id=run_id,
                        name=name,
                        kind=ds_kind,
                        source=source,
                        method=method,
                        status="pending",
                        rows=0,
                        rows_expected=expected,
                        added=0,
                        updated=0,
                        removed=0,
                        pages=0,
                        api_calls=0,
                    )
                )

    def update_dataset(self, run_id: str, name: str, **values: object) -> None:
        """Set columns of one data set row (progress, status, checkpoint, ...)."""
        if "checkpoint" in values:
            values["checkpoint_json"] = json.dumps(values.pop("checkpoint"))
        if "error" in values:
            error = values.pop("error")
            values["error_json"] = error.to_json() if isinstance(error, ErrorInfo) else None
        with self._lock, Session(self._engine) as session, session.begin():
            row = session.get(RunDatasetRow, (run_id, name))
            if row is None:
                raise NotFound(f"Run {run_id} has no data set {name}.")
            if _held_elsewhere(session.get(RunRow, run_id)):
                return
            for key, value in values.items():
                setattr(row, key, value)

    def finish(
        self,
        run_id: str,
        status: str,
        *,
        error: ErrorInfo | None = None,
        resume_at: datetime | None = None,
    ) -> None:
        with self._lock, Session(self._engine) as session, session.begin():
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFound(f"There is no run {run_id}.")
            if _held_elsewhere(row):
                return
            row.status = status
            row.finished_at = None if status in ("running", "waiting_for_limit") else self._clock()
            if status != "running":
                EXECUTING.discard(run_id)
            row.resume_at = resume_at
            row.error_json = None if error is None else error.to_json()

    def get(self, run_id: str) -> RunInfo:
        with Session(self._engine) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFound(f"There is no run {run_id}.")
            return self._info(session, row)

    def checkpoint(self, run_id: str, name: str) -> dict[str, object] | None:
        with Session(self._engine) as session:
            row = session.get(RunDatasetRow, (run_id, name))
            if row is None or not row.checkpoint_json:
                return None
            value = json.loads(row.checkpoint_json)
            return value if isinstance(value, dict) else None

    def spec_toml(self, run_id: str) -> str:
        with Session(self._engine) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFound(f"There is no run {run_id}.")
            return row.spec_toml

    def recent(
        self, dataset: str | None = None, limit: int = 50, status: str | None = None
    ) -> list[RunInfo]:
        """Runs newest first; ``dataset`` as "Folder.Name" (that folder's only) or "Name"."""
        with Session(self._engine) as session:
            query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc())
            if dataset is not None:
                # "Folder.Name" or a bare name (of any folder); names hold no dots, and My Data
                # finds them whatever their case.
                folder, dot, name = dataset.partition(".")
                if not dot:
                    folder, name = "", dataset
                named = select(RunDatasetRow.run_id).where(
                    func.lower(RunDatasetRow.name) == name.strip().lower()
                )
                query = query.where(RunRow.id.in_(named))
                if dot:
                    query = query.where(func.lower(RunRow.folder) == folder.strip().lower())
            if status is not None:
                query = query.where(RunRow.status == status)
            rows = session.scalars(query.limit(limit)).all()
            return [self._info(session, row) for row in rows]

    def last_watermark(self, dataset: str) -> datetime | None:
        """The watermark of the latest completed import or refresh of a data set."""
        with Session(self._engine) as session:
            query = (
                select(RunDatasetRow.watermark)
                .join(RunRow, RunRow.id == RunDatasetRow.run_id)
                .where(RunDatasetRow.name == dataset, RunDatasetRow.status == "complete")
                .order_by(RunRow.started_at.desc())
                .limit(1)
            )
            return _aware(session.scalars(query).first())

    def mark_abandoned(self) -> list[str]:
        """Runs left "running" whose lease lapsed (their process died, or a thread of this
        process that ran one is gone): mark them interrupted and due for a resume at once.
        My Data is untouched, since nothing unpublished is visible; their staged pages are
        kept. Each is one conditional UPDATE, so a holder renewing meanwhile keeps its run."""
        now = self._lease_clock()
        error = ErrorInfo(
            kind="interrupted",
            message="The run stopped before it finished (the process ended).",
            remedy="It resumes where it stopped; My Data still holds the data of the last "
            "complete import.",
            actions=("resume",),
        )
        marked = []
        with self._lock, Session(self._engine) as session, session.begin():
            running = session.execute(
                select(RunRow.id, RunRow.lease_owner, RunRow.lease_until).where(
                    RunRow.status == RunStatus.RUNNING.value
                )
            ).all()
            for run_id, owner, until in running:
                if run_id in EXECUTING or not lapsed(owner, until, now):
                    continue
                taken = session.execute(
                    update(RunRow)
                    .where(RunRow.id == run_id, RunRow.status == RunStatus.RUNNING.value)
                    .where(self._free(now, owner))
                    .values(
                        status="failed",
                        finished_at=self._clock(),
                        resume_at=self._clock(),
                        error_json=error.to_json(),
                        lease_until=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(taken) != 1:
                    continue
                for dataset in session.scalars(
                    select(RunDatasetRow).where(
                        RunDatasetRow.run_id == run_id,
                        RunDatasetRow.status.in_(("pending", "running")),
                    )
                ):
                    dataset.status = "interrupted"
                    dataset.error_json = error.to_json()
                marked.append(run_id)
        return marked

    @staticmethod
    def _free(
        now: datetime, seen_owner: str | None, replacing: str | None = None
    ) -> ColumnElement[bool]:
        """The WHERE clause of "nobody holds this run": no holder or term, a term passed, or
        the holder seen is known dead on this host (or is the one a job claim replaced)."""
        clauses: list[ColumnElement[bool]] = [RunRow.lease_owner.is_(None)]
        clauses += [RunRow.lease_until.is_(None), RunRow.lease_until < now]
        for owner in (seen_owner if known_dead(seen_owner) else None, replacing):
            if owner is not None:
                clauses.append(RunRow.lease_owner == owner)
        return or_(*clauses)

    def due_for_resume(self, now: datetime) -> list[RunInfo]:
        """Runs that stopped resumably (waiting for the limit, interrupted) whose time came."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(RunRow)
                .where(
                    RunRow.status.in_(("waiting_for_limit", "partial", "failed")),
                    RunRow.resume_at.is_not(None),
                )
                .order_by(RunRow.started_at)
            ).all()
            due = [r for r in rows if (_aware(r.resume_at) or now) <= now]
            return [self._info(session, row) for row in due]

    def claim(self, run_id: str, owner: str | None = None, *, replacing: str | None = None) -> bool:
        """Take a run to execute it here (a queued run, a stopped one to resume, or a running
        one whose lease lapsed); False when another process holds it or took it first.

        One conditional UPDATE: of several processes claiming the same run, exactly one
        changes the row (the others' WHERE no longer matches), so exactly one runs it.
        ``replacing`` names a holder whose job lease the caller already won from the queue."""
        now = self._lease_clock()
        with Session(self._engine) as session:
            seen = session.scalar(select(RunRow.lease_owner).where(RunRow.id == run_id))
        with self._lock, Session(self._engine) as session, session.begin():
            taken = session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status != RunStatus.COMPLETE.value)
                .where(
                    or_(
                        RunRow.status != RunStatus.RUNNING.value,
                        self._free(now, seen, replacing),
                    )
                )
                .values(
                    status="running",
                    finished_at=None,
                    resume_at=None,
                    pid=os.getpid(),
                    lease_owner=owner or _owner(),
                    lease_until=now + self.lease,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(taken) != 1:
                return False
            EXECUTING.add(run_id)
            return True

    def queue_stopped(self, run_id: str, *, due: bool) -> bool:
        """Hand a stopped run to the job queue for a worker to resume; False when it is not
        stopped (running, queued, complete) or another scheduler queued it first. ``due``:
        only a run with a resume time (the scheduler's pass; whether that time came is the
        caller's read of :meth:`due_for_resume`).

        One conditional UPDATE: it clears the resume time, so of several schedulers queuing
        the same due run exactly one matches, and the run gets exactly one job."""
        stopped = (
            RunStatus.WAITING_FOR_LIMIT.value,
            RunStatus.PARTIAL.value,
            RunStatus.INTERRUPTED.value,
            RunStatus.FAILED.value,
        )
        query = update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(stopped))
        if due:
            query = query.where(RunRow.resume_at.is_not(None))
        with self._lock, Session(self._engine) as session, session.begin():
            queued = session.execute(
                query.values(
                    status=RunStatus.QUEUED.value,
                    resume_at=None,
                    pid=None,
                    lease_owner=None,
                    lease_until=None,
                ).execution_options(synchronize_session=False)
            )
            return _rowcount(queued) == 1

    def to_queue(self, run_id: str) -> None:
        """Hand a run this process recorded to the job queue: queued, held by nobody, until a
        worker claims it."""
        with self._lock, Session(self._engine) as session, session.begin():
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.lease_owner == _owner())
                .values(status=RunStatus.QUEUED.value, pid=None, lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
        EXECUTING.discard(run_id)

    def renew(self, run_id: str, owner: str | None = None) -> bool:
        """Extend this holder's lease on a running run; False when it no longer holds it
        (another process took the run over after the lease lapsed): the run must stop."""
        with self._lock, Session(self._engine) as session, session.begin():
            renewed = session.execute(
                update(RunRow)
                .where(
                    RunRow.id == run_id,
                    RunRow.lease_owner == (owner or _owner()),
                    RunRow.status.in_((RunStatus.RUNNING.value, RunStatus.WAITING_FOR_LIMIT.value)),
                )
                .values(lease_until=self._lease_clock() + self.lease)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(renewed) == 1

    def release(self, run_id: str, owner: str | None = None) -> None:
        """End this holder's lease (its thread stopped): a run still marked running after it
        is free at once for whoever resumes it. The holder stays named as its last worker."""
        with self._lock, Session(self._engine) as session, session.begin():
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.lease_owner == (owner or _owner()))
                .values(lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def published_after(self, folder: str, dataset: str, started: datetime, run_id: str) -> bool:
        """True when another run of the folder, started after ``started``, completed
        ``dataset``."""
        with Session(self._engine) as session:
            query = (
                select(RunDatasetRow.run_id)
                .join(RunRow, RunRow.id == RunDatasetRow.run_id)
                .where(
                    RunDatasetRow.name == dataset,
                    RunDatasetRow.status == "complete",
                    RunRow.folder == folder,
                    RunRow.id != run_id,
                    RunRow.started_at > started,
                )
                .limit(1)
            )
            return session.scalars(query).first() is not None

    def last_failures(self) -> dict[tuple[str, str], FailedAttempt]:
        """Per data set ("folder", "name", lower case) whose latest attempt did not complete it
        (failed, interrupted or waiting), that attempt; data sets whose latest attempt
        completed are left out."""
        stopped = ("failed", "interrupted", "waiting")
        with Session(self._engine) as session:
            rows = session.execute(
                select(RunRow.folder, RunDatasetRow.name, RunRow.id, RunRow.started_at)
                .add_columns(RunDatasetRow.status, RunDatasetRow.error_json)
                .join(RunDatasetRow, RunRow.id == RunDatasetRow.run_id)
                .where(RunDatasetRow.status.in_((*stopped, "complete")))
                .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            ).all()
        seen: set[tuple[str, str]] = set()
        found: dict[tuple[str, str], FailedAttempt] = {}
        for folder, name, run_id, started, status, error_json in rows:
            key = (folder.lower(), name.lower())
            if key in seen:
                continue
            seen.add(key)
            if status in stopped:
                found[key] = FailedAttempt(
                    run_id=run_id,
                    at=_aware(started) or started,
                    status=status,
                    error=ErrorInfo.from_json(error_json),
                )
        return found

    def last_spec_toml(self, folder: str, dataset: str) -> str | None:
        """The spec of the latest run that completed ``dataset`` in ``folder``."""
        with Session(self._engine) as session:
            query = (
                select(RunRow.spec_toml)
                .join(RunDatasetRow, RunRow.id == RunDatasetRow.run_id)
                .where(
                    RunDatasetRow.name == dataset,
                    RunDatasetRow.status == "complete",
                    RunRow.folder == folder,
                )
                .order_by(RunRow.started_at.desc())
                .limit(1)
            )
            return session.scalars(query).first()

    def _info(self, session: Session, row: RunRow) -> RunInfo:
        datasets = session.scalars(
            select(RunDatasetRow).where(RunDatasetRow.run_id == row.id)
        ).all()
        return RunInfo(
            id=row.id,
            kind=row.kind,
            status=RunStatus(row.status),
            started_at=_aware(row.started_at) or row.started_at,
            finished_at=_aware(row.finished_at),
            resume_at=_aware(row.resume_at),
            datasets=tuple(
                RunDatasetInfo(
                    name=d.name,
                    status=DatasetStatus(d.status),
                    rows=d.rows,
                    rows_expected=d.rows_expected,
                    added=d.added,
                    updated=d.updated,
                    removed=d.removed,
                    api_calls=d.api_calls,
                    count_mismatch=d.count_mismatch,
                    kind=d.kind,
                    method=d.method,
                    pages=d.pages,
                    watermark=_aware(d.watermark),
                    incomplete_reason=d.incomplete_reason,
                    error=ErrorInfo.from_json(d.error_json),
                )
                for d in datasets
            ),
            error=ErrorInfo.from_json(row.error_json),
            connection=row.connection,
            folder=row.folder,
            trigger=row.trigger,
            worker=Holder.parse(row.lease_owner) if row.status == "running" else None,
            lease_until=_aware(row.lease_until) if row.status == "running" else None,
        )


@dataclass(frozen=True)
class ScheduleInfo:
    dataset: str
    every: str
    next_run_at: datetime


class ScheduleBook:
    """Refresh schedules per data set (qualified name)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def set(self, dataset: str, every: str, next_run_at: datetime) -> ScheduleInfo:
        with Session(self._engine) as session, session.begin():
            row = session.get(ScheduleRow, dataset)
            if row is None:
                session.add(ScheduleRow(dataset=dataset, every=every, next_run_at=next_run_at))
            else:
                row.every = every
                row.next_run_at = next_run_at
        return ScheduleInfo(dataset, every, next_run_at)

    def all(self) -> list[ScheduleInfo]:
        with Session(self._engine) as session:
            rows = session.scalars(select(ScheduleRow)).all()
            return [
                ScheduleInfo(r.dataset, r.every, _aware(r.next_run_at) or r.next_run_at)
                for r in rows
            ]

    def fire(self, dataset: str, seen: datetime, next_run_at: datetime) -> bool:
        """Move a due schedule on to its next time, if it still says ``seen``: True for the one
        caller that moved it (and so runs it), False for every other scheduler that saw it due
        at the same moment (one conditional UPDATE; nobody reads, decides, then writes)."""
        with Session(self._engine) as session, session.begin():
            moved = session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.dataset == dataset, ScheduleRow.next_run_at == seen)
                .values(next_run_at=next_run_at)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(moved) == 1

    def remove(self, dataset: str) -> None:
        with Session(self._engine) as session, session.begin():
            row = session.get(ScheduleRow, dataset)
            if row is not None:
                session.delete(row)
