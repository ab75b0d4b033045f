"""Which queue a metadata database gets: procrastinate on PostgreSQL (team mode), the
embedded table on SQLite (the single-user default)."""

from __future__ import annotations

from sqlalchemy import Engine

from sfimport.jobs.port import JobQueue
from sfimport.jobs.sql import SqlJobQueue


def open_queue(engine: Engine, *, lease_seconds: float) -> JobQueue:
    """The queue of the metadata database ``engine`` opens; :func:`close_queue` ends it."""
    if engine.dialect.name == "postgresql":
        # Imported only in team mode: the single-user default never loads procrastinate.
        from sfimport.jobs.postgres import PostgresJobQueue

        return PostgresJobQueue(engine.url, lease_seconds=lease_seconds)
    return SqlJobQueue(engine, lease_seconds=lease_seconds)


def close_queue(queue: JobQueue) -> None:
    """Stop what a queue holds open (procrastinate's connections and event loop)."""
    close = getattr(queue, "close", None)
    if callable(close):
        close()
