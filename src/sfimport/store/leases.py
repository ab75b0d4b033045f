"""Leases: who holds a run or a job (a worker named by host and process id) and until when.

Liveness is a lease, not a process id: a holder renews its lease while it works, and a lease
that lapsed (its process died, its host went away) frees the work for whoever claims it next.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Holder:
    """A worker process: the host it runs on and its process id."""

    host: str
    pid: int

    @classmethod
    def parse(cls, owner: str | None) -> Holder | None:
        """The holder an owner string ("host:pid") names; None for none or a foreign shape."""
        if not owner:
            return None
        host, colon, pid = owner.rpartition(":")
        if not colon or not pid.isdigit():
            return None
        return cls(host=host, pid=int(pid))

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


def this_process() -> Holder:
    """This process as a lease holder."""
    return Holder(host=socket.gethostname(), pid=os.getpid())


def wall_clock() -> datetime:
    """Leases run on the machine's real clock, never on an injected (test or org) clock:
    they measure whether processes are alive, not the org's time."""
    return datetime.now(UTC)


def known_dead(owner: str | None) -> bool:
    """True only when ``owner`` is a process of this host that no longer exists.

    A fast path beside the lease, never instead of it: on the host that held it, a missing
    process proves the holder is gone, so a person restarting sfimport after a crash resumes
    at once instead of waiting out the lease. Anything uncertain (another host, a process id
    reused by a live process, no permission to ask) answers False, and the lease decides."""
    holder = Holder.parse(owner)
    if holder is None or holder.host != socket.gethostname() or holder.pid == os.getpid():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def lapsed(owner: str | None, until: datetime | None, now: datetime) -> bool:
    """True when nobody holds the lease any more: no holder, no term, a term passed, or a
    holder known dead on this host."""
    if owner is None or until is None:
        return True
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until < now or known_dead(owner)
