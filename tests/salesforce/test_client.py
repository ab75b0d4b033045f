"""The client's front door: retries and backoff, API usage, paging, and where it sends tokens."""

from __future__ import annotations

import json

import httpx2
import pytest

from sfimport.errors import (
    DailyLimitExceeded,
    InvalidQuery,
    SalesforceError,
    TransientError,
    UsageError,
)
from sfimport.salesforce import (
    ApiUsage,
    RetryPolicy,
    SalesforceAuth,
    SalesforceClient,
    parse_limit_info,
)
from tests.salesforce.conftest import ClientFactory, Sleeps, make_tokens

PAGE_DONE = {"totalSize": 0, "done": True, "records": []}


def json_response(body: object, status: int = 200, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json;charset=UTF-8", **headers},
    )


def error_body(code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


# --- Sforce-Limit-Info ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=18/5000", ApiUsage(18, 5000)),
        ("api-usage=10018/100000; api-bursts=1/750", ApiUsage(10018, 100000)),
        ("per-app-api-usage=17/250(appName=x); api-usage=25/5000", ApiUsage(25, 5000)),
        ("api-bursts=1/750", None),
        ("", None),
        ("api-usage=abc/5000", None),
    ],
)
def test_limit_info_header_is_parsed_tolerating_suffixes(
    header: str, expected: ApiUsage | None
) -> None:
    assert parse_limit_info(header) == expected


def test_every_response_updates_the_api_usage(make_client: ClientFactory) -> None:
    used = iter(range(100, 200))
    seen: list[ApiUsage] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        return json_response(
            PAGE_DONE, **{"Sforce-Limit-Info": f"api-usage={next(used)}/15000; api-bursts=1/750"}
        )

    client = make_client(handler, on_usage=seen.append)
    assert client.usage is None
    client.rest.count("SELECT COUNT() FROM Account")
    client.rest.count("SELECT COUNT() FROM Contact")
    assert client.usage == ApiUsage(101, 15000)
    assert client.usage.remaining == 14899
    assert seen == [ApiUsage(100, 15000), ApiUsage(101, 15000)]


def test_api_usage_is_read_from_error_responses_too(make_client: ClientFactory) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return json_response(
            error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            403,
            **{"Sforce-Limit-Info": "api-usage=15001/15000"},
        )

    client = make_client(handler)
    with pytest.raises(DailyLimitExceeded):
        client.rest.limits()
    assert client.usage == ApiUsage(15001, 15000)
    assert client.usage.remaining == 0


# --- Retries --------------------------------------------------------------------------------


class Script:
    """A handler answering with each step in turn (the last one repeats); counts calls."""

    def __init__(self, *steps: httpx2.Response | Exception) -> None:
        self.steps = list(steps)
        self.calls = 0

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        return step


@pytest.mark.parametrize(
    "failure",
    [
        httpx2.Response(503, content=b"<html>Service Unavailable</html>"),
        httpx2.Response(500, content=json.dumps(error_body("UNKNOWN_EXCEPTION", "boom")).encode()),
        httpx2.Response(429, content=b""),
        httpx2.Response(420, content=b""),
        httpx2.Response(406, content=b""),
        httpx2.ReadTimeout("read timed out"),
        httpx2.ConnectError("connection refused"),
        httpx2.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["503", "500", "429", "420", "406", "timeout", "connect", "dropped"],
)
def test_transient_failures_are_retried_until_success(
    make_client: ClientFactory, sleeps: Sleeps, failure: httpx2.Response | Exception
) -> None:
    script = Script(failure, failure, json_response(PAGE_DONE))
    client = make_client(script)
    assert client.rest.count("SELECT COUNT() FROM Account") == 0
    assert script.calls == 3
    assert len(sleeps) == 2


def test_retries_wait_with_growing_jittered_backoff(sleeps: Sleeps) -> None:
    script = Script(
        httpx2.Response(503), httpx2.Response(503), httpx2.Response(503), json_response(PAGE_DONE)
    )
    jitters = iter([0.0, 0.5, 0.999])
    client = SalesforceClient(
        "https://acme.my.salesforce.com",
        SalesforceAuth(make_tokens(), refresher=None),
        http=httpx2.Client(transport=httpx2.MockTransport(script)),
        retry=RetryPolicy(attempts=4, base_delay=1.0, max_delay=3.0),
        sleep=sleeps,
        jitter=lambda: next(jitters),
    )
    client.rest.count("SELECT COUNT() FROM Account")
    # Equal jitter: half the step plus up to half again; the step doubles and is capped.
    assert sleeps == pytest.approx([0.5, 1.5, 2.9985])


def test_retry_after_header_is_honoured(make_client: ClientFactory, sleeps: Sleeps) -> None:
    script = Script(httpx2.Response(429, headers={"Retry-After": "5"}), json_response(PAGE_DONE))
    make_client(script).rest.count("SELECT COUNT() FROM Account")
    assert sleeps == [5.0]


def test_exhausted_retries_raise_a_transient_error(
    make_client: ClientFactory, sleeps: Sleeps
) -> None:
    script = Script(httpx2.Response(502, content=b"Bad gateway"))
    client = make_client(script)
    with pytest.raises(TransientError) as caught:
        client.rest.describe_global()
    assert script.calls == 4
    assert caught.value.retryable
    assert caught.value.status == 502


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (400, "MALFORMED_QUERY", InvalidQuery),
        (403, "REQUEST_LIMIT_EXCEEDED", DailyLimitExceeded),
    ],
)
def test_errors_that_cannot_succeed_are_not_retried(
    make_client: ClientFactory,
    sleeps: Sleeps,
    status: int,
    code: str,
    error_class: type[Exception],
) -> None:
    script = Script(json_response(error_body(code, "no"), status))
    with pytest.raises(error_class):
        make_client(script).rest.count("SELECT COUNT() FROM Account")
    assert script.calls == 1
    assert sleeps == []


def test_a_429_with_a_salesforce_error_body_is_not_retried(make_client: ClientFactory) -> None:
    script = Script(
        json_response(error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), 429)
    )
    with pytest.raises(DailyLimitExceeded):
        make_client(script).rest.limits()
    assert script.calls == 1


# --- Query paging ---------------------------------------------------------------------------


def test_query_follows_next_records_url(make_client: ClientFactory) -> None:
    requests: list[httpx2.Request] = []
    pages = {
        "/services/data/v62.0/query": {
            "totalSize": 3,
            "done": False,
            "nextRecordsUrl": "/services/data/v62.0/query/01gRO0000016PIAYA2-2",
            "records": [{"Id": "1"}, {"Id": "2"}],
        },
        "/services/data/v62.0/query/01gRO0000016PIAYA2-2": {
            "totalSize": 3,
            "done": True,
            "records": [{"Id": "3"}],
        },
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return json_response(pages[request.url.path])

    client = make_client(handler)
    ids = [record["Id"] for record in client.rest.records("SELECT Id FROM Account", batch_size=2)]
    assert ids == ["1", "2", "3"]
    assert requests[0].url.params["q"] == "SELECT Id FROM Account"
    # The follow-up goes to the locator with no query parameters, same batch size hint.
    assert requests[1].url.query == b""
    assert requests[1].headers["Sforce-Query-Options"] == "batchSize=200"
    assert requests[1].url.host == "acme.my.salesforce.com"


def test_query_pages_are_fetched_lazily(make_client: ClientFactory) -> None:
    script = Script(
        json_response(
            {
                "totalSize": 4,
                "done": False,
                "nextRecordsUrl": "/services/data/v62.0/query/01g-2",
                "records": [{}, {}],
            }
        ),
        json_response({"totalSize": 4, "done": True, "records": [{}, {}]}),
    )
    pages = make_client(script).rest.query("SELECT Id FROM Account")
    next(pages)
    assert script.calls == 1


def test_query_all_uses_the_query_all_resource(make_client: ClientFactory) -> None:
    paths: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        paths.append(request.url.path)
        return json_response(PAGE_DONE)

    list(make_client(handler).rest.query("SELECT Id FROM Account", include_deleted=True))
    assert paths == ["/services/data/v62.0/queryAll"]


def test_query_stops_when_salesforce_repeats_a_page(make_client: ClientFactory) -> None:
    looping = {
        "totalSize": 9,
        "done": False,
        "nextRecordsUrl": "/services/data/v62.0/query/01g-2",
        "records": [{}],
    }
    client = make_client(lambda request: json_response(looping))
    with pytest.raises(SalesforceError, match="repeated"):
        list(client.rest.query("SELECT Id FROM Account"))


def test_next_records_url_outside_the_instance_is_not_followed(make_client: ClientFactory) -> None:
    page = {
        "totalSize": 2,
        "done": False,
        "nextRecordsUrl": "https://evil.example/steal",
        "records": [],
    }
    client = make_client(lambda request: json_response(page))
    with pytest.raises(SalesforceError, match="outside"):
        list(client.rest.query("SELECT Id FROM Account"))


# --- Where tokens go ------------------------------------------------------------------------


def test_requests_carry_the_bearer_token(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_response({"sobjects": "/services/data/v62.0/sobjects"})

    make_client(handler).rest.resources()
    assert seen[0].headers["Authorization"] == f"Bearer {make_tokens().access_token}"


@pytest.mark.parametrize(
    "instance_url", ["http://acme.my.salesforce.com", "ftp://acme.my.salesforce.com", "acme"]
)
def test_a_non_https_instance_is_refused(instance_url: str) -> None:
    with pytest.raises(UsageError):
        SalesforceClient(instance_url, SalesforceAuth(make_tokens(), refresher=None))


def test_a_loopback_http_instance_is_accepted_for_the_demo_org() -> None:
    client = SalesforceClient(
        "http://127.0.0.1:8443/", SalesforceAuth(make_tokens(), refresher=None)
    )
    assert client.instance_url == "http://127.0.0.1:8443"
    client.close()


def test_client_repr_has_no_token() -> None:
    client = SalesforceClient(
        "https://acme.my.salesforce.com", SalesforceAuth(make_tokens(), refresher=None)
    )
    assert make_tokens().access_token not in repr(client)
    assert make_tokens().access_token not in repr(make_tokens())
    client.close()
