"""Field counts on Select data: describes remembered per connection, and made only for short
lists.

Counting an object's fields takes a describe, one API call, and real orgs have hundreds of
objects; so the page shows counts for objects already described, and describes the objects
listed (a bounded number, a few at a time) only when a search has narrowed the list to at most
``DESCRIBE_LIMIT`` objects. Counts are kept for ``ttl`` seconds: fields change rarely, and a
removed field shows up at the next import anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from sfimport.errors import SfimportError
from sfimport.web.ports import ObjectView, WorkspacePort

#: The longest list whose objects are described for their counts.
DESCRIBE_LIMIT = 25
#: Describes in flight at once (Salesforce allows 25 concurrent long requests per org).
DESCRIBE_WORKERS = 4
#: How long a count is trusted, in seconds.
COUNT_TTL = 15 * 60.0


class FieldCounts:
    """Field counts per (connection, object), shared by every session of one app."""

    def __init__(
        self,
        *,
        ttl: float = COUNT_TTL,
        limit: int = DESCRIBE_LIMIT,
        workers: int = DESCRIBE_WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self.limit = limit
        self._workers = workers
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], tuple[int, float]] = {}
        self._records: dict[str, tuple[dict[str, int], float]] = {}

    def records(self, workspace: WorkspacePort, connection: str) -> dict[str, int]:
        """Salesforce's (approximate, cached) record counts of the connection's objects: one
        API call for every object, remembered like field counts; empty when the user cannot
        read them (View Setup and Configuration) or the call fails."""
        now = self._clock()
        with self._lock:
            entry = self._records.get(connection)
        if entry is not None and entry[1] > now:
            return entry[0]
        try:
            counts = dict(workspace.record_counts(connection))
        except SfimportError:
            counts = {}
        with self._lock:
            self._records[connection] = (counts, now + self._ttl)
        return counts

    def counts(
        self,
        workspace: WorkspacePort,
        connection: str,
        objects: Sequence[ObjectView],
        *,
        describe: bool,
    ) -> dict[str, int]:
        """The counts known for ``objects``; with ``describe`` and a short enough list, the
        missing ones are described first. An object that cannot be described stays unknown."""
        for obj in objects:
            engine_count = getattr(obj, "field_count", None)
            if isinstance(engine_count, int):
                self._remember(connection, obj.name, engine_count)
        known = self._known(connection, [o.name for o in objects])
        missing = [o.name for o in objects if o.name not in known]
        if describe and missing and len(objects) <= self.limit:
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                for name, count in zip(
                    missing,
                    pool.map(lambda n: _describe(workspace, connection, n), missing),
                    strict=True,
                ):
                    if count is not None:
                        self._remember(connection, name, count)
                        known[name] = count
        return known

    def forget(self, connection: str) -> None:
        """Drop a connection's counts (deleted, or connected again, maybe to another org)."""
        with self._lock:
            for key in [k for k in self._counts if k[0] == connection]:
                del self._counts[key]
            self._records.pop(connection, None)

    def _remember(self, connection: str, sobject: str, count: int) -> None:
        with self._lock:
            self._counts[(connection, sobject)] = (count, self._clock() + self._ttl)

    def _known(self, connection: str, names: list[str]) -> dict[str, int]:
        now = self._clock()
        with self._lock:
            found = {n: self._counts.get((connection, n)) for n in names}
        return {n: entry[0] for n, entry in found.items() if entry is not None and entry[1] > now}


def _describe(workspace: WorkspacePort, connection: str, sobject: str) -> int | None:
    try:
        return len(workspace.list_fields(connection, sobject))
    except SfimportError:
        return None
