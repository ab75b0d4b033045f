"""The one place that turns Salesforce's error answers into :mod:`sfimport.errors`.

REST, Bulk and Analytics errors are a JSON array ``[{"message", "errorCode"}]``; OAuth errors
are an object ``{"error", "error_description"}``. The body's code decides first, the HTTP
status second. Messages pass through :func:`~sfimport.salesforce.redaction.redact`, so no
token can reach a person through an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from sfimport.errors import (
    ApiDisabled,
    AuthorizationDenied,
    BulkUnsupported,
    ConfigurationError,
    ConnectionFailed,
    DailyLimitExceeded,
    FieldUnavailable,
    InsufficientAccess,
    InvalidQuery,
    QueryLocatorExpired,
    ResourceNotFound,
    SalesforceError,
    SfimportError,
    TransientError,
)
from sfimport.salesforce.redaction import redact

#: Statuses the edge (not the API) answers while overloaded or in maintenance, often with an
#: empty or HTML body. Retrying them is safe.
RETRYABLE_STATUSES = frozenset({406, 420, 429, 500, 502, 503, 504})

#: The web tier's answers to a request head over 16,384 bytes (a SOQL URI of a wide object).
_TOO_LONG = {414: "URI Too Long", 431: "Request Header Fields Too Large"}
_API_DISABLED = frozenset({"API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED"})
_SESSION = frozenset({"INVALID_SESSION_ID", "INVALID_AUTH_HEADER", "INVALIDSESSIONID"})
_ACCESS = frozenset(
    {"INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "FORBIDDEN", "INVALIDUSER"}
)
_QUERY = frozenset(
    {
        "MALFORMED_QUERY",
        "INVALID_TYPE",
        "INVALID_TYPE_FOR_OPERATION",
        "MALFORMED_SEARCH",
        "INVALID_QUERY_FILTER_OPERATOR",
        "EXTERNAL_OBJECT_UNSUPPORTED_EXCEPTION",
        "INVALID_REPLICATION_DATE",
        "EXCEEDED_ID_LIMIT",
        "OPERATION_TOO_LARGE",
        "CLIENTINPUTERROR",
    }
)
_NOT_FOUND = frozenset({"NOT_FOUND", "ENTITY_IS_DELETED", "NOTFOUND"})
_TRANSIENT = frozenset(
    {
        "QUERY_TIMEOUT",
        "SERVER_UNAVAILABLE",
        "UNKNOWN_EXCEPTION",
        "TXN_SECURITY_METERING_ERROR",
        "TIMEOUT",
        "TOOMANYLOCKFAILURE",
    }
)
_BULK_REFUSED = frozenset({"INVALIDENTITY", "FEATURENOTENABLED", "FEATURE_NOT_ENABLED"})
# Bulk's API_ERROR is a catch-all; only these messages mean "this object or field, not Bulk".
_BULK_REFUSAL_MESSAGES = (
    "not supported by the bulk api",
    "compound data not supported",
    "implementation restriction",
    "does not support query",
)
# "No such column 'Foo' on entity 'Account'" / "No such column 'foo' on sobject of type Bar"
_NO_SUCH_COLUMN = re.compile(
    r"No such column '(?P<field>[^']+)' on "
    r"(?:entity '(?P<entity>[^']+)'|sobject of type (?P<type>\w+))"
)

_GENERIC_CONNECTION_MESSAGE = "The Salesforce connection no longer works."


def error_from_rest(
    status: int,
    body: bytes | str,
    *,
    known_fields: Collection[str] = (),
) -> SfimportError:
    """The error for a non-2xx REST/Bulk/Analytics answer (``status`` and raw ``body``).

    ``known_fields`` are fields imported before: ``INVALID_FIELD`` on one of them means the
    field or its field-level permission went away, which has its own remedy.
    """
    parsed = _json_or_none(body)
    if isinstance(parsed, dict) and "error" in parsed:
        return error_from_oauth(status, parsed)
    code, message = _first_rest_error(parsed)
    if code is None:
        return _error_from_status(status, _text_or_empty(body))
    message = redact(message)
    upper = code.upper()
    if upper in _API_DISABLED:
        return ApiDisabled(message, status=status, error_code=code)
    if upper in _SESSION:
        return ConnectionFailed(
            f"{_GENERIC_CONNECTION_MESSAGE} Salesforce said: {message}",
            status=status,
            error_code=code,
        )
    if upper == "REQUEST_LIMIT_EXCEEDED":
        # The same code covers a short-lived concurrency cap; only the daily one is final.
        if "concurrent" in message.lower():
            return TransientError(message, status=status, error_code=code)
        return DailyLimitExceeded(message, status=status, error_code=code)
    if upper == "INVALID_FIELD":
        return _invalid_field(message, status, code, known_fields)
    if upper == "INVALID_QUERY_LOCATOR":
        return QueryLocatorExpired(message, status=status, error_code=code)
    if upper in _ACCESS:
        return InsufficientAccess(message, status=status, error_code=code)
    if upper in _NOT_FOUND:
        return ResourceNotFound(message, status=status, error_code=code)
    if upper in _QUERY:
        return InvalidQuery(message, status=status, error_code=code)
    if upper in _TRANSIENT:
        return TransientError(message, status=status, error_code=code)
    if upper in _BULK_REFUSED or (
        upper == "API_ERROR" and any(part in message.lower() for part in _BULK_REFUSAL_MESSAGES)
    ):
        return BulkUnsupported(message, status=status, error_code=code)
    if upper == "LIMIT_EXCEEDED" and "bulk" in message.lower():
        return BulkUnsupported(
            message,
            status=status,
            error_code=code,
            remedy="The org's daily Bulk API allowance is used up; sfimport reads through the "
            "REST API instead until it resets.",
        )
    error = _error_from_status(status, message)
    error.error_code = code
    return error


def error_from_oauth(status: int, body: dict[str, Any] | bytes | str) -> SfimportError:
    """The error for an ``/services/oauth2/*`` answer or an ``error=`` on the OAuth redirect."""
    parsed = body if isinstance(body, dict) else _json_or_none(body)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("error"), str):
        return _error_from_status(
            status, _text_or_empty(body) if not isinstance(body, dict) else ""
        )
    code: str = parsed["error"]
    description = redact(str(parsed.get("error_description") or code))
    said = f"Salesforce said: {code} ({description})."
    lowered = description.lower()
    if code == "access_denied":
        return AuthorizationDenied(
            f"Access to Salesforce was not allowed. {said}", status=status, error_code=code
        )
    if code == "invalid_request" or (
        code == "invalid_grant"
        and any(part in lowered for part in ("verifier", "challenge", "pkce", "authorization code"))
    ):
        # PKCE mismatches and stale or replayed codes: only a fresh authorization helps.
        return AuthorizationDenied(
            f"The Salesforce authorization could not be completed. {said}",
            status=status,
            error_code=code,
        )
    if code in {"invalid_client_id", "invalid_client", "redirect_uri_mismatch", "invalid_scope"}:
        return ConfigurationError(
            f"Salesforce refused sfimport's Connected App settings. {said}",
            remedy="Check SFIMPORT_CLIENT_ID, SFIMPORT_CLIENT_SECRET and SFIMPORT_REDIRECT_URI "
            "against the Connected App in Salesforce.",
        )
    if code == "rate_limit_exceeded":
        return TransientError(f"Too many logins. {said}", status=status, error_code=code)
    # invalid_grant (revoked or expired refresh token), app_blocked, inactive_user/org,
    # invalid_token, unsupported_token_type: the generic connection error.
    return ConnectionFailed(f"{_GENERIC_CONNECTION_MESSAGE} {said}", status=status, error_code=code)


def is_retryable_status(status: int, body: bytes) -> bool:
    """True for 5xx, and for 406/420/429 answered by the edge (empty or non-JSON body)."""
    if status >= 500:
        return True
    if status in RETRYABLE_STATUSES:
        return _first_rest_error(_json_or_none(body))[0] is None
    return False


def is_invalid_session(status: int, body: bytes) -> bool:
    """True for the 401 that means "the access token expired": refresh and re-send."""
    if status != 401:
        return False
    code, _ = _first_rest_error(_json_or_none(body))
    return code is not None and code.upper() == "INVALID_SESSION_ID"


def _invalid_field(
    message: str, status: int, code: str, known_fields: Collection[str]
) -> SalesforceError:
    match = _NO_SUCH_COLUMN.search(message)
    field = match.group("field") if match else None
    sobject = (match.group("entity") or match.group("type")) if match else None
    known = {name.lower() for name in known_fields}
    if field is not None and field.lower() in known:
        where = f" on {sobject}" if sobject else ""
        return FieldUnavailable(
            f"The field {field}{where} is no longer available to this Salesforce user.",
            field=field,
            sobject=sobject,
            status=status,
            error_code=code,
        )
    return InvalidQuery(message, status=status, error_code=code)


def _error_from_status(status: int, text: str) -> SalesforceError:
    detail = redact(text.strip())[:300] or f"HTTP {status}"
    message = f"Salesforce answered HTTP {status}: {detail}"
    if status in _TOO_LONG:
        # Salesforce's web tier answers these in HTML before the API sees the request.
        return SalesforceError(
            f"Salesforce refused the request as too long (HTTP {status} {_TOO_LONG[status]}): "
            "its URI and headers may take 16,384 bytes.",
            status=status,
            remedy="Select fewer fields of this object, or read it through the Bulk API.",
        )
    if status == 401:
        return ConnectionFailed(f"{_GENERIC_CONNECTION_MESSAGE} ({message})", status=status)
    if status == 403:
        return InsufficientAccess(message, status=status)
    if status == 404:
        return ResourceNotFound(message, status=status)
    if status >= 500 or status in RETRYABLE_STATUSES:
        return TransientError(message, status=status)
    return SalesforceError(message, status=status)


def _first_rest_error(parsed: Any) -> tuple[str | None, str]:
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        first = parsed[0]
        code = first.get("errorCode")
        if isinstance(code, str):
            return code, str(first.get("message") or code)
    # Some Bulk endpoints answer a single object instead of an array.
    if isinstance(parsed, dict) and isinstance(parsed.get("errorCode"), str):
        return parsed["errorCode"], str(parsed.get("message") or parsed["errorCode"])
    return None, ""


def _json_or_none(body: bytes | str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _text_or_empty(body: bytes | str) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body
