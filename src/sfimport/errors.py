"""The one exception tree of sfimport: every error a person can meet, with what to do next.

Everything the product raises derives from :class:`SfimportError`. Each class says whether
retrying the same call can succeed (``retryable``) and carries a plain-language ``remedy``.
Salesforce's wire errors are mapped onto this tree in one place,
``sfimport.salesforce.wire_errors``; nothing else inspects ``errorCode`` strings.

    SfimportError
    ├── UsageError                  bad input: a flag, a date, a folder name, a spec file
    │   ├── NotSupportedObject      an object never imported (unsupported list, *ChangeEvent)
    │   └── PipeInvalid             a pipe definition that cannot be saved (not read-only, a cycle)
    ├── ConfigurationError          settings missing or wrong (no Connected App configured, bad key)
    ├── NotFound                    a connection, data set, run or report that does not exist here
    ├── SalesforceError             Salesforce answered with an error (status, errorCode, message)
    │   ├── ConnectionFailed        generic connection error: app blocked, token revoked
    │   ├── AuthorizationDenied     the person pressed Deny, or the OAuth state/PKCE check failed
    │   ├── ApiDisabled             the user lacks "API Enabled" (API_DISABLED_FOR_ORG, ...)
    │   ├── InsufficientAccess      a permission is missing (Run Reports, View Setup, ...)
    │   ├── DailyLimitExceeded      REQUEST_LIMIT_EXCEEDED: the org's daily API allowance is used up
    │   ├── FieldUnavailable        INVALID_FIELD on a field imported before (removed/hidden)
    │   ├── InvalidQuery            MALFORMED_QUERY / INVALID_TYPE / INVALID_FIELD on a new query
    │   ├── ResourceNotFound        NOT_FOUND from Salesforce
    │   ├── BulkUnsupported         Bulk API refuses the object or a field: fall back to REST
    │   └── TransientError          5xx, timeouts, dropped connections (retryable)
    │       └── QueryLocatorExpired INVALID_QUERY_LOCATOR: restart from the checkpoint
    ├── StoreError                  My Data or the metadata database could not be read or written
    │   ├── StoreBusy               another process holds the write lock right now (retryable)
    │   └── SchemaTooNew            the data folder was written by a newer sfimport
    ├── BudgetExceeded              a run would cross the API budget set for it; nothing was started
    ├── PipeFailed                  a pipe's rebuild failed (pipe, step, column); last output kept
    └── RunStopped                  sfimport shut down mid-run; the run resumes where it stopped
"""

from __future__ import annotations


class SfimportError(Exception):
    """Root of every error sfimport raises on purpose."""

    retryable: bool = False
    remedy: str = ""
    #: A short, stable name for the kind of error, for JSON output and the web app.
    kind: str = "error"

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if remedy is not None:
            self.remedy = remedy

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """The message and its remedy as one paragraph for a person."""
        return f"{self.message} {self.remedy}".strip()


class UsageError(SfimportError):
    kind = "usage"
    remedy = "Check the value and try again; nothing was changed."


class NotSupportedObject(UsageError):
    kind = "not_supported"
    remedy = "Choose another object: this one is on sfimport's list of unsupported objects."


class PipeInvalid(UsageError):
    """A pipe definition refused at save time: not one read-only SELECT, an unknown source, a
    cycle, an untyped output column, a column that would lose its concealment."""

    kind = "pipe_invalid"
    remedy = "Fix the pipe's definition and save it again; nothing was changed."

    def __init__(
        self,
        message: str,
        *,
        remedy: str | None = None,
        step: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.step = step
        self.column = column


class ConfigurationError(SfimportError):
    kind = "configuration"
    remedy = "Check the settings (SFIMPORT_* environment variables) and try again."


class NotFound(SfimportError):
    kind = "not_found"
    remedy = "Check the name; list what exists with the matching list command or page."


class SalesforceError(SfimportError):
    """Salesforce answered with an error; ``error_code`` is its own code when it sent one."""

    kind = "salesforce"
    remedy = "Try again later; if it keeps failing, check the connection in Salesforce."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.status = status
        self.error_code = error_code


class ConnectionFailed(SalesforceError):
    kind = "connection"
    remedy = (
        "The sfimport app may be blocked in Salesforce or the connection revoked. "
        "Unblock the app in Salesforce (Setup > Connected Apps OAuth Usage) and re-authorise, "
        "or create a new connection."
    )


class AuthorizationDenied(SalesforceError):
    kind = "authorization_denied"
    remedy = "Start the connection again and press Allow on Salesforce's Allow Access? page."


class ApiDisabled(SalesforceError):
    kind = "api_disabled"
    remedy = (
        "Enable the 'API Enabled' permission for this Salesforce user (Profile or Permission "
        "Set), then try again."
    )


class InsufficientAccess(SalesforceError):
    kind = "insufficient_access"
    remedy = "Give the Salesforce user the missing permission, then try again."


class DailyLimitExceeded(SalesforceError):
    kind = "daily_limit"
    remedy = (
        "The org's daily API limit is reached. Imports resume automatically when Salesforce "
        "resets the allowance (a rolling 24 hours); nothing already imported is lost."
    )


class FieldUnavailable(SalesforceError):
    kind = "field_unavailable"
    remedy = (
        "A field, or its field-level permission, was removed since the last import. Either "
        "re-import the data set fresh, or restore the field or its permission in Salesforce "
        "and retry; you can also continue without the field."
    )

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        sobject: str | None = None,
        status: int | None = None,
        error_code: str | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, status=status, error_code=error_code, remedy=remedy)
        self.field = field
        self.sobject = sobject


class InvalidQuery(SalesforceError):
    kind = "invalid_query"
    remedy = "The query was refused by Salesforce; check the object and field names."


class ResourceNotFound(SalesforceError):
    kind = "resource_not_found"
    remedy = "The object, report or job does not exist or this user cannot see it."


class BulkUnsupported(SalesforceError):
    kind = "bulk_unsupported"
    remedy = "sfimport reads this object through the REST API instead."


class TransientError(SalesforceError):
    kind = "transient"
    retryable = True
    remedy = "A temporary problem at Salesforce or on the network; sfimport retries it."


class QueryLocatorExpired(TransientError):
    kind = "query_locator_expired"
    remedy = "The query cursor expired; sfimport restarts it from the last checkpoint."


class StoreError(SfimportError):
    kind = "store"
    remedy = "Check that the data folder exists, is writable and has free space."


class SchemaTooNew(StoreError):
    kind = "schema_too_new"
    remedy = (
        "Use the sfimport release that wrote this data folder (or a newer one), or point "
        "SFIMPORT_HOME at another folder; nothing was changed."
    )


class StoreBusy(StoreError):
    kind = "store_busy"
    retryable = True
    remedy = "Another sfimport process is writing to My Data; try again in a moment."


class TooManyQueries(StoreBusy):
    kind = "too_many_queries"
    remedy = "Other queries over My Data are running; wait for one to finish and run it again."


class QueryTimeout(SfimportError):
    """A query over My Data ran past its deadline and was interrupted."""

    kind = "query_timeout"
    remedy = (
        "Narrow the query (a WHERE, a LIMIT, fewer joins), or allow longer with "
        "SFIMPORT_QUERY_TIMEOUT (seconds)."
    )


class QueryCancelled(SfimportError):
    """A query was interrupted because its client went away or sfimport is stopping."""

    kind = "query_cancelled"
    retryable = True
    remedy = "Run the query again."


class BudgetExceeded(SfimportError):
    kind = "budget"
    remedy = (
        "Import fewer data sets, raise the budget (--budget), or wait for the daily allowance "
        "to reset."
    )


class PipeFailed(SfimportError):
    """A pipe could not be rebuilt (a source column gone, SQL that no longer runs); its last
    good output stays in My Data."""

    kind = "pipe_failed"
    remedy = "Edit the pipe so that it runs again ('sfimport pipe edit NAME FILE')."

    def __init__(
        self,
        message: str,
        *,
        pipe: str,
        remedy: str | None = None,
        step: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.pipe = pipe
        self.step = step
        self.field = column

    @property
    def column(self) -> str | None:
        return self.field


class ApiBudgetReached(DailyLimitExceeded):
    """A run stopped itself before its next call would cross the API budget set for it.

    Raised before the call is sent, so the budget is never crossed; the run keeps what it
    completed and waits like a run that met Salesforce's own daily limit.
    """

    kind = "api_budget"
    remedy = (
        "The run stopped before crossing its share of the org's daily API allowance and "
        "resumes automatically when the allowance frees up; raise the budget to finish sooner."
    )


class RunStopped(SfimportError):
    """A run stopped after its last saved page because sfimport was shutting down (the
    workspace closed). Nothing is lost: the run resumes where it stopped."""

    kind = "stopped"
    retryable = True
    remedy = (
        "It resumes where it stopped: by itself once the web app runs again, or with Resume now "
        "('sfimport resume RUN_ID')."
    )


class StoppedByUser(RunStopped):
    """A run the person stopped (Ctrl-C in the terminal) after its last saved page. Nothing is
    lost, and it is not failed: it resumes where it stopped when they ask, never by itself."""

    kind = "stopped_by_user"
    retryable = True
    remedy = "Continue it where it stopped with 'sfimport resume RUN_ID'."
