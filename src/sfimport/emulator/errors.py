"""The emulator's two error shapes: REST errors and OAuth errors, as Salesforce renders them."""

from __future__ import annotations


class SalesforceApiError(Exception):
    """A REST/SOQL failure, rendered as `[{"message": ..., "errorCode": ...}]` with `status`."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        # Record-level errors (ENTITY_IS_DELETED, ...) carry the fields involved, often [].
        self.fields = fields


class OAuthError(Exception):
    """A failure on `/services/oauth2/*`, rendered as `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


def invalid_session() -> SalesforceApiError:
    """The 401 every REST resource answers to a missing, unknown or revoked access token."""
    return SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def not_found() -> SalesforceApiError:
    """The 404 for an unknown resource or an object the user cannot see."""
    return SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")


def retired_version() -> SalesforceApiError:
    """The 410 for a retired API version (a version newer than the org is a plain 404).

    The `GONE` code is what real orgs answered when v20 and older were retired; clients that
    map by errorCode (restforce) met it as a new code.
    """
    return SalesforceApiError(410, "GONE", "The requested resource does not exist")
