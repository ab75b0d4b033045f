"""Refresh schedules: when one fires next. A schedule is ``30m``, ``1h``, ``1d`` (every so
long) or a five-field cron expression in UTC, and belongs to one data set or one connection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import cast

from croniter import croniter

from sfimport.errors import UsageError

_EVERY = re.compile(r"^(\d+)\s*([mhd])$")
#: Schedule keys of a whole connection carry this prefix (data set keys are Folder.Name).
CONNECTION_PREFIX = "connection:"


def next_run(every: str, now: datetime) -> datetime:
    """The next time a schedule fires after ``now``; UsageError for anything else."""
    text = every.strip()
    match = _EVERY.match(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise UsageError("A schedule interval must be positive.")
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now + timedelta(**{unit: amount})
    if not croniter.is_valid(text):
        raise UsageError(
            f"{every!r} is not a schedule: write 30m, 1h, 1d or a cron expression "
            "such as '0 6 * * *'."
        )
    moment = croniter(text, now).get_next(datetime)
    return cast(datetime, moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def connection_key(connection: str) -> str:
    return f"{CONNECTION_PREFIX}{connection}"


def connection_of(key: str) -> str | None:
    """The connection a schedule key names, or None for a data set's schedule."""
    return key[len(CONNECTION_PREFIX) :] if key.startswith(CONNECTION_PREFIX) else None
