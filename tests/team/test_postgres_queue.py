"""Team mode's queue on PostgreSQL (procrastinate under the job port): one holder per job,
renewed heartbeats keep it, a worker killed outright loses it to the next claimer, and two
worker processes racing on one queue never take the same job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfimport.jobs.port import JobKind, JobStatus
from sfimport.jobs.postgres import PostgresJobQueue
from sfimport.settings import metadata_database_url
from sfimport.store.metadata import create_metadata_engine

#: Short, so a lapse is seen quickly; waits below are bounded polls, never fixed sleeps.
LEASE = 1.0

WORKER = """
import json, sys, time
from sfimport.jobs.postgres import PostgresJobQueue
url, name, go = sys.argv[1], sys.argv[2], sys.argv[3]
queue = PostgresJobQueue(url, lease_seconds=float(sys.argv[4]))
print("ready", flush=True)
while not __import__("os").path.exists(go):
    time.sleep(0.01)
taken = []
while (job := queue.claim(name)) is not None:
    taken.append(job.run_id)
    queue.complete(job.id, name)
print(json.dumps(taken), flush=True)
queue.close()
"""

HOLDER = """
import sys, time
from sfimport.jobs.postgres import PostgresJobQueue
queue = PostgresJobQueue(sys.argv[1], lease_seconds=float(sys.argv[3]))
job = queue.claim(sys.argv[2])
print(job.run_id if job else "none", flush=True)
time.sleep(600)
"""


@pytest.fixture
def url(postgres_url: str) -> Iterator[str]:
    """A schema at the newest revision (procrastinate's tables included)."""
    sqlalchemy_url = metadata_database_url(postgres_url)
    create_metadata_engine(sqlalchemy_url).dispose()
    yield sqlalchemy_url


@pytest.fixture
def queue(url: str) -> Iterator[PostgresJobQueue]:
    opened = PostgresJobQueue(url, lease_seconds=LEASE)
    yield opened
    opened.close()


def wait_for(condition: object, what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def test_a_job_goes_to_one_worker_until_it_ends(queue: PostgresJobQueue) -> None:
    job_id = queue.enqueue(JobKind.RUN, "run-1")
    assert queue.get(job_id).status is JobStatus.QUEUED
    job = queue.claim("host-a:1")
    assert job is not None and (job.id, job.run_id, job.owner) == (job_id, "run-1", "host-a:1")
    assert job.replaced is None and job.attempts == 1
    assert queue.claim("host-b:2") is None, "a held job is claimed by nobody else"
    assert queue.renew(job_id, "host-a:1") and not queue.renew(job_id, "host-b:2")
    queue.complete(job_id, "host-b:2")  # not its job: nothing happens
    assert queue.get(job_id).status is JobStatus.RUNNING
    queue.complete(job_id, "host-a:1")
    assert queue.get(job_id).status is JobStatus.DONE
    assert queue.claim("host-b:2") is None


def test_two_jobs_of_one_run_never_run_at_once(queue: PostgresJobQueue) -> None:
    first = queue.enqueue(JobKind.RUN, "run-1")
    second = queue.enqueue(JobKind.RUN, "run-1")
    assert (job := queue.claim("host-a:1")) is not None and job.id == first
    assert queue.claim("host-b:2") is None  # the run's lock is held
    queue.complete(first, "host-a:1")
    assert (job := queue.claim("host-b:2")) is not None and job.id == second


def test_a_released_job_is_claimed_again_and_a_failed_one_is_not(
    queue: PostgresJobQueue,
) -> None:
    job_id = queue.enqueue(JobKind.RUN, "run-1")
    assert queue.claim("host-a:1") is not None
    queue.release(job_id, "host-a:1")
    assert queue.get(job_id).status is JobStatus.QUEUED
    again = queue.claim("host-b:2")
    assert again is not None and again.id == job_id and again.owner == "host-b:2"
    queue.fail(job_id, "host-b:2", "boom")
    assert queue.get(job_id).status is JobStatus.FAILED
    assert queue.claim("host-a:1") is None


def test_a_worker_killed_outright_loses_its_job_to_the_next_claimer(
    url: str, queue: PostgresJobQueue
) -> None:
    queue.enqueue(JobKind.RUN, "run-killed")
    holder = python(HOLDER, url, "host-a:41", str(LEASE))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "run-killed"
    assert queue.claim("host-b:42") is None  # held, and its holder's heartbeat is fresh
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()

    wait_for(lambda: queue.lapsed(), "the killed worker's lease to lapse")
    (lapsed,) = queue.lapsed()
    assert (lapsed.run_id, lapsed.owner) == ("run-killed", "host-a:41")
    taken = queue.claim("host-b:42")
    assert taken is not None and taken.run_id == "run-killed"
    assert taken.replaced == "host-a:41" and taken.attempts == 2
    assert queue.lapsed() == []


def test_two_worker_processes_never_take_the_same_job(
    url: str, queue: PostgresJobQueue, tmp_path: Path
) -> None:
    runs = [f"run-{n:02d}" for n in range(40)]
    for run_id in runs:
        queue.enqueue(JobKind.RUN, run_id)
    go = tmp_path / "go"
    workers = [python(WORKER, url, f"host-{n}:{n}", str(go), "30") for n in (1, 2)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()  # both start claiming at once
    taken = []
    for worker in workers:
        assert worker.stdout is not None
        taken.append(json.loads(worker.stdout.readline()))
        assert worker.wait(timeout=120) == 0
        worker.stdout.close()
    together = taken[0] + taken[1]
    assert sorted(together) == runs, "every job claimed exactly once"
    assert not set(taken[0]) & set(taken[1])
