"""Queries over My Data from the web: a deadline, a cap on how many run at once, and an end.

Every query runs in a worker thread with a :class:`QueryCancel`; the query is interrupted when
its deadline passes (``SFIMPORT_QUERY_TIMEOUT``), when its client disconnects, or when the
server stops, so a runaway cross join never pins the machine or holds My Data.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from sfimport.app.ports import PreviewView, QueryCancel, WorkspacePort
from sfimport.errors import QueryCancelled, TooManyQueries

#: How often a running query checks whether its client is still there (seconds).
DISCONNECT_POLL = 0.2


class QueryGate:
    """The queries running now: at most ``limit`` at once, all cancelled on shutdown."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._running: set[QueryCancel] = set()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @contextmanager
    def slot(self) -> Iterator[QueryCancel]:
        cancel = QueryCancel()
        with self._lock:
            if self._closed:
                raise QueryCancelled("sfimport is stopping; the query was not started.")
            if len(self._running) >= self.limit:
                raise TooManyQueries(
                    f"{len(self._running)} queries over My Data are running already "
                    f"(at most {self.limit} at once, SFIMPORT_MAX_QUERIES)."
                )
            self._running.add(cancel)
        try:
            yield cancel
        finally:
            with self._lock:
                self._running.discard(cancel)

    def cancel_all(self) -> None:
        """Interrupt every running query and refuse new ones (the server is stopping)."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for cancel in running:
            cancel.cancel()


async def run_query(
    request: Request, workspace: WorkspacePort, sql: str, limit: int
) -> PreviewView:
    """Run one query in a worker thread; interrupt it if the client goes away meanwhile."""
    gate: QueryGate = request.app.state.queries
    with gate.slot() as cancel:
        work = asyncio.ensure_future(
            run_in_threadpool(partial(workspace.query, sql, limit, cancel=cancel))
        )
        while not work.done():
            await asyncio.wait({work}, timeout=DISCONNECT_POLL)
            if not work.done() and await request.is_disconnected():
                cancel.cancel()
        return await work
