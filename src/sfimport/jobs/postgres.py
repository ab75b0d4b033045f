"""The job queue of team mode: the queue port on procrastinate, a PostgreSQL job library, so
workers on any number of hosts share one queue in the team's database.

Why procrastinate: it is maintained, PostgreSQL-only (no broker to run beside the database),
and its claim is one ``FOR UPDATE SKIP LOCKED`` statement in its own SQL functions; its worker
heartbeats are the leases the port asks for. sfimport keeps its own worker loop (the port's
claim/renew/complete), because a run must resume from its checkpoint on whichever host claims
it next, and uses procrastinate's job manager underneath:

- a job is a procrastinate job on the queue ``sfimport`` whose ``lock`` is its run id, so no
  two jobs of one run are ever running at once;
- a worker name (``host:pid``) is a procrastinate worker row (named in ``team_queue_workers``)
  whose heartbeat ``renew`` refreshes; a job whose worker stopped beating for a lease term is
  stalled, put back to ``todo`` by the next claim (only one claimer can: the retry is
  conditional) and fetched by it, which then resumes the run.

The schema is procrastinate's own, applied by an Alembic revision like every other table.
procrastinate's API is asynchronous; the port is not, so one event-loop thread per queue
runs its calls.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from procrastinate import App, PsycopgConnector
from procrastinate import jobs as pjobs
from procrastinate.exceptions import ConnectorException
from sqlalchemy.engine import URL, make_url

from sfimport.errors import NotFound
from sfimport.jobs.port import Job, JobKind, JobStatus

#: The procrastinate queue sfimport's jobs go to (a database may hold other apps' queues).
QUEUE = "sfimport"
TASK = "sfimport.job"
#: Workers silent this many lease terms are forgotten (their jobs were resumed long before).
_PRUNE_AFTER_LEASES = 10
_STATUS = {
    "todo": JobStatus.QUEUED,
    "doing": JobStatus.RUNNING,
    "succeeded": JobStatus.DONE,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.FAILED,
    "aborted": JobStatus.FAILED,
}
T = TypeVar("T")


def libpq_url(url: str | URL) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class _Loop:
    """An event loop on its own thread, for calling an asynchronous library synchronously."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class PostgresJobQueue:
    """The queue port on procrastinate (see the module's docstring)."""

    def __init__(self, url: str | URL, *, lease_seconds: float) -> None:
        self._lease = lease_seconds
        self._loop = _Loop("sfimport-queue")
        self._connector = PsycopgConnector(conninfo=libpq_url(url), min_size=1, max_size=4)
        self._app = App(connector=self._connector)
        self._manager = self._app.job_manager
        self._workers: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._loop.run(self._connector.open_async())

    def close(self) -> None:
        """Close the connections and the loop; once (a second call does nothing)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._loop.run(self._connector.close_async())
        self._loop.close()

    @property
    def lease_seconds(self) -> float:
        return self._lease

    # --- the port --------------------------------------------------------------------------

    def enqueue(self, kind: JobKind, run_id: str) -> str:
        job = pjobs.Job(
            id=None,
            queue=QUEUE,
            lock=run_id,
            queueing_lock=None,
            task_name=TASK,
            task_kwargs={"kind": kind.value, "run_id": run_id},
        )
        deferred = self._loop.run(self._manager.defer_job_async(job))
        return str(deferred.id)

    def claim(self, worker: str) -> Job | None:
        return self._loop.run(self._claim(worker))

    def renew(self, job_id: str, worker: str) -> bool:
        return self._loop.run(self._renew(job_id, worker))

    def complete(self, job_id: str, worker: str) -> None:
        self._loop.run(self._finish(job_id, worker, pjobs.Status.SUCCEEDED))

    def fail(self, job_id: str, worker: str, error: str) -> None:
        # procrastinate keeps no error text on a job; the run records the error itself.
        self._loop.run(self._finish(job_id, worker, pjobs.Status.FAILED))

    def release(self, job_id: str, worker: str) -> None:
        self._loop.run(self._release(job_id, worker))

    def lapsed(self) -> list[Job]:
        return self._loop.run(self._lapsed())

    def get(self, job_id: str) -> Job:
        return self._loop.run(self._get(job_id))

    # --- on the loop -----------------------------------------------------------------------

    async def _worker_id(self, worker: str) -> int:
        """This process's procrastinate worker row for ``worker``, registered on first use and
        again if it was pruned (a worker silent too long is forgotten)."""
        known = self._workers.get(worker)
        if known is not None and await self._names([known]):
            return known
        worker_id = await self._manager.register_worker()
        await self._connector.execute_query_async(
            "INSERT INTO team_queue_workers (worker_id, name) VALUES (%(worker_id)s, %(name)s)",
            worker_id=worker_id,
            name=worker,
        )
        self._workers[worker] = worker_id
        return worker_id

    async def _names(self, worker_ids: list[int]) -> dict[int, str]:
        rows = await self._connector.execute_query_all_async(
            "SELECT worker_id, name FROM team_queue_workers WHERE worker_id = ANY(%(ids)s)",
            ids=worker_ids,
        )
        return {int(row["worker_id"]): str(row["name"]) for row in rows}

    async def _claim(self, worker: str) -> Job | None:
        worker_id = await self._worker_id(worker)
        await self._manager.update_heartbeat(worker_id)
        # Jobs of workers that stopped beating go back to the queue; of claimers racing for
        # one, the first retry wins and the others are told it is no longer "doing".
        replaced: dict[int, int | None] = {}
        for stalled in await self._manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self._lease
        ):
            try:
                await self._manager.retry_job(stalled)
            except ConnectorException:
                continue
            assert stalled.id is not None
            replaced[stalled.id] = stalled.worker_id
        await self._manager.prune_stalled_workers(self._lease * _PRUNE_AFTER_LEASES)
        fetched = await self._manager.fetch_job([QUEUE], worker_id)
        if fetched is None or fetched.id is None:
            return None
        previous: str | None = None
        if fetched.id in replaced:
            before = replaced[fetched.id]
            names = await self._names([before]) if before is not None else {}
            previous = names.get(before, f"worker {before}") if before else "a lost worker"
        return _job(fetched, owner=worker, replaced=previous)

    async def _renew(self, job_id: str, worker: str) -> bool:
        worker_id = self._workers.get(worker)
        if worker_id is None:
            return False
        await self._manager.update_heartbeat(worker_id)
        found = await self._manager.list_jobs_async(id=int(job_id))
        return any(j.status == "doing" and j.worker_id == worker_id for j in found)

    async def _held(self, job_id: str, worker: str) -> pjobs.Job | None:
        worker_id = self._workers.get(worker)
        found = await self._manager.list_jobs_async(id=int(job_id))
        for job in found:
            if worker_id is not None and job.status == "doing" and job.worker_id == worker_id:
                return job
        return None

    async def _finish(self, job_id: str, worker: str, status: pjobs.Status) -> None:
        job = await self._held(job_id, worker)
        if job is None:
            return  # taken over meanwhile: the new holder ends it
        try:
            await self._manager.finish_job(job, status, delete_job=False)
        except ConnectorException:
            return  # ended by its new holder between the check and here

    async def _release(self, job_id: str, worker: str) -> None:
        job = await self._held(job_id, worker)
        if job is None:
            return
        try:
            await self._manager.retry_job(job)
        except ConnectorException:
            return

    async def _lapsed(self) -> list[Job]:
        stalled = list(
            await self._manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self._lease)
        )
        names = await self._names([j.worker_id for j in stalled if j.worker_id is not None])
        return [
            _job(j, owner=names.get(j.worker_id) if j.worker_id is not None else None)
            for j in stalled
        ]

    async def _get(self, job_id: str) -> Job:
        try:
            found = list(await self._manager.list_jobs_async(id=int(job_id)))
        except ValueError:
            found = []
        if not found:
            raise NotFound(f"There is no job {job_id}.")
        job = found[0]
        names = await self._names([job.worker_id]) if job.worker_id is not None else {}
        owner = names.get(job.worker_id) if job.worker_id is not None else None
        return _job(job, owner=owner if job.status == "doing" else None)


def _job(job: pjobs.Job, *, owner: str | None, replaced: str | None = None) -> Job:
    kwargs = job.task_kwargs
    return Job(
        id=str(job.id),
        kind=JobKind(str(kwargs["kind"])),
        run_id=str(kwargs["run_id"]),
        status=_STATUS.get(str(job.status), JobStatus.FAILED),
        # procrastinate counts finished attempts; the port counts claims (this one included).
        attempts=job.attempts + (1 if job.status == "doing" else 0),
        owner=owner,
        replaced=replaced,
    )
