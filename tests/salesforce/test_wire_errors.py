"""Each Salesforce error maps to the right class, retry flag and remedy a person reads."""

from __future__ import annotations

import json

import pytest

from sfimport.errors import (
    ApiDisabled,
    AuthorizationDenied,
    BulkUnsupported,
    ConnectionFailed,
    DailyLimitExceeded,
    FieldUnavailable,
    InsufficientAccess,
    InvalidQuery,
    QueryLocatorExpired,
    ResourceNotFound,
    SalesforceError,
    TransientError,
)
from sfimport.salesforce.wire_errors import error_from_oauth, error_from_rest


def body(code: str, message: str = "message") -> bytes:
    return json.dumps([{"message": message, "errorCode": code}]).encode()


@pytest.mark.parametrize(
    ("status", "code", "message", "error_class"),
    [
        (
            403,
            "API_DISABLED_FOR_ORG",
            "The REST API is not enabled for this Organization.",
            ApiDisabled,
        ),
        (403, "API_CURRENTLY_DISABLED", "API is disabled for this User", ApiDisabled),
        (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", DailyLimitExceeded),
        (403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.", TransientError),
        (401, "INVALID_SESSION_ID", "Session expired or invalid", ConnectionFailed),
        (403, "INSUFFICIENT_ACCESS", "Insufficient privileges", InsufficientAccess),
        (400, "MALFORMED_QUERY", "unexpected token: FORM", InvalidQuery),
        (400, "INVALID_QUERY_LOCATOR", "invalid query locator", QueryLocatorExpired),
        (404, "NOT_FOUND", "The requested resource does not exist", ResourceNotFound),
        (400, "API_ERROR", "Selecting compound data not supported in Bulk Query", BulkUnsupported),
        (400, "INVALIDENTITY", "Entity 'X' is not supported by the Bulk API.", BulkUnsupported),
        (400, "QUERY_TIMEOUT", "Your query request was running for too long.", TransientError),
        (400, "SOMETHING_NEW", "a code nobody has mapped", SalesforceError),
    ],
)
def test_error_codes_map_to_their_class(
    status: int, code: str, message: str, error_class: type[SalesforceError]
) -> None:
    error = error_from_rest(status, body(code, message))
    assert type(error) is error_class
    assert isinstance(error, SalesforceError)
    assert error.error_code == code
    assert error.status == status
    assert error.remedy


def test_api_disabled_tells_the_user_to_get_api_enabled() -> None:
    error = error_from_rest(403, body("API_DISABLED_FOR_ORG"))
    assert "API Enabled" in error.remedy
    assert not error.retryable


def test_daily_limit_says_imports_resume_when_it_resets() -> None:
    error = error_from_rest(403, body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    assert "daily API limit" in error.remedy
    assert "resume" in error.remedy
    assert not error.retryable


def test_invalid_field_on_a_known_field_says_it_was_removed() -> None:
    message = (
        "\nSELECT Id, Secret__c FROM Account\n           ^\nERROR at Row:1:Column:12\n"
        "No such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name."
    )
    error = error_from_rest(400, body("INVALID_FIELD", message), known_fields={"Id", "secret__c"})
    assert isinstance(error, FieldUnavailable)
    assert (error.field, error.sobject) == ("Secret__c", "Account")
    assert "removed since the last import" in error.remedy


@pytest.mark.parametrize(
    ("status", "raw", "error_class", "retryable"),
    [
        (401, b"", ConnectionFailed, False),
        (403, b"<html>Forbidden</html>", InsufficientAccess, False),
        (404, b"", ResourceNotFound, False),
        (503, b"<html>Maintenance</html>", TransientError, True),
        (429, b"", TransientError, True),
        (409, b"", SalesforceError, False),
    ],
)
def test_errors_without_a_body_map_by_status(
    status: int, raw: bytes, error_class: type[SalesforceError], retryable: bool
) -> None:
    error = error_from_rest(status, raw)
    assert type(error) is error_class
    assert error.retryable is retryable


def test_oauth_denial_is_authorization_denied() -> None:
    error = error_from_oauth(
        400, {"error": "access_denied", "error_description": "end-user denied authorization"}
    )
    assert isinstance(error, AuthorizationDenied)
    assert "Allow" in error.remedy


def test_an_oauth_body_on_a_rest_call_is_mapped_as_oauth() -> None:
    raw = json.dumps(
        {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    )
    error = error_from_rest(400, raw.encode())
    assert isinstance(error, ConnectionFailed)
    assert "blocked" in error.remedy
