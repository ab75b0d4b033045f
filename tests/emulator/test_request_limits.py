"""The emulator refuses request heads Salesforce refuses: a URI over 16,384 bytes answers 414,
a URI and headers over 16,384 bytes together answer 431, both in the web tier's HTML."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx2
import pytest

from sfimport.emulator import create_emulator
from sfimport.emulator.catalog import FIELD_SURVEY
from sfimport.emulator.org import Org
from sfimport.emulator.server import serve_in_thread
from sfimport.errors import SalesforceError
from sfimport.salesforce.wire_errors import error_from_rest
from tests.emulator.conftest import Http, V


def _soql_with_uri_of(size: int) -> str:
    """A valid query of the wide object whose ``/query?q=`` URI is ``size`` bytes or a little
    less (padded with spaces, which encode as one byte each)."""
    prefix = f"{V}/query?q="
    names = ["Id"]
    for spec in FIELD_SURVEY.fields[1:]:
        if spec.type in {"location", "address"}:
            continue
        candidate = f"SELECT {', '.join([*names, spec.name])} FROM Field_Survey__c"
        if len(prefix) + len(quote_plus(candidate)) > size:
            break
        names.append(spec.name)
    soql = f"SELECT {', '.join(names)} FROM Field_Survey__c"
    return soql + " " * (size - len(prefix) - len(quote_plus(soql)))


def _uri(soql: str) -> str:
    return f"{V}/query?q={quote_plus(soql)}"


def test_a_uri_just_under_the_limit_is_answered(http: Http, admin_token: str) -> None:
    soql = _soql_with_uri_of(16_384 - 1_000)
    assert len(_uri(soql)) == 16_384 - 1_000
    response = http.get(_uri(soql), token=admin_token)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["totalSize"] > 0


def test_a_uri_over_16384_bytes_answers_414_in_html(http: Http, admin_token: str) -> None:
    soql = _soql_with_uri_of(16_400)
    assert len(_uri(soql)) == 16_400
    response = http.get(_uri(soql), token=admin_token)
    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"


def test_uri_and_headers_over_16384_bytes_answer_431(http: Http, admin_token: str) -> None:
    # Salesforce answered 431 from about 16,1xx URI characters: the URI fits, the head not.
    soql = _soql_with_uri_of(16_100)
    padding = {"X-Padding": "p" * 400}
    response = http.get(_uri(soql), token=admin_token, headers=padding)
    assert response.status_code == 431
    assert response.text == (
        "<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"
    )
    # The same URI with ordinary headers is answered.
    assert http.get(_uri(soql), token=admin_token).status_code == 200


def test_the_loopback_server_answers_414_rather_than_dropping_the_request(
    shared_org: Org,
) -> None:
    token = Http(shared_org).token()
    soql = _soql_with_uri_of(17_000)
    with serve_in_thread(create_emulator(shared_org)) as server:
        response = httpx2.get(
            server.base_url + _uri(soql), headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 414
    assert "URI Too Long" in response.text


@pytest.mark.parametrize(
    ("status", "reason"), [(414, "URI Too Long"), (431, "Request Header Fields Too Large")]
)
def test_the_client_says_the_request_was_too_long(status: int, reason: str) -> None:
    body = f"<h1>Bad Message {status}</h1><pre>reason: {reason}</pre>".encode()
    error = error_from_rest(status, body)
    assert type(error) is SalesforceError
    assert not error.retryable
    assert f"HTTP {status} {reason}" in error.message and "16,384" in error.message
    assert "fewer fields" in error.remedy and "<h1>" not in error.describe()
