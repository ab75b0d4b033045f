"""Connections: authorise (OAuth or a refresh token), re-authorise, list, check, delete."""

from __future__ import annotations

from sfimport.app.core import Core
from sfimport.extract.connections import (
    Connected,
    DeletionResult,
    PendingAuthorization,
)
from sfimport.extract.permissions import PermissionReport
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.metadata import Connection

logger = redacting_logger(__name__)


class ConnectionsService(Core):
    """Connections: authorise (OAuth or a refresh token), re-authorise, list, check, delete."""

    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        redirect_uri: str | None = None,
        reauthorize: bool = False,
    ) -> PendingAuthorization:
        """Start the OAuth round trip for a new connection, or with ``reauthorize`` for a new
        login to an existing one (its login URL and sandbox flag are kept)."""
        return self._connections.begin_authorization(
            name,
            sandbox=sandbox,
            login_url=login_url,
            redirect_uri=redirect_uri,
            reauthorize=reauthorize,
        )

    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> Connected:
        """The new connection (``.connection``) and its permission check (``.permissions``);
        after a re-authorisation (``.reauthorized``) the same connection with new tokens, its
        data sets and schedules kept. A login to another org is refused (UsageError)."""
        connected = self._connections.complete_authorization(
            state=state, code=code, error=error, error_description=error_description
        )
        if connected.reauthorized:
            self._forget_client(connected.name)
        return connected

    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        reauthorize: bool = False,
    ) -> Connected:
        connected = self._connections.connect_with_refresh_token(
            name, refresh_token, sandbox=sandbox, login_url=login_url, reauthorize=reauthorize
        )
        if connected.reauthorized:
            self._forget_client(connected.name)
        return connected

    def list_connections(self) -> list[Connection]:
        return self._connections.list_connections()

    def get_connection(self, name: str) -> Connection:
        return self._connections.get_connection(name)

    def check_permissions(self, name: str) -> PermissionReport:
        return self._connections.check_permissions(name)

    def test_connection(self, name: str) -> Connection:
        """A real data call; updates the connection's status and API usage, raises on failure."""
        check = self._connections.test_connection(name)
        if not check.ok and check.error is not None:
            raise check.error
        return self._connections.get_connection(name)

    def delete_connection(self, name: str) -> DeletionResult:
        self._forget_client(name)
        return self._connections.delete_connection(name)
