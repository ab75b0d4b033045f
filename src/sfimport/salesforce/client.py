"""The Salesforce client's front door: one authenticated HTTP channel to an org's instance,
retries with jittered backoff, and the org's API usage read from every response.

``SalesforceClient`` knows nothing about where the org lives beyond the ``instance_url``
Salesforce returned at login; the REST, Bulk 2.0 and Reports calls hang off it as
``client.rest``, ``client.bulk`` and ``client.reports``.
"""

from __future__ import annotations

import json as jsonlib
import random as random_module
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self
from urllib.parse import urlsplit

import httpx2

from sfimport.errors import SalesforceError, SfimportError, TransientError, UsageError
from sfimport.salesforce.bulk2 import BulkApi
from sfimport.salesforce.hosts import is_loopback_host
from sfimport.salesforce.redaction import guard_library_loggers, redact, redacting_logger
from sfimport.salesforce.reports import ReportsApi
from sfimport.salesforce.rest import RestApi
from sfimport.salesforce.wire_errors import error_from_rest, is_retryable_status

logger = redacting_logger(__name__)

DEFAULT_API_VERSION = "62.0"
#: Salesforce cuts synchronous requests at two minutes; wait a little longer than that.
DEFAULT_TIMEOUT = httpx2.Timeout(connect=15.0, read=130.0, write=60.0, pool=30.0)
_RETRYABLE_TRANSPORT_ERRORS = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API calls: ``used`` of ``max`` in the rolling 24 hours."""

    used: int
    max: int

    @property
    def remaining(self) -> int:
        return max(self.max - self.used, 0)


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """Read ``Sforce-Limit-Info: api-usage=18/5000`` (tolerating ``; api-bursts=1/750``)."""
    if not header:
        return None
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        # "per-app-api-usage=17/250(appName=x)" also contains "api-usage": match the name.
        if name.strip().lower() != "api-usage":
            continue
        used, _, maximum = value.strip().partition("/")
        if used.isdigit() and maximum.isdigit():
            return ApiUsage(used=int(used), max=int(maximum))
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry what can succeed on retry."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, retry_number: int, jitter: float) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based); ``jitter`` in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0**retry_number)
        # "Equal jitter": at least half the exponential step, so retries never bunch at zero.
        return ceiling / 2 + ceiling / 2 * jitter


class SalesforceClient:
    """An authenticated client for one org. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        instance_url: str,
        auth: httpx2.Auth,
        *,
        api_version: str = DEFAULT_API_VERSION,
        http: httpx2.Client | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
        on_usage: Callable[[ApiUsage], None] | None = None,
    ) -> None:
        guard_library_loggers()
        self.instance_url = _checked_instance_url(instance_url)
        self.api_version = api_version.lstrip("v")
        self._auth = auth
        self._owns_http = http is None
        self._http = http if http is not None else httpx2.Client(timeout=DEFAULT_TIMEOUT)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._on_usage = on_usage
        self._usage: ApiUsage | None = None
        self._usage_lock = threading.Lock()
        self.rest = RestApi(self)
        self.bulk = BulkApi(self, sleep=sleep, clock=clock)
        self.reports = ReportsApi(self)

    # --- Usage ------------------------------------------------------------------------------

    @property
    def usage(self) -> ApiUsage | None:
        """The org's API usage from the latest response, or None before the first call."""
        with self._usage_lock:
            return self._usage

    # --- Paths ------------------------------------------------------------------------------

    def data_path(self, suffix: str = "", *, api_version: str | None = None) -> str:
        """``/services/data/vNN.N/<suffix>`` for this client's (or the given) API version."""
        version = (api_version or self.api_version).lstrip("v")
        return f"/services/data/v{version}/{suffix.lstrip('/')}"

    def url(self, path: str) -> str:
        """An absolute URL on the instance for a path such as a ``nextRecordsUrl``."""
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.instance_url + "/"):
                raise SalesforceError(
                    "Salesforce pointed to a URL outside this org's instance; it was not followed."
                )
            return path
        return f"{self.instance_url}/{path.lstrip('/')}"

    # --- Calls ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        known_fields: Collection[str] = (),
    ) -> httpx2.Response:
        """Send one call with retries; return the (read) 2xx response or raise the mapped error.

        Retried: 5xx, edge 406/420/429 with no Salesforce error body, timeouts, dropped
        connections, and transient failures while refreshing the token. Never retried:
        anything Salesforce refused for a reason that a retry cannot change.
        """
        return self._send(
            method, path, params=params, json=json, headers=headers, known_fields=known_fields
        )

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx2.Response]:
        """Like :meth:`request` (same retries until the answer's headers arrive), but the 2xx
        body is left unread: take it with :func:`body_chunks`; the response closes on exit."""
        response = self._send(method, path, params=params, headers=headers, stream=True)
        try:
            yield response
        finally:
            response.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        known_fields: Collection[str] = (),
        stream: bool = False,
    ) -> httpx2.Response:
        url = self.url(path)
        content = None if json is None else jsonlib.dumps(json).encode("utf-8")
        all_headers = {"Accept": "application/json", **(headers or {})}
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        last_error: SfimportError | None = None
        retry_after: float | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                self._wait_before_retry(attempt - 1, method, path, last_error, retry_after)
                retry_after = None
            try:
                outgoing = self._http.build_request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    content=content,
                    headers=all_headers,
                )
                response = self._http.send(outgoing, auth=self._auth, stream=stream)
                if stream and not response.is_success:
                    # An error answer is small and read whole, to be mapped like any other.
                    try:
                        response.read()
                    finally:
                        response.close()
            except _RETRYABLE_TRANSPORT_ERRORS as exc:
                last_error = TransientError(
                    f"The connection to Salesforce failed ({type(exc).__name__}): "
                    f"{redact(str(exc)) or 'no details'}"
                )
                last_error.__cause__ = exc
                continue
            except TransientError as exc:  # e.g. the login host was unreachable on refresh
                last_error = exc
                continue
            except httpx2.HTTPError as exc:
                raise SalesforceError(
                    f"The request to Salesforce failed: {redact(str(exc))}"
                ) from exc
            self._record_usage(response)
            if response.is_success:
                return response
            if is_retryable_status(response.status_code, response.content):
                last_error = error_from_rest(response.status_code, response.content)
                retry_after = _retry_after(response)
                continue
            raise error_from_rest(response.status_code, response.content, known_fields=known_fields)
        assert last_error is not None
        raise last_error

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        known_fields: Collection[str] = (),
        exact_numbers: bool = False,
    ) -> Any:
        """``GET`` a JSON resource (see :meth:`request`); ``exact_numbers`` parses JSON numbers
        with a fraction or exponent as :class:`~decimal.Decimal`, never as binary floats."""
        response = self.request(
            "GET", path, params=params, headers=headers, known_fields=known_fields
        )
        return _json_body(response, exact_numbers=exact_numbers)

    def send_json(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        params: Mapping[str, str | int] | None = None,
        known_fields: Collection[str] = (),
        exact_numbers: bool = False,
    ) -> Any:
        """``POST``/``PATCH`` a JSON body and return the JSON answer (None when empty);
        ``exact_numbers`` as for :meth:`get_json`."""
        response = self.request(method, path, json=body, params=params, known_fields=known_fields)
        return _json_body(response, exact_numbers=exact_numbers) if response.content else None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SalesforceClient({self.instance_url!r}, api_version={self.api_version!r})"

    # --- Internals --------------------------------------------------------------------------

    def _wait_before_retry(
        self,
        retry_number: int,
        method: str,
        path: str,
        error: SfimportError | None,
        retry_after: float | None,
    ) -> None:
        delay = self._retry.delay(retry_number, self._jitter())
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._retry.max_delay))
        logger.warning(
            "Retrying %s %s in %.2fs (retry %d of %d) after: %s",
            method,
            urlsplit(path).path,
            delay,
            retry_number + 1,
            self._retry.attempts - 1,
            error,
        )
        self._sleep(delay)

    def _record_usage(self, response: httpx2.Response) -> None:
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is None:
            return
        with self._usage_lock:
            self._usage = usage
        if self._on_usage is not None:
            self._on_usage(usage)


def _checked_instance_url(instance_url: str) -> str:
    parts = urlsplit(instance_url.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return instance_url.strip().rstrip("/")
    if parts.scheme == "http" and is_loopback_host(host):
        return instance_url.strip().rstrip("/")
    raise UsageError(
        f"The instance URL {instance_url!r} is not an https:// address; tokens are only sent "
        "over https (or to this computer, for the demo org)."
    )


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _json_body(response: httpx2.Response, *, exact_numbers: bool = False) -> Any:
    try:
        if exact_numbers:
            return jsonlib.loads(response.content, parse_float=Decimal)
        return response.json()
    except ValueError as exc:
        raise SalesforceError(
            f"Salesforce sent a response that is not JSON ({response.headers.get('Content-Type')})."
        ) from exc


def body_chunks(response: httpx2.Response, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The (decompressed) body of a streamed response as it arrives; a connection lost part-way
    is a :class:`~sfimport.errors.TransientError`, like one lost before the answer."""
    try:
        yield from response.iter_bytes(chunk_size)
    except _RETRYABLE_TRANSPORT_ERRORS as exc:
        raise TransientError(
            f"The connection to Salesforce failed while reading an answer "
            f"({type(exc).__name__}): {redact(str(exc)) or 'no details'}"
        ) from exc
