"""How each error of ``sfimport.errors`` looks on a page and in the JSON API.

The spec's error table (API disabled, a removed field, a generic connection error) and every
other kind get a plain-words title, the error's own message and remedy, an HTTP status, and
where the app can act on it, a button (re-authorise, re-import fresh, continue without a field).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

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
from sfimport.web.problems import problem


@dataclass(frozen=True)
class ErrorPage:
    title: str
    status: int
    #: What the error means in the person's terms, above Salesforce's own words.
    explain: str = ""


@dataclass(frozen=True)
class Fix:
    """The one primary button of an error page: it acts on the stated cause."""

    label: str
    url: str
    method: str = "post"  # "post" (a form with the CSRF token) or "get" (a link)
    hint: str = ""


#: Salesforce's error code when the Connected App is blocked (Connected Apps OAuth Usage).
APP_BLOCKED = "OAUTH_APP_BLOCKED"


# Most specific first: the first class the error is an instance of wins.
_PAGES: tuple[tuple[type[SfimportError], ErrorPage], ...] = (
    (
        ApiDisabled,
        ErrorPage(
            "API access is not enabled for this Salesforce user",
            403,
            "Salesforce refused the API call because the user who connected lacks the "
            "'API Enabled' permission (or the org's edition has no API access).",
        ),
    ),
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


def is_app_blocked(error: SfimportError) -> bool:
    return isinstance(error, SalesforceError) and (error.error_code or "").upper() == APP_BLOCKED


def blocked_page() -> ErrorPage:
    return ErrorPage(
        "The sfimport app is blocked in Salesforce",
        403,
        "A Salesforce administrator blocked the sfimport app (Setup > Connected Apps OAuth "
        "Usage), which also ends every connection made through it.",
    )


def fix_for(error: SfimportError, connection: str | None, retry_url: str | None) -> Fix | None:
    """The button that fixes what the error page states, or None when only waiting helps."""
    name = quote(connection, safe="") if connection else None
    if isinstance(error, ApiDisabled | InsufficientAccess) and name:
        return Fix(
            "Try again",
            f"/connections/{name}/test",
            hint="Once the permission is enabled in Salesforce, this checks the connection again.",
        )
    if is_app_blocked(error):
        return Fix(
            "Create a new connection",
            "/connections/new",
            method="get",
            hint="Unblock the app in Salesforce first (Setup > Connected Apps OAuth Usage > "
            "Unblock), then connect again.",
        )
    if isinstance(error, ConnectionFailed):
        if name:
            return Fix(
                "Re-authorise",
                f"/connections/{name}/reauthorize",
                hint="Log in to Salesforce again; data sets and schedules are kept.",
            )
        return Fix("Create a new connection", "/connections/new", method="get")
    if isinstance(error, AuthorizationDenied):
        return Fix("Connect again", "/connections/new", method="get")
    if isinstance(error, DailyLimitExceeded | BudgetExceeded | NotFound | UsageError):
        return None
    if error.retryable and retry_url:
        return Fix("Try again", retry_url, method="get")
    return None


def error_json(error: SfimportError) -> dict[str, object]:
    """The error as an RFC 9457 problem (see :mod:`sfimport.web.problems`)."""
    page = page_for(error)
    extra: dict[str, object] = {}
    if isinstance(error, FieldUnavailable):
        extra = {"field": error.field, "object": error.sobject}
    return problem(
        page.status,
        error.kind,
        error.message,
        remedy=error.remedy,
        retryable=error.retryable,
        title=page.title,
        **extra,
    )


def render_error(request: Request, error: SfimportError, connection: str | None) -> HTMLResponse:
    """The error page: title, what it means, Salesforce's words, the remedy and one button."""
    from sfimport.web.dependencies import render  # the templates need this module's labels

    page = blocked_page() if is_app_blocked(error) else page_for(error)
    retry = str(request.url) if request.method == "GET" else None
    return render(
        request,
        "error.html",
        status_code=page.status,
        title=page.title,
        error=error,
        page=page,
        fix=fix_for(error, connection, retry),
        connection_name=connection,
        connection=connection,
    )
