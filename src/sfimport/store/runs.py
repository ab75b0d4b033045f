"""Run history in the metadata database: one row per run and one per data set of a run, with
the checkpoints a resumed or refreshed run starts from (the frozen cursor watermark)."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from sfimport.errors import NotFound, SfimportError
from sfimport.store.metadata import Base, UtcDateTime, create_metadata_engine


class RunStatus(StrEnum):
    """Where a run stands (a str: compares and serialises as its value)."""

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
    #: The process running it: a run left "running" by a dead process was interrupted.
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


@dataclass(frozen=True)
class FailedAttempt:
    """The latest attempt on a data set that did not complete, for My Data's "last failure"."""

    run_id: str
    at: datetime
    status: str
    error: ErrorInfo | None


#: Runs executing in this process right now (a run of this pid not listed here was abandoned).
EXECUTING: set[str] = set()


def _alive(pid: int | None, run_id: str | None = None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return run_id is None or run_id in EXECUTING
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner() -> str:
    """This process, as a lease owner: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", -1)
    return int(count) if isinstance(count, int) else -1


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class RunLedger:
    """Reads and writes run history; every write is a short transaction (no long lock)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    @classmethod
    def at(
        cls, url: str, clock: Callable[[], datetime], *, notes: list[str] | None = None
    ) -> RunLedger:
        return cls(create_metadata_engine(url, notes=notes), clock)

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
        """Record a new running run; ``datasets`` are (name, kind, source, method, expected);
        ``trigger`` says what started it ("manual", "schedule")."""
        EXECUTING.add(run_id)
        with self._lock, Session(self._engine) as session, session.begin():
            session.add(
                RunRow(
                    id=run_id,
                    kind=kind,
                    status="running",
                    connection=connection,
                    folder=folder,
                    spec_toml=spec_toml,
                    started_at=started_at,
                    pid=os.getpid(),
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
        """Runs left "running" by a process that died (or, in this process, by a run whose
        thread is gone): mark them interrupted and due for a resume at once. My Data is
        untouched, since nothing unpublished is visible; their staged pages are kept."""
        with self._lock, Session(self._engine) as session, session.begin():
            running = session.scalars(select(RunRow).where(RunRow.status == "running")).all()
            rows = [row for row in running if not _alive(row.pid, row.id)]
            now = self._clock()
            error = ErrorInfo(
                kind="interrupted",
                message="The run stopped before it finished (the process ended).",
                remedy="It resumes where it stopped; My Data still holds the data of the last "
                "complete import.",
                actions=("resume",),
            )
            for row in rows:
                row.status = "failed"
                row.finished_at = now
                row.resume_at = now
                row.error_json = error.to_json()
                for dataset in session.scalars(
                    select(RunDatasetRow).where(
                        RunDatasetRow.run_id == row.id,
                        RunDatasetRow.status.in_(("pending", "running")),
                    )
                ):
                    dataset.status = "interrupted"
                    dataset.error_json = error.to_json()
            return [row.id for row in rows]

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

    def claim(self, run_id: str, owner: str | None = None) -> bool:
        """Take a stopped run for resuming; False when another process took it first.

        One conditional UPDATE: of several processes claiming the same run, exactly one
        changes the row (the others' WHERE no longer matches), so exactly one resumes it."""
        with self._lock, Session(self._engine) as session, session.begin():
            taken = session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status.not_in(("running", "complete")))
                .values(
                    status="running",
                    finished_at=None,
                    resume_at=None,
                    pid=os.getpid(),
                    lease_owner=owner or _owner(),
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(taken) != 1:
                return False
            EXECUTING.add(run_id)
            return True

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
