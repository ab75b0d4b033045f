"""Bulk API 2.0 query jobs: create, wait, result pages by locator, abort and delete."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest

from sfimport.errors import BulkUnsupported, SalesforceError, TransientError
from sfimport.salesforce import BulkJob, PollPolicy
from tests.salesforce.conftest import ClientFactory, Sleeps


def job_info(state: str, **extra: object) -> dict[str, object]:
    return {
        "id": "750R0000000zlh9IAA",
        "operation": "query",
        "object": "Account",
        "createdById": "005R0000000GiwjIAC",
        "createdDate": "2018-12-10T17:50:19.000+0000",
        "systemModstamp": "2018-12-10T17:51:27.000+0000",
        "state": state,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": 57.0,
        "lineEnding": "LF",
        "columnDelimiter": "COMMA",
        **extra,
    }


def json_response(body: object, status: int = 200) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


JOB = BulkJob.from_wire(job_info("UploadComplete"))  # type: ignore[arg-type]


def test_create_query_job_sends_a_csv_query_job(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_response(job_info("UploadComplete", operation="queryAll"))

    job = make_client(handler).bulk.create_query_job("SELECT Id FROM Account", include_deleted=True)
    assert seen[0].method == "POST"
    assert seen[0].url.path == "/services/data/v62.0/jobs/query"
    assert json.loads(seen[0].content) == {
        "operation": "queryAll",
        "query": "SELECT Id FROM Account",
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    assert job.id == "750R0000000zlh9IAA"
    # apiVersion is a JSON number; the job keeps it as the version of every later call.
    assert job.api_version == "57.0"
    assert job.operation == "queryAll"


def test_wait_polls_with_capped_backoff_until_complete(
    make_client: ClientFactory, sleeps: Sleeps
) -> None:
    states = iter(["InProgress", "InProgress", "InProgress", "JobComplete"])
    paths: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        paths.append(request.url.path)
        return json_response(job_info(next(states), numberRecordsProcessed=500))

    done = make_client(handler).bulk.wait(
        JOB, poll=PollPolicy(initial_delay=1.0, max_delay=2.0, factor=1.5)
    )
    assert done.state == "JobComplete"
    assert done.records_processed == 500
    assert sleeps == [1.0, 1.5, 2.0, 2.0]
    assert set(paths) == {"/services/data/v57.0/jobs/query/750R0000000zlh9IAA"}


def test_a_failed_job_raises_bulk_unsupported_so_the_caller_uses_rest(
    make_client: ClientFactory,
) -> None:
    client = make_client(
        lambda r: json_response(job_info("Failed", errorMessage="Unexpected exception"))
    )
    with pytest.raises(BulkUnsupported, match="Unexpected exception"):
        client.bulk.wait(JOB, poll=PollPolicy(initial_delay=0.01))


def test_an_aborted_job_raises(make_client: ClientFactory) -> None:
    client = make_client(lambda r: json_response(job_info("Aborted")))
    with pytest.raises(SalesforceError, match="aborted"):
        client.bulk.wait(JOB, poll=PollPolicy(initial_delay=0.01))


def test_a_job_running_past_the_timeout_raises_a_transient_error(
    make_client: ClientFactory,
) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 100.0
        return now[0]

    client = make_client(lambda r: json_response(job_info("InProgress")), clock=clock)
    with pytest.raises(TransientError, match="still InProgress"):
        client.bulk.wait(JOB, poll=PollPolicy(initial_delay=0.01, timeout=500.0))


def test_result_pages_follow_the_locator_until_null(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []
    pages = {
        None: (b'"Id","Name"\n"001A","Acme"\n"001B","Globex"\n', "MTAwMDA"),
        "MTAwMDA": (b'"Id","Name"\n"001C","Initech"\n', "null"),
    }

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        body, locator = pages[request.url.params.get("locator")]
        return httpx2.Response(
            200,
            content=body,
            headers={
                "Content-Type": "text/csv",
                "Sforce-Locator": locator,
                "Sforce-NumberOfRecords": str(body.count(b"\n") - 1),
            },
        )

    results = list(make_client(handler).bulk.result_pages(JOB, max_records=50000))
    assert [page.number_of_records for page in results] == [2, 1]
    assert [page.next_locator for page in results] == ["MTAwMDA", None]
    # Every page repeats the header row and arrives as raw CSV bytes.
    assert all(page.data.startswith(b'"Id","Name"\n') for page in results)
    assert [r.url.params.get("locator") for r in seen] == [None, "MTAwMDA"]
    assert all(r.url.params["maxRecords"] == "50000" for r in seen)
    assert all(
        r.url.path == "/services/data/v57.0/jobs/query/750R0000000zlh9IAA/results" for r in seen
    )
    assert all(r.headers["Accept"] == "text/csv" for r in seen)


def test_a_missing_locator_header_ends_the_results(make_client: ClientFactory) -> None:
    client = make_client(lambda r: httpx2.Response(200, content=b'"Id"\n"001A"\n'))
    results = list(client.bulk.result_pages(JOB))
    assert len(results) == 1
    assert results[0].number_of_records is None


def test_result_pages_are_fetched_lazily(make_client: ClientFactory) -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return httpx2.Response(
            200, content=b'"Id"\n"001A"\n', headers={"Sforce-Locator": f"L{len(calls)}"}
        )

    pages = make_client(handler).bulk.result_pages(JOB)
    next(pages)
    next(pages)
    assert len(calls) == 2


def test_a_result_page_dropped_mid_way_is_fetched_again(
    make_client: ClientFactory, sleeps: Sleeps
) -> None:
    attempts: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx2.ReadError("connection reset by peer")
        return httpx2.Response(200, content=b'"Id"\n"001A"\n', headers={"Sforce-Locator": "null"})

    results = list(make_client(handler).bulk.result_pages(JOB))
    assert len(results) == 1
    assert len(attempts) == 2


def test_abort_and_delete_use_the_job_version(make_client: ClientFactory) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx2.Response(204)
        return json_response(job_info("Aborted"))

    client = make_client(handler)
    aborted = client.bulk.abort(JOB)
    client.bulk.delete(aborted)
    assert aborted.state == "Aborted"
    assert [(r.method, r.url.path) for r in seen] == [
        ("PATCH", "/services/data/v57.0/jobs/query/750R0000000zlh9IAA"),
        ("DELETE", "/services/data/v57.0/jobs/query/750R0000000zlh9IAA"),
    ]
    assert json.loads(seen[0].content) == {"state": "Aborted"}


def test_an_object_bulk_refuses_is_bulk_unsupported(make_client: ClientFactory) -> None:
    body = [
        {
            "errorCode": "INVALIDENTITY",
            "message": "Entity 'CaseStatus' is not supported by the Bulk API.",
        }
    ]
    client = make_client(lambda r: json_response(body, 400))
    with pytest.raises(BulkUnsupported):
        client.bulk.create_query_job("SELECT Id FROM CaseStatus")


def test_result_streams_hand_on_a_page_while_it_is_still_arriving(
    make_client: ClientFactory,
) -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        yield b'"Id"\n'
        for number in range(1000):
            sent.append(number)
            # 4 KB rows: the page (4 MB) is several times the chunk size.
            yield b'"%s"\n' % (b"x" * 4096)

    def handler(request: httpx2.Request) -> httpx2.Response:
        locator = "null" if request.url.params.get("locator") else "L1"
        return httpx2.Response(200, content=body(), headers={"Sforce-Locator": locator})

    pages = make_client(handler).bulk.result_streams(JOB, max_records=500)
    first = next(pages)
    assert first.next_locator == "L1"
    assert next(first.chunks).startswith(b'"Id"\n')
    # The page is read as it comes, not held whole before it is handed on.
    assert len(sent) < 1000
    assert b"".join(first.chunks).count(b"\n") > 0
    second = next(pages)
    assert second.next_locator is None
    assert len(b"".join(second.chunks).splitlines()) == 1001
    assert next(pages, None) is None


def test_a_connection_lost_in_the_middle_of_a_streamed_page_is_transient(
    make_client: ClientFactory,
) -> None:
    def body() -> Iterator[bytes]:
        yield b'"Id"\n"001A"\n'
        raise httpx2.ReadError("connection reset by peer")

    client = make_client(lambda r: httpx2.Response(200, content=body()))
    pages = client.bulk.result_streams(JOB)
    page = next(pages)
    with pytest.raises(TransientError, match="while reading"):
        b"".join(page.chunks)
