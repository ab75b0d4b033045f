"""The job queue port: what a worker, a scheduler and the services need of a queue, whatever
holds it (the metadata database here; a PostgreSQL job library in team mode)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class JobKind(StrEnum):
    """What a job asks for."""

    #: Execute a recorded run: start a queued one, or resume one from its last checkpoint.
    RUN = "run"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """One unit of queued work and who holds it."""

    id: str
    kind: JobKind
    run_id: str
    status: JobStatus
    attempts: int
    owner: str | None = None
    lease_until: datetime | None = None
    #: On a claim: the holder whose lapsed lease this claim took over (None for a fresh job).
    replaced: str | None = None


class JobQueue(Protocol):
    """A queue whose claims are atomic and whose holders keep leases.

    - ``claim`` hands a job to exactly one worker, however many ask at once: a queued job, or
      a running one whose lease lapsed (its worker died), which the claimer then resumes.
    - A worker ``renew``s its lease while it works; False means it lost the job and must stop.
    - ``complete``/``fail`` end a job; ``release`` hands it back unfinished (a graceful stop)
      for the next claim."""

    @property
    def lease_seconds(self) -> float: ...

    def enqueue(self, kind: JobKind, run_id: str) -> str: ...
    def claim(self, worker: str) -> Job | None: ...
    def renew(self, job_id: str, worker: str) -> bool: ...
    def complete(self, job_id: str, worker: str) -> None: ...
    def fail(self, job_id: str, worker: str, error: str) -> None: ...
    def release(self, job_id: str, worker: str) -> None: ...
    def lapsed(self) -> list[Job]: ...
    def get(self, job_id: str) -> Job: ...
