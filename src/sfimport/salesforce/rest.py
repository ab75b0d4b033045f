"""REST API calls: versions, resources, describe, SOQL query/queryAll paging, COUNT(),
limits, record counts, and the replication (updated/deleted) resources.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from sfimport.errors import SalesforceError
from sfimport.salesforce.wire import (
    ApiVersion,
    DeletedResult,
    GlobalDescribe,
    Limits,
    QueryResult,
    Record,
    RecordCountResult,
    SObjectDescribe,
    UpdatedResult,
)

if TYPE_CHECKING:
    from sfimport.salesforce.client import SalesforceClient

#: Salesforce accepts 200..2000; it is a hint and pages shrink for wide rows.
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000


class RestApi:
    """The REST calls of one :class:`~sfimport.salesforce.client.SalesforceClient`."""

    def __init__(self, client: SalesforceClient) -> None:
        self._client = client

    def versions(self) -> list[ApiVersion]:
        """``GET /services/data/``: every API version the org serves, oldest first."""
        return cast(list[ApiVersion], _expect(self._client.get_json("/services/data/"), list))

    def resources(self) -> dict[str, str]:
        """``GET /services/data/vNN.N/``: resource name -> path."""
        return cast(dict[str, str], _expect(self._client.get_json(self._client.data_path()), dict))

    def describe_global(self) -> GlobalDescribe:
        """``GET /sobjects``: every object the user can see, with its flags."""
        body = _expect(self._client.get_json(self._client.data_path("sobjects")), dict)
        _require_keys(body, "sobjects")
        return cast(GlobalDescribe, body)

    def describe(self, sobject: str) -> SObjectDescribe:
        """``GET /sobjects/{name}/describe``; fields the user cannot read are absent."""
        path = self._client.data_path(f"sobjects/{quote(sobject, safe='')}/describe")
        body = _expect(self._client.get_json(path), dict)
        _require_keys(body, "name", "fields")
        return cast(SObjectDescribe, body)

    def query(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int | None = None,
        known_fields: Collection[str] = (),
        exact_numbers: bool = False,
    ) -> Iterator[QueryResult]:
        """Pages of a SOQL query, fetched lazily, following ``nextRecordsUrl``.

        ``include_deleted`` uses ``queryAll`` (soft-deleted and archived rows too).
        ``known_fields`` turns INVALID_FIELD on a previously imported field into
        :class:`~sfimport.errors.FieldUnavailable`. ``exact_numbers`` reads decimal numbers as
        :class:`~decimal.Decimal` (money must not pass through a binary float).
        """
        headers = {}
        if batch_size is not None:
            size = max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, batch_size))
            headers["Sforce-Query-Options"] = f"batchSize={size}"
        resource = "queryAll" if include_deleted else "query"
        page = self._page(
            self._client.data_path(resource), {"q": soql}, headers, known_fields, exact_numbers
        )
        seen: set[str] = set()
        while True:
            yield page
            next_url = page.get("nextRecordsUrl")
            if page["done"] or not next_url:
                return
            # A cursor that points back to a page already read would loop forever.
            if next_url in seen:
                raise SalesforceError(f"Salesforce repeated the query page {next_url}; stopped.")
            seen.add(next_url)
            # nextRecordsUrl is fetched with no query parameters; it says /query/ even for
            # queryAll and continues the same cursor.
            page = self._page(next_url, None, headers, known_fields, exact_numbers)

    def records(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int | None = None,
        known_fields: Collection[str] = (),
    ) -> Iterator[Record]:
        """Every record of a query, one page in memory at a time."""
        for page in self.query(
            soql, include_deleted=include_deleted, batch_size=batch_size, known_fields=known_fields
        ):
            yield from page["records"]

    def count(self, soql: str, *, include_deleted: bool = False) -> int:
        """The count of a ``SELECT COUNT() FROM ...`` query (Salesforce puts it in totalSize)."""
        first = next(self.query(soql, include_deleted=include_deleted))
        return int(first["totalSize"])

    def limits(self) -> Limits:
        """``GET /limits`` (needs View Setup and Configuration)."""
        return cast(Limits, _expect(self._client.get_json(self._client.data_path("limits")), dict))

    def record_counts(self, sobjects: Sequence[str] = ()) -> dict[str, int]:
        """Approximate cached record counts from ``/limits/recordCount``.

        Objects with a zero count are absent from Salesforce's answer (and fresh inserts lag),
        so a missing name means "no count", not an error. Needs View Setup and Configuration.
        """
        params = {"sObjects": ",".join(sobjects)} if sobjects else None
        body = _expect(
            self._client.get_json(self._client.data_path("limits/recordCount"), params=params),
            dict,
        )
        _require_keys(body, "sObjects")
        result = cast(RecordCountResult, body)
        return {entry["name"]: int(entry["count"]) for entry in result["sObjects"]}

    def updated(self, sobject: str, start: datetime, end: datetime) -> UpdatedResult:
        """Ids changed between ``start`` and ``end`` (last 30 days; replicateable objects)."""
        return cast(UpdatedResult, self._replication(sobject, "updated", start, end))

    def deleted(self, sobject: str, start: datetime, end: datetime) -> DeletedResult:
        """Records deleted between ``start`` and ``end`` (last 15 days at most)."""
        return cast(DeletedResult, self._replication(sobject, "deleted", start, end))

    def _replication(self, sobject: str, kind: str, start: datetime, end: datetime) -> Any:
        path = self._client.data_path(f"sobjects/{quote(sobject, safe='')}/{kind}/")
        params = {"start": _replication_time(start), "end": _replication_time(end)}
        return _expect(self._client.get_json(path, params=params), dict)

    def _page(
        self,
        path: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        known_fields: Collection[str],
        exact_numbers: bool = False,
    ) -> QueryResult:
        body = _expect(
            self._client.get_json(
                path,
                params=params,
                headers=headers,
                known_fields=known_fields,
                exact_numbers=exact_numbers,
            ),
            dict,
        )
        _require_keys(body, "totalSize", "done", "records")
        return cast(QueryResult, body)


def _replication_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("replication times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _expect(body: Any, kind: type) -> Any:
    if not isinstance(body, kind):
        raise SalesforceError(
            f"Salesforce sent a JSON {type(body).__name__} where a {kind.__name__} was expected."
        )
    return body


def _require_keys(body: dict[str, Any], *keys: str) -> None:
    missing = [key for key in keys if key not in body]
    if missing:
        raise SalesforceError(f"Salesforce's answer lacks {', '.join(missing)}.")
