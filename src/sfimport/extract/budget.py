"""API-call arithmetic of an import (how many calls each data set will use, whether a plan fits
the share of the org's daily allowance it may spend) and the gate that keeps a running import
from crossing that share."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import httpx2

from sfimport.errors import ApiBudgetReached
from sfimport.salesforce.client import ApiUsage, parse_limit_info

#: REST query pages hold at most 2,000 records (Sforce-Query-Options batchSize is only a hint).
REST_PAGE_ROWS = 2000
#: Records per Bulk API 2.0 result page that sfimport asks for (``maxRecords``).
BULK_PAGE_ROWS = 100_000
#: Below this many expected rows a few REST pages beat creating and polling a Bulk job.
REST_THRESHOLD_ROWS = 10_000
#: Report runs return at most 2,000 detail rows; larger reports are sliced by filters.
REPORT_ROWS_PER_RUN = 2000
#: Calls of one asynchronous report run: start the instance, fetch its results.
REPORT_CALLS_PER_RUN = 2
#: Default share of the daily allowance an import may use (the rest is left to other apps).
DEFAULT_BUDGET_PERCENT = 80.0
#: Calls Salesforce counts against the daily allowance: the versioned data API.
_API_CALL = re.compile(r"^/services/data/v\d+\.\d+/")


def bulk_polls(expected_rows: int | None) -> int:
    """Job-status polls a Bulk job needs, roughly: a few, plus one per million rows."""
    return 3 + (expected_rows or 0) // 1_000_000


def object_calls(method: str, expected_rows: int | None) -> int:
    """Calls to import one object, counting describe and the COUNT() already made for the plan.

    REST: one call per 2,000-row page. Bulk: create the job, poll it, one call per result page,
    delete the job. After the run, one more COUNT() checks the data set against Salesforce.
    """
    rows = expected_rows or 0
    planning = 3  # describe + SELECT COUNT(), and the COUNT() check after the run
    if method == "rest":
        return planning + max(1, math.ceil(rows / REST_PAGE_ROWS))
    return planning + 1 + bulk_polls(rows) + max(1, math.ceil(rows / BULK_PAGE_ROWS)) + 1


def report_calls(expected_rows: int | None) -> int:
    """Calls to import one report: describe, then one run per 2,000-row slice.

    Slicing bisects ranges, so a report of ``n`` slices takes up to about twice ``n`` runs.
    Each run is asynchronous: start the instance and fetch it (more polls when it is slow).
    """
    rows = expected_rows or 0
    slices = max(1, math.ceil(rows / REPORT_ROWS_PER_RUN))
    runs = 1 if slices == 1 else 2 * slices
    return 1 + REPORT_CALLS_PER_RUN * runs


#: Calls made while planning, per object: describe and SELECT COUNT().
PLAN_CALLS_PER_OBJECT = 2
#: Polls planning gives a report's summary instance (about 4 s of waiting) before the Review
#: goes on without its row count: a slow report must not hold up the Review.
PLAN_REPORT_POLLS = 4
#: Calls made while planning, per report, at most: find it in the report list, describe it,
#: and a summary-only asynchronous run (start it, poll it) for its row count. The describe is
#: in :func:`report_calls` already.
PLAN_CALLS_PER_REPORT = 3 + PLAN_REPORT_POLLS
#: Report planning calls that :func:`report_calls` does not count (the list and the summary run).
REPORT_PLAN_EXTRA = PLAN_CALLS_PER_REPORT - 1


def planning_calls(objects: int, reports: int) -> int:
    """The calls planning an import makes after reading the limits: see the constants above."""
    return PLAN_CALLS_PER_OBJECT * objects + PLAN_CALLS_PER_REPORT * reports


def budget_calls(usage: ApiUsage | None, percent: float) -> int | None:
    """Calls an import may still use: the budget is a ceiling of ``percent`` of the org's daily
    maximum (not of what remains), so this is that ceiling minus what the org has used."""
    if usage is None:
        return None
    allowed = math.floor(usage.max * percent / 100.0)
    return max(allowed - usage.used, 0)


def ceiling_calls(maximum: int, percent: float) -> int:
    """The highest daily usage a run with budget ``percent`` may bring the org to."""
    return math.floor(maximum * percent / 100.0)


class SharedAllowance(Protocol):
    """An org's daily API allowance as every process that calls it sees it together (team
    mode: a row per org in the metadata database), so workers on several hosts never cross a
    budget between them. ``key`` names the org (its instance host).

    - ``reserve`` books one call if the org's usage (the higher of the shared figure and
      ``used``, this process's latest) plus every process's calls in flight stays within
      ``ceiling``, in one transaction; it returns None when booked, else that total.
    - ``settle`` ends a booked call, with the usage Salesforce reported in its answer (None:
      no answer, the call counts as spent)."""

    def reserve(self, key: str, ceiling: int, maximum: int, used: int | None) -> int | None: ...
    def settle(self, key: str, used: int | None) -> None: ...


@dataclass
class _HostUsage:
    used: int | None = None
    maximum: int | None = None
    in_flight: int = 0
    #: Budget percentages of the runs now using this host; the strictest one applies.
    percents: list[float] = field(default_factory=list)


class ApiGate(httpx2.BaseTransport):
    """A transport in front of every Salesforce call that refuses the call which would take
    the org's daily usage past the budget of a run in progress.

    Usage comes from the ``Sforce-Limit-Info`` header of every answer; calls in flight are
    counted as already spent, so concurrent downloads cannot slip past the ceiling together.
    Only ``/services/data/vNN.N/...`` calls count against the allowance (not OAuth, not the
    version list), as Salesforce counts them.
    """

    def __init__(
        self, inner: httpx2.BaseTransport, *, shared: SharedAllowance | None = None
    ) -> None:
        self._inner = inner
        self._shared = shared
        self._lock = threading.Condition()
        self._hosts: dict[str, _HostUsage] = {}

    @contextmanager
    def budget(self, instance_url: str, percent: float, usage: ApiUsage | None) -> Iterator[None]:
        """Hold calls to ``instance_url`` to ``percent`` of the daily allowance meanwhile."""
        host = httpx2.URL(instance_url).netloc.decode("ascii")
        with self._lock:
            state = self._hosts.setdefault(host, _HostUsage())
            if usage is not None:
                state.used, state.maximum = usage.used, usage.max
            elif not state.percents:
                # What was seen before may be stale (the allowance rolls): learn it afresh.
                state.used = None
            state.percents.append(percent)
        try:
            yield
        finally:
            with self._lock:
                state.percents.remove(percent)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.netloc.decode("ascii")
        counted = _API_CALL.match(request.url.path) is not None
        reserved: _HostUsage | None = None
        booked: tuple[int, int, float, int | None] | None = None
        if counted:
            with self._lock:
                state = self._hosts.get(host)
                while state is not None and state.used is None and state.in_flight:
                    # Usage unknown: one call at a time until an answer tells it.
                    self._lock.wait()
                if state is not None and state.percents and state.used is None:
                    state.in_flight += 1
                    reserved = state
                elif state is not None and state.percents and state.maximum is not None:
                    ceiling = ceiling_calls(state.maximum, min(state.percents))
                    spent = (state.used or 0) + state.in_flight
                    if spent + 1 > ceiling:
                        raise ApiBudgetReached(
                            f"The run stopped before crossing its API budget: {spent:,} of the "
                            f"org's {state.maximum:,} daily calls are used and the budget "
                            f"({min(state.percents):g}%) allows {ceiling:,}."
                        )
                    state.in_flight += 1
                    reserved = state
                    booked = (ceiling, state.maximum, min(state.percents), state.used)
        shared = False
        if reserved is not None and booked is not None and self._shared is not None:
            # Other processes' calls in flight count too: book this one in the shared row.
            ceiling, maximum, percent, used = booked
            spent_together = self._shared.reserve(host, ceiling, maximum, used)
            if spent_together is not None:
                with self._lock:
                    reserved.in_flight -= 1
                    self._lock.notify_all()
                raise ApiBudgetReached(
                    f"The run stopped before crossing its API budget: {spent_together:,} of the "
                    f"org's {maximum:,} daily calls are used or in flight across sfimport's "
                    f"workers and the budget ({percent:g}%) allows {ceiling:,}."
                )
            shared = True
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            if shared and self._shared is not None:
                self._shared.settle(host, None)
            if reserved is not None:
                with self._lock:
                    # The call may have reached Salesforce: count it as spent.
                    reserved.used = (reserved.used or 0) + 1
                    reserved.in_flight -= 1
                    self._lock.notify_all()
            raise
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if shared and self._shared is not None:
            self._shared.settle(host, None if usage is None else usage.used)
        with self._lock:
            state = self._hosts.get(host)
            if state is not None and usage is not None:
                # Answers can arrive out of order: while a budget holds, usage only grows.
                grown = state.used is None or usage.used > state.used or not state.percents
                state.used = usage.used if grown else state.used
                state.maximum = usage.max
            if reserved is not None:
                if usage is None:
                    reserved.used = (reserved.used or 0) + 1
                reserved.in_flight -= 1
                self._lock.notify_all()
        return response

    def close(self) -> None:
        self._inner.close()
