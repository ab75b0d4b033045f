"""The expected cost of reading a number of rows through REST or Bulk, to choose the cheaper.

A refresh reads few rows: REST pages start at once, while a Bulk job is created, queued,
processed and polled before its first byte. The estimate is wall time on a typical org; API
calls follow the same order for small reads (one call per 2,000-row REST page against a fixed
handful per Bulk job), so the cheaper in time is never the dearer in the budget by much.
"""

from __future__ import annotations

import math

from sfimport.extract.budget import REST_PAGE_ROWS

#: Seconds Salesforce takes to answer one REST query page of 2,000 rows (typical object).
REST_PAGE_SECONDS = 0.6
#: Seconds before a Bulk query job's first result: create, queue, process, poll.
BULK_JOB_SECONDS = 8.0
#: Seconds per row of a Bulk result (gzip CSV streams far faster than JSON pages).
BULK_ROW_SECONDS = 2e-6


def rest_seconds(rows: int) -> float:
    return max(1, math.ceil(rows / REST_PAGE_ROWS)) * REST_PAGE_SECONDS


def bulk_seconds(rows: int) -> float:
    return BULK_JOB_SECONDS + rows * BULK_ROW_SECONDS


def cheaper_method(rows: int | None) -> str:
    """ "rest" or "bulk", whichever is expected to read ``rows`` rows sooner."""
    if rows is None:
        return "bulk"
    return "rest" if rest_seconds(rows) <= bulk_seconds(rows) else "bulk"


def crossover_rows() -> int:
    """Rows above which Bulk is expected to be cheaper (for notes and tests)."""
    rows = REST_PAGE_ROWS
    while cheaper_method(rows) == "rest":
        rows += REST_PAGE_ROWS
    return rows
