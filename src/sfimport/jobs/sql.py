"""The job queue over the metadata database (SQLAlchemy Core; SQLite now, PostgreSQL alike):
claims and renewals are single conditional UPDATEs, so no two workers ever hold one job."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from sfimport.errors import NotFound
from sfimport.jobs.port import Job, JobKind, JobStatus
from sfimport.store.leases import wall_clock
from sfimport.store.metadata import Base, UtcDateTime

#: Created by migration 0005; declared here for the queries (Core, not the ORM).
jobs_table = Table(
    "engine_jobs",
    Base.metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("run_id", String(40), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("owner", String(120), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("enqueued_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
)

#: How many claimable jobs one claim looks at before giving up to the others.
_CANDIDATES = 20


class SqlJobQueue:
    """The embedded default queue: a table in the data folder's metadata database."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float,
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._now = now

    @property
    def lease_seconds(self) -> float:
        return self._lease.total_seconds()

    def enqueue(self, kind: JobKind, run_id: str) -> str:
        # Ids sort in the order jobs were queued (the claim order), even on a frozen clock.
        job_id = f"{time.time_ns():020d}{uuid.uuid4().hex[:16]}"
        with self._engine.begin() as connection:
            connection.execute(
                insert(jobs_table).values(
                    id=job_id,
                    kind=kind.value,
                    run_id=run_id,
                    status=JobStatus.QUEUED.value,
                    attempts=0,
                    enqueued_at=self._now(),
                )
            )
        return job_id

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        """Queued and held by nobody, or running under a lease that lapsed."""
        c = jobs_table.c
        return and_(
            c.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
            or_(c.owner.is_(None), c.lease_until.is_(None), c.lease_until < now),
        )

    def claim(self, worker: str) -> Job | None:
        """Take the oldest claimable job. Each attempt is one conditional UPDATE that also
        pins the holder seen, so of workers racing for a job exactly one changes its row."""
        c = jobs_table.c
        now = self._now()
        with self._engine.connect() as connection:
            candidates = connection.execute(
                select(c.id, c.owner)
                .where(self._claimable(now))
                .order_by(c.enqueued_at, c.id)
                .limit(_CANDIDATES)
            ).all()
        for job_id, seen in candidates:
            with self._engine.begin() as connection:
                taken = connection.execute(
                    update(jobs_table)
                    .where(c.id == job_id, self._claimable(now))
                    .where(c.owner.is_(None) if seen is None else c.owner == seen)
                    .values(
                        status=JobStatus.RUNNING.value,
                        owner=worker,
                        lease_until=now + self._lease,
                        attempts=c.attempts + 1,
                    )
                )
                if taken.rowcount == 1:
                    row = connection.execute(select(jobs_table).where(c.id == job_id)).one()
                    return _job(row, replaced=seen)
        return None

    def renew(self, job_id: str, worker: str) -> bool:
        c = jobs_table.c
        with self._engine.begin() as connection:
            renewed = connection.execute(
                update(jobs_table)
                .where(c.id == job_id, c.owner == worker, c.status == JobStatus.RUNNING.value)
                .values(lease_until=self._now() + self._lease)
            )
            return renewed.rowcount == 1

    def complete(self, job_id: str, worker: str) -> None:
        self._end(job_id, worker, JobStatus.DONE, None)

    def fail(self, job_id: str, worker: str, error: str) -> None:
        self._end(job_id, worker, JobStatus.FAILED, error)

    def _end(self, job_id: str, worker: str, status: JobStatus, error: str | None) -> None:
        c = jobs_table.c
        with self._engine.begin() as connection:
            connection.execute(
                update(jobs_table)
                .where(c.id == job_id, c.owner == worker, c.status == JobStatus.RUNNING.value)
                .values(status=status.value, lease_until=None, finished_at=self._now(), error=error)
            )

    def release(self, job_id: str, worker: str) -> None:
        c = jobs_table.c
        with self._engine.begin() as connection:
            connection.execute(
                update(jobs_table)
                .where(c.id == job_id, c.owner == worker, c.status == JobStatus.RUNNING.value)
                .values(status=JobStatus.QUEUED.value, owner=None, lease_until=None)
            )

    def lapsed(self) -> list[Job]:
        """Running jobs whose holder stopped renewing (the next claim resumes them)."""
        c = jobs_table.c
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(jobs_table).where(
                    c.status == JobStatus.RUNNING.value,
                    or_(c.lease_until.is_(None), c.lease_until < self._now()),
                )
            ).all()
        return [_job(row) for row in rows]

    def get(self, job_id: str) -> Job:
        with self._engine.connect() as connection:
            row = connection.execute(select(jobs_table).where(jobs_table.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"There is no job {job_id}.")
        return _job(row)


def _job(row: Row[tuple[object, ...]], replaced: str | None = None) -> Job:
    values = row._mapping
    until = values["lease_until"]
    return Job(
        id=str(values["id"]),
        kind=JobKind(values["kind"]),
        run_id=str(values["run_id"]),
        status=JobStatus(values["status"]),
        attempts=int(values["attempts"]),
        owner=values["owner"],
        lease_until=until.astimezone(UTC) if isinstance(until, datetime) else None,
        replaced=replaced,
    )
