"""API-call arithmetic of an import: how many calls each data set will use, and whether a plan
fits the share of the org's daily allowance it may spend."""

from __future__ import annotations

import math

from sfimport.salesforce.client import ApiUsage

#: REST query pages hold at most 2,000 records (Sforce-Query-Options batchSize is only a hint).
REST_PAGE_ROWS = 2000
#: Records per Bulk API 2.0 result page that sfimport asks for (``maxRecords``).
BULK_PAGE_ROWS = 100_000
#: Below this many expected rows a few REST pages beat creating and polling a Bulk job.
REST_THRESHOLD_ROWS = 10_000
#: Report runs return at most 2,000 detail rows; larger reports are sliced by filters.
REPORT_ROWS_PER_RUN = 2000
#: Default share of the daily allowance an import may use (the rest is left to other apps).
DEFAULT_BUDGET_PERCENT = 80.0


def bulk_polls(expected_rows: int | None) -> int:
    """Job-status polls a Bulk job needs, roughly: a few, plus one per million rows."""
    return 3 + (expected_rows or 0) // 1_000_000


def object_calls(method: str, expected_rows: int | None) -> int:
    """Calls to import one object, counting describe and the COUNT() already made for the plan.

    REST: one call per 2,000-row page. Bulk: create the job, poll it, one call per result page,
    delete the job.
    """
    rows = expected_rows or 0
    planning = 2  # describe + SELECT COUNT()
    if method == "rest":
        return planning + max(1, math.ceil(rows / REST_PAGE_ROWS))
    return planning + 1 + bulk_polls(rows) + max(1, math.ceil(rows / BULK_PAGE_ROWS)) + 1


def report_calls(expected_rows: int | None) -> int:
    """Calls to import one report: describe, then one run per 2,000-row slice.

    Slicing bisects ranges, so a report of ``n`` slices takes up to about twice ``n`` runs.
    """
    rows = expected_rows or 0
    slices = max(1, math.ceil(rows / REPORT_ROWS_PER_RUN))
    return 1 + (1 if slices == 1 else 2 * slices)


def budget_calls(usage: ApiUsage | None, percent: float) -> int | None:
    """Calls an import may still use: ``percent`` of the daily max, minus what is used already."""
    if usage is None:
        return None
    allowed = math.floor(usage.max * percent / 100.0)
    return max(allowed - usage.used, 0)
