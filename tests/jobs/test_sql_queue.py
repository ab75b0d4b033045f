"""The job queue over the metadata database (SQLite and PostgreSQL): atomic claims, renewed
leases, lapsed leases taken over, and no job ever held by two workers at once (threads with
their own engines race on one database, as processes would)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sfimport.jobs.port import JobKind, JobStatus
from sfimport.jobs.sql import SqlJobQueue
from sfimport.settings import metadata_database_url
from sfimport.store.metadata import create_metadata_engine


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


#: Engines a test opened, closed after it (a PostgreSQL connection left open warns).
OPENED: list[Engine] = []


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    """SQLite (the embedded default) and PostgreSQL (team mode), through the same migrations."""
    yield metadata_database_url(database_url)
    while OPENED:
        OPENED.pop().dispose()


def queue_at(url: str, clock: Clock, lease: float = 30.0) -> SqlJobQueue:
    engine = create_metadata_engine(url)
    OPENED.append(engine)
    return SqlJobQueue(engine, lease_seconds=lease, now=clock)


def test_a_queued_job_goes_to_one_worker_until_it_ends(url: str) -> None:
    clock = Clock()
    queue = queue_at(url, clock)
    job_id = queue.enqueue(JobKind.RUN, "run-1")
    assert queue.get(job_id).status is JobStatus.QUEUED

    job = queue.claim("host-a:1")
    assert job is not None and job.id == job_id and job.run_id == "run-1"
    assert job.owner == "host-a:1" and job.replaced is None and job.attempts == 1
    assert queue.claim("host-b:2") is None, "a held job is claimed by nobody else"

    queue.complete(job_id, "host-a:1")
    assert queue.get(job_id).status is JobStatus.DONE
    assert queue.claim("host-b:2") is None


def test_a_renewed_lease_keeps_the_job_and_a_lapsed_one_frees_it(url: str) -> None:
    clock = Clock()
    queue = queue_at(url, clock, lease=30)
    queue.enqueue(JobKind.RUN, "run-1")
    job = queue.claim("host-a:1")
    assert job is not None

    for _ in range(5):  # renewed every 20 s: held for 100 s, past its 30 s term
        clock.advance(20)
        assert queue.renew(job.id, "host-a:1")
        assert queue.claim("host-b:2") is None
    assert queue.lapsed() == []

    clock.advance(31)  # the holder died: no renewal for a whole term
    assert [j.id for j in queue.lapsed()] == [job.id]
    taken = queue.claim("host-b:2")
    assert taken is not None and taken.id == job.id
    assert taken.replaced == "host-a:1" and taken.attempts == 2
    assert not queue.renew(job.id, "host-a:1"), "the old holder lost it and must stop"
    queue.complete(job.id, "host-a:1")  # a late word from the old holder changes nothing
    assert queue.get(job.id).status is JobStatus.RUNNING
    assert queue.get(job.id).owner == "host-b:2"


def test_a_released_job_is_claimed_again_and_a_failed_one_is_not(url: str) -> None:
    clock = Clock()
    queue = queue_at(url, clock)
    first = queue.enqueue(JobKind.RUN, "run-1")
    second = queue.enqueue(JobKind.RUN, "run-2")
    job = queue.claim("host-a:1")
    assert job is not None and job.id == first, "oldest first"
    queue.release(first, "host-a:1")
    assert queue.get(first).status is JobStatus.QUEUED

    again = queue.claim("host-b:2")
    assert again is not None and again.id == first and again.replaced is None
    queue.fail(first, "host-b:2", "boom")
    assert queue.get(first).status is JobStatus.FAILED
    nxt = queue.claim("host-b:2")
    assert nxt is not None and nxt.id == second


def test_racing_workers_never_hold_one_job_at_once(url: str) -> None:
    """Eight workers, each with its own database engine, claim 40 jobs as fast as they can:
    every job is claimed exactly once, and while a worker holds a job no other claim of it
    succeeds."""
    clock = Clock()
    queue_at(url, clock)  # creates the schema once
    setup = queue_at(url, clock)
    jobs = [setup.enqueue(JobKind.RUN, f"run-{n}") for n in range(40)]
    claims: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        mine = queue_at(url, clock)
        start.wait()
        try:
            while (job := mine.claim(name)) is not None:
                with lock:
                    claims[job.id] += 1
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"host:{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(claims) == sorted(jobs)
    assert set(claims.values()) == {1}, "no job went to two workers"
