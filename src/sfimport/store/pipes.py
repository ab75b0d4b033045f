"""Pipes in the metadata database: each pipe's current definition and what it reads, every saved
version, its schedule, and one row per rebuild (run) with the error of a failed one."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import uuid4

from sqlalchemy import Integer, String, Text, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from sfimport.errors import NotFound, PipeInvalid
from sfimport.store.metadata import Base, UtcDateTime


class PipeRunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


class PipeRow(Base):
    __tablename__ = "pipes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: "folder.name" in lower case: the output data set, unique like DuckDB's names.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    folder: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    #: The data sets it reads, as a JSON list of "folder.name" in lower case.
    sources_json: Mapped[str] = mapped_column(Text)
    every: Mapped[str] = mapped_column(String(100), default="")
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PipeVersionRow(Base):
    __tablename__ = "pipe_versions"

    pipe_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PipeRunRow(Base):
    __tablename__ = "pipe_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pipe_id: Mapped[str] = mapped_column(String(40), index=True)
    pipe: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    #: "save", "manual", "publish" (a source changed) or "schedule".
    trigger: Mapped[str] = mapped_column(String(16))
    #: What caused it: the import run whose publish it follows, or "".
    cause: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_json: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class PipeError:
    """Why a rebuild failed: the pipe, the step and the column, and what to do."""

    message: str
    remedy: str
    step: str | None = None
    column: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> PipeError:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class StoredPipe:
    id: str
    folder: str
    name: str
    version: int
    definition: str
    sources: tuple[str, ...]
    every: str
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def qualified(self) -> str:
        return f"{self.folder}.{self.name}"

    @property
    def key(self) -> str:
        return self.qualified.lower()


@dataclass(frozen=True)
class PipeVersion:
    version: int
    definition: str
    created_at: datetime


@dataclass(frozen=True)
class PipeRun:
    id: str
    pipe: str
    version: int
    trigger: str
    cause: str
    status: PipeRunStatus
    started_at: datetime
    finished_at: datetime | None
    rows: int | None
    error: PipeError | None


class PipeBook:
    """Reads and writes pipes, their versions and their runs; each call one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all(self) -> list[StoredPipe]:
        with Session(self._engine) as session:
            rows = session.scalars(select(PipeRow).order_by(PipeRow.key)).all()
            return [_pipe(r) for r in rows]

    def find(self, qualified: str) -> StoredPipe | None:
        with Session(self._engine) as session:
            row = session.scalars(select(PipeRow).where(PipeRow.key == qualified.lower())).first()
            return _pipe(row) if row else None

    def get(self, qualified: str) -> StoredPipe:
        found = self.find(qualified)
        if found is None:
            raise NotFound(
                f"There is no pipe {qualified}.",
                remedy="List the pipes with 'sfimport pipe list'.",
            )
        return found

    def save(
        self,
        *,
        folder: str,
        name: str,
        definition: str,
        sources: Sequence[str],
        every: str,
        next_run_at: datetime | None,
        now: datetime,
    ) -> StoredPipe:
        """Create the pipe, or add a version to it: the new definition becomes current."""
        key = f"{folder}.{name}".lower()
        try:
            return self._save(key, folder, name, definition, sources, every, next_run_at, now)
        except IntegrityError as error:
            # Another process made the same pipe at the same moment.
            raise PipeInvalid(f"There is a pipe {folder}.{name} already.") from error

    def _save(
        self,
        key: str,
        folder: str,
        name: str,
        definition: str,
        sources: Sequence[str],
        every: str,
        next_run_at: datetime | None,
        now: datetime,
    ) -> StoredPipe:
        with Session(self._engine) as session, session.begin():
            row = session.scalars(select(PipeRow).where(PipeRow.key == key)).first()
            if row is None:
                row = PipeRow(
                    id=uuid4().hex,
                    key=key,
                    folder=folder,
                    name=name,
                    version=0,
                    created_at=now,
                )
                session.add(row)
            row.version += 1
            row.definition = definition
            row.sources_json = json.dumps(list(sources))
            row.every = every
            row.next_run_at = next_run_at
            row.updated_at = now
            session.flush()
            session.add(
                PipeVersionRow(
                    pipe_id=row.id, version=row.version, definition=definition, created_at=now
                )
            )
            return _pipe(row)

    def versions(self, pipe_id: str) -> list[PipeVersion]:
        with Session(self._engine) as session:
            rows = session.scalars(
                select(PipeVersionRow)
                .where(PipeVersionRow.pipe_id == pipe_id)
                .order_by(PipeVersionRow.version.desc())
            ).all()
            return [PipeVersion(r.version, r.definition, r.created_at) for r in rows]

    def delete(self, pipe_id: str) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(delete(PipeVersionRow).where(PipeVersionRow.pipe_id == pipe_id))
            session.execute(delete(PipeRunRow).where(PipeRunRow.pipe_id == pipe_id))
            session.execute(delete(PipeRow).where(PipeRow.id == pipe_id))

    def fire(self, pipe_id: str, seen: datetime, next_run_at: datetime) -> bool:
        """Move a due schedule on, if it still says ``seen``: True for the one caller that
        moved it (one conditional UPDATE, so two schedulers never both run it)."""
        with Session(self._engine) as session, session.begin():
            moved = session.execute(
                update(PipeRow)
                .where(PipeRow.id == pipe_id, PipeRow.next_run_at == seen)
                .values(next_run_at=next_run_at)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(moved, "rowcount", 0) or 0) == 1

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, pipe: StoredPipe, *, trigger: str, cause: str, started_at: datetime) -> str:
        # Sortable by creation (a frozen or coarse clock gives runs equal start times).
        run_id = f"{time.time_ns():020d}-{uuid4().hex[:12]}"
        with Session(self._engine) as session, session.begin():
            session.add(
                PipeRunRow(
                    id=run_id,
                    pipe_id=pipe.id,
                    pipe=pipe.qualified,
                    version=pipe.version,
                    trigger=trigger,
                    cause=cause,
                    status=PipeRunStatus.RUNNING.value,
                    started_at=started_at,
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        *,
        finished_at: datetime,
        rows: int | None = None,
        error: PipeError | None = None,
    ) -> None:
        status = PipeRunStatus.FAILED if error else PipeRunStatus.COMPLETE
        with Session(self._engine) as session, session.begin():
            row = session.get(PipeRunRow, run_id)
            if row is None:
                return
            row.status = status.value
            row.finished_at = finished_at
            row.rows = rows
            row.error_json = error.to_json() if error else None

    def runs(self, pipe_id: str | None = None, limit: int = 20) -> list[PipeRun]:
        query = select(PipeRunRow).order_by(PipeRunRow.started_at.desc(), PipeRunRow.id.desc())
        if pipe_id is not None:
            query = query.where(PipeRunRow.pipe_id == pipe_id)
        with Session(self._engine) as session:
            return [_run(r) for r in session.scalars(query.limit(limit)).all()]


def _pipe(row: PipeRow) -> StoredPipe:
    return StoredPipe(
        id=row.id,
        folder=row.folder,
        name=row.name,
        version=row.version,
        definition=row.definition,
        sources=tuple(json.loads(row.sources_json)),
        every=row.every,
        next_run_at=row.next_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _run(row: PipeRunRow) -> PipeRun:
    return PipeRun(
        id=row.id,
        pipe=row.pipe,
        version=row.version,
        trigger=row.trigger,
        cause=row.cause,
        status=PipeRunStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        rows=row.rows,
        error=PipeError.from_json(row.error_json) if row.error_json else None,
    )
