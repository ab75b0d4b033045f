"""Team mode's shared API allowance: one row per org in the metadata database holding the
org's last reported usage and every process's calls in flight, so that workers on several
hosts reserve calls from one budget and never cross it together.

A reservation is one conditional UPDATE (the row lock serialises racing workers): it books a
call only if usage plus all calls in flight plus this one stays within the ceiling. A process
killed mid-call leaves its booking behind; a row that nobody settled for
:data:`STALE_AFTER` forgets its calls in flight (no Salesforce call lasts that long).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Integer, String, Table, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from sfimport.store.metadata import Base, UtcDateTime

#: Calls in flight booked longer ago than this were made by a process that died.
STALE_AFTER = timedelta(minutes=10)

allowances = Table(
    "org_api_allowances",
    Base.metadata,
    Column("org", String(255), primary_key=True),
    Column("used", Integer, nullable=False),
    Column("maximum", Integer, nullable=False),
    Column("in_flight", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


class SqlAllowance:
    """The :class:`sfimport.extract.budget.SharedAllowance` of a metadata database."""

    def __init__(
        self, engine: Engine, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._now = now
        #: Orgs whose row this process has seen (rows are never deleted).
        self._known: set[str] = set()

    def reserve(self, key: str, ceiling: int, maximum: int, used: int | None) -> int | None:
        now = self._now()
        c = allowances.c
        seen = used or 0
        fresh = c.updated_at >= now - STALE_AFTER
        in_flight = case((fresh, c.in_flight), else_=0)
        known = case((c.used < seen, seen), else_=c.used)
        self._ensure(key, seen, maximum, now)
        with self._engine.begin() as connection:
            booked = connection.execute(
                update(allowances)
                .where(c.org == key, known + in_flight + 1 <= ceiling)
                .values(used=known, maximum=maximum, in_flight=in_flight + 1, updated_at=now)
            )
            if booked.rowcount == 1:
                return None
            row = connection.execute(
                select(c.used, c.in_flight, c.updated_at).where(c.org == key)
            ).one()
        flying = row.in_flight if row.updated_at >= now - STALE_AFTER else 0
        return max(int(row.used), seen) + int(flying)

    def settle(self, key: str, used: int | None) -> None:
        c = allowances.c
        now = self._now()
        if used is None:
            new_used = c.used + 1
        else:
            # Answers arrive out of order, from every worker: the figure only grows. A lower
            # one is believed only on a row left alone for a while (the daily allowance rolls);
            # until then the budget errs on the safe side.
            new_used = case(
                (c.used < used, used), (c.updated_at < now - STALE_AFTER, used), else_=c.used
            )
        with self._engine.begin() as connection:
            connection.execute(
                update(allowances)
                .where(c.org == key)
                .values(
                    used=new_used,
                    in_flight=case((c.in_flight > 0, c.in_flight - 1), else_=0),
                    updated_at=now,
                )
            )

    def state(self, key: str) -> tuple[int, int, int] | None:
        """(used, maximum, calls in flight) as every process sees them; None: never booked."""
        c = allowances.c
        with self._engine.connect() as connection:
            row = connection.execute(
                select(c.used, c.maximum, c.in_flight).where(c.org == key)
            ).first()
        return None if row is None else (int(row.used), int(row.maximum), int(row.in_flight))

    def _ensure(self, key: str, used: int, maximum: int, now: datetime) -> None:
        if key in self._known:
            return
        with self._engine.connect() as connection:
            if connection.execute(select(allowances.c.org).where(allowances.c.org == key)).first():
                self._known.add(key)
                return
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(allowances).values(
                        org=key, used=used, maximum=maximum, in_flight=0, updated_at=now
                    )
                )
        except IntegrityError:
            pass  # another process made the row first
        self._known.add(key)
