"""SOQL of an object import: the SELECT and its COUNT(), filtered by the start date on the
object's cursor field, and the watermark a later refresh starts from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote_plus

#: Salesforce commits are only eventually visible to queries; a refresh re-reads this window.
CONSISTENCY_LAG = timedelta(minutes=5)


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal. Unquoted, and in ``Z`` form: a ``+00:00`` offset must be
    percent-encoded in a URL or Salesforce reads the ``+`` as a space (MALFORMED_QUERY)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: the start date's first instant."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def where_clause(
    cursor_field: str | None, start: datetime | None, before: datetime | None = None
) -> str:
    """`` WHERE cursor >= start [AND cursor < before]`` or empty when nothing filters.

    Objects without a cursor field are imported whole whatever the start date.
    """
    if cursor_field is None:
        return ""
    conditions = []
    if start is not None:
        conditions.append(f"{cursor_field} >= {soql_datetime(start)}")
    if before is not None:
        conditions.append(f"{cursor_field} < {soql_datetime(before)}")
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def select_soql(
    sobject: str,
    fields: Sequence[str],
    cursor_field: str | None,
    start: datetime | None,
    before: datetime | None = None,
) -> str:
    """The extraction query. No ORDER BY: it would switch off Bulk's PK chunking, and the
    rows land in a table keyed by Id anyway."""
    return f"SELECT {', '.join(fields)} FROM {sobject}{where_clause(cursor_field, start, before)}"


#: Bytes a REST query URI may take: Salesforce refuses a URI over 16,384 bytes (414) and a
#: request head over that (431); the rest is left for the path, the token and other headers.
REST_URI_BUDGET = 16_384 - 2_048


def rest_query_bytes(sobject: str, fields: Sequence[str], cursor_field: str | None) -> int:
    """Bytes the ``q=`` parameter of the extraction query takes in a REST URI, with the
    widest filter a read can carry (start date and upper bound)."""
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    soql = select_soql(sobject, fields, cursor_field, moment, moment)
    return len("q=") + len(quote_plus(soql, safe=""))


def count_soql(
    sobject: str, cursor_field: str | None, start: datetime | None, before: datetime | None = None
) -> str:
    """``SELECT COUNT()`` with the same filter as :func:`select_soql`."""
    return f"SELECT COUNT() FROM {sobject}{where_clause(cursor_field, start, before)}"


def watermark(run_started_at: datetime) -> datetime:
    """Where the next refresh of a data set imported by a run starts reading: the run's start
    less the consistency lag (rows read twice merge by Id, rows missed would be lost)."""
    return run_started_at - CONSISTENCY_LAG
