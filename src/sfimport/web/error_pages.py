"""How each error of ``sfimport.errors`` looks on a page and in the JSON API.

The spec's error table (API disabled, a removed field, a generic connection error) and every
other kind get a plain-words title, the error's own message and remedy, an HTTP status, and
where the app can act on it, a button (re-authorise, re-import fresh, continue without a field).
"""

from __future__ import annotations

from dataclasses import dataclass

from sfimport.errors import (
    ApiDisabled,
    AuthorizationDenied,
    BudgetExceeded,
    ConfigurationError,
    ConnectionFailed,
    DailyLimitExceeded,
    FieldUnavailable,
    InsufficientAccess,
    NotFound,
    QueryCancelled,
    QueryTimeout,
    SalesforceError,
    SfimportError,
    StoreBusy,
    StoreError,
    UsageError,
)


@dataclass(frozen=True)
class ErrorPage:
    title: str
    status: int


# Most specific first: the first class the error is an instance of wins.
_PAGES: tuple[tuple[type[SfimportError], ErrorPage], ...] = (
    (ApiDisabled, ErrorPage("API access is not enabled for this Salesforce user", 403)),
    (FieldUnavailable, ErrorPage("A field is no longer available in Salesforce", 409)),
    (AuthorizationDenied, ErrorPage("Salesforce access was not granted", 403)),
    (ConnectionFailed, ErrorPage("sfimport cannot reach your Salesforce data", 502)),
    (InsufficientAccess, ErrorPage("The Salesforce user lacks a permission", 403)),
    (DailyLimitExceeded, ErrorPage("Salesforce's daily API limit is reached", 429)),
    (SalesforceError, ErrorPage("Salesforce returned an error", 502)),
    (BudgetExceeded, ErrorPage("This import would use too much of the API allowance", 409)),
    (StoreBusy, ErrorPage("My Data is busy", 503)),
    (QueryTimeout, ErrorPage("The query took too long", 400)),
    (QueryCancelled, ErrorPage("The query was stopped", 503)),
    (StoreError, ErrorPage("My Data could not be read or written", 500)),
    (NotFound, ErrorPage("Not found", 404)),
    (UsageError, ErrorPage("Please check what you entered", 400)),
    (ConfigurationError, ErrorPage("sfimport is not configured for this", 500)),
    (SfimportError, ErrorPage("Something went wrong", 500)),
)

#: Button labels of the actions a run's error can offer (``ErrorInfo.actions``).
ACTION_LABELS = {
    "reimport": "Re-import fresh",
    "retry": "Retry",
    "continue_without_field": "Continue without the field",
    "resume": "Resume now",
    "reauthorize": "Re-authorise",
}

#: What each button does, shown as its tooltip.
ACTION_HINTS = {
    "reimport": "Import the data set again from scratch, with every field Salesforce offers now.",
    "retry": "Run the refresh again, once the field or its permission is back in Salesforce.",
    "continue_without_field": "Refresh without the missing field; the column stops updating.",
    "resume": "Continue the run where it stopped; nothing already downloaded is fetched again.",
    "reauthorize": "Log in to Salesforce again for this connection, then resume the run.",
}


def page_for(error: SfimportError) -> ErrorPage:
    for cls, page in _PAGES:
        if isinstance(error, cls):
            return page
    raise AssertionError("SfimportError is always matched")  # pragma: no cover


def offers_reauthorise(error: SfimportError) -> bool:
    """Errors a fresh Salesforce login can fix (a revoked or blocked connection, a Deny)."""
    return isinstance(error, ConnectionFailed | AuthorizationDenied | ApiDisabled)


def error_json(error: SfimportError) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": error.kind,
        "message": error.message,
        "remedy": error.remedy,
        "retryable": error.retryable,
    }
    if isinstance(error, FieldUnavailable):
        body["field"] = error.field
        body["object"] = error.sobject
    return body
