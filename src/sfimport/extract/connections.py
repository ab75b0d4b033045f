"""Salesforce connections end to end: the OAuth round trip (or a headless refresh token), the
stored connection with its encrypted tokens, ready clients, the connection test and deletion.

The authorization in progress (state and PKCE verifier) stays on the server, keyed by the
state that comes back on the redirect; it is single-use and expires after 15 minutes.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx2

from sfimport.errors import (
    AuthorizationDenied,
    ConfigurationError,
    ConnectionFailed,
    SfimportError,
    UsageError,
)
from sfimport.extract.permissions import (
    REQUIRED_PERMISSIONS,
    PermissionItem,
    PermissionReport,
    check_permissions,
)
from sfimport.salesforce.auth import (
    OAuthApp,
    OAuthClient,
    SalesforceAuth,
    TokenSet,
    authorization_request,
    is_sandbox_login_url,
    normalize_login_url,
)
from sfimport.salesforce.client import DEFAULT_TIMEOUT, ApiUsage, RetryPolicy, SalesforceClient
from sfimport.salesforce.hosts import parse_extra_hosts
from sfimport.salesforce.redaction import redacting_logger, remember_secret
from sfimport.salesforce.wire_errors import error_from_oauth
from sfimport.settings import Settings
from sfimport.store.metadata import (
    Connection,
    ConnectionStatus,
    ConnectionStore,
    NewConnection,
    create_metadata_engine,
    local_user,
)
from sfimport.store.secrets import SecretBox

logger = redacting_logger(__name__)

PENDING_TTL_SECONDS = 15 * 60
#: How often API usage seen on responses is written to the metadata database.
USAGE_SAVE_INTERVAL_SECONDS = 30.0
MAX_NAME_LENGTH = 80
_NAME_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization in progress: send the person to ``authorize_url``."""

    name: str
    authorize_url: str
    state: str
    code_verifier: str = field(repr=False)
    login_url: str
    redirect_uri: str
    is_sandbox: bool
    #: A new login for the existing connection ``name`` (its tokens are replaced), not a new one.
    reauthorize: bool = False


class PendingFlows:
    """Authorizations in progress, kept server-side and keyed by state (thread-safe)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, ttl: float = PENDING_TTL_SECONDS
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._flows: dict[str, tuple[float, PendingAuthorization]] = {}

    def add(self, flow: PendingAuthorization) -> None:
        with self._lock:
            self._expire()
            self._flows[flow.state] = (self._clock(), flow)

    def pop(self, state: str) -> PendingAuthorization | None:
        """The flow with this state, removed (a state is good for one answer only)."""
        with self._lock:
            self._expire()
            entry = self._flows.pop(state, None)
            return None if entry is None else entry[1]

    def _expire(self) -> None:
        now = self._clock()
        for state in [s for s, (added, _) in self._flows.items() if now - added > self._ttl]:
            del self._flows[state]


@dataclass(frozen=True)
class Connected:
    """A connection just made, with the permission check run right after."""

    connection: Connection
    permissions: PermissionReport
    #: True when an existing connection was authorised again (its data sets kept).
    reauthorized: bool = False

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def login_url(self) -> str:
        return self.connection.login_url

    @property
    def instance_url(self) -> str:
        return self.connection.instance_url

    @property
    def is_sandbox(self) -> bool:
        return self.connection.is_sandbox


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of a connection test (a real data call)."""

    connection: Connection
    ok: bool
    message: str
    error: SfimportError | None = None
    usage: ApiUsage | None = None

    @property
    def name(self) -> str:
        return self.connection.name


@dataclass(frozen=True)
class DeletionResult:
    name: str
    #: True when Salesforce revoked the token; False when it was already dead.
    revoked: bool
    message: str


class ConnectionService:
    """Connections of one data folder. Thread-safe; share one per process."""

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        *,
        http: httpx2.Client | None = None,
        pending: PendingFlows | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._owns_http = http is None
        self._http = http if http is not None else httpx2.Client(timeout=DEFAULT_TIMEOUT)
        self._pending = pending or PendingFlows(clock=clock)
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._owner = owner or local_user()
        #: Hosts beyond Salesforce's own domains and loopback that may be signed in at.
        self.extra_hosts = parse_extra_hosts(settings.extra_hosts)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        http: httpx2.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ConnectionService:
        """The service over the data folder's metadata database and secret key; ``sleep`` and
        ``clock`` are handed to every client it makes (retry pauses, Bulk job deadlines)."""
        store = ConnectionStore(
            create_metadata_engine(settings.metadata_url), SecretBox.from_settings(settings)
        )
        return cls(settings, store, http=http, sleep=sleep, clock=clock)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()
        self.store.close()

    # --- Reading ----------------------------------------------------------------------------

    def list_connections(self) -> list[Connection]:
        return self.store.list_connections()

    def get_connection(self, name: str) -> Connection:
        return self.store.get(name)

    # --- Making a connection ----------------------------------------------------------------

    def login_url_for(self, *, sandbox: bool = False, login_url: str | None = None) -> str:
        """The login host: a pasted My Domain URL wins over the production/sandbox choice."""
        if login_url and login_url.strip():
            return normalize_login_url(login_url, self.extra_hosts)
        chosen = self.settings.sandbox_login_url if sandbox else self.settings.production_login_url
        return normalize_login_url(chosen, self.extra_hosts)

    def begin_authorization(
        self,
        name: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        redirect_uri: str | None = None,
        reauthorize: bool = False,
    ) -> PendingAuthorization:
        """Start the web-server flow for a new connection called ``name``, or with
        ``reauthorize`` a new login for the existing connection ``name``: its login URL and
        sandbox flag are kept (``sandbox`` and ``login_url`` are then ignored)."""
        if reauthorize:
            existing = self.store.get(name.strip())
            name, base, sandbox = existing.name, existing.login_url, existing.is_sandbox
        else:
            name = self._new_name(name)
            base = self.login_url_for(sandbox=sandbox, login_url=login_url)
        app = self._app(redirect_uri)
        request = authorization_request(base, app, extra_hosts=self.extra_hosts)
        flow = PendingAuthorization(
            name=name,
            authorize_url=request.url,
            state=request.state,
            code_verifier=request.code_verifier,
            login_url=request.login_url,
            redirect_uri=app.redirect_uri,
            is_sandbox=sandbox or is_sandbox_login_url(base),
            reauthorize=reauthorize,
        )
        self._pending.add(flow)
        what = "Re-authorization" if reauthorize else "Authorization"
        logger.info("%s started for connection %r at %s", what, name, base)
        return flow

    def complete_authorization(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> Connected:
        """Finish the flow with what Salesforce sent to the redirect URI."""
        flow = self._pending.pop(state) if state else None
        if flow is None:
            raise AuthorizationDenied(
                "This Salesforce answer does not match a connection being made here "
                "(unknown or expired state).",
                error_code="state_mismatch",
            )
        if error:
            denied = error_from_oauth(
                400, {"error": error, "error_description": error_description or error}
            )
            raise denied
        if not code:
            raise AuthorizationDenied("Salesforce sent no authorization code.")
        oauth = OAuthClient(
            self._http, flow.login_url, self._app(flow.redirect_uri), extra_hosts=self.extra_hosts
        )
        tokens = oauth.exchange_code(code, flow.code_verifier)
        if tokens.refresh_token is None:
            raise ConfigurationError(
                "Salesforce granted no refresh token, so the connection would stop working "
                "within hours.",
                remedy="Add the 'Perform requests at any time (refresh_token, offline_access)' "
                "scope to the Connected App, then connect again.",
            )
        if flow.reauthorize:
            return self._store_again(flow.name, tokens, oauth, revoke_if_refused=True)
        return self._store_new(flow.name, flow.login_url, flow.is_sandbox, tokens, oauth)

    def connect_with_refresh_token(
        self,
        name: str,
        refresh_token: str,
        *,
        sandbox: bool = False,
        login_url: str | None = None,
        reauthorize: bool = False,
    ) -> Connected:
        """Create a connection from an existing refresh token (servers, tests): no browser.
        With ``reauthorize``, give the existing connection ``name`` this token instead."""
        remember_secret(refresh_token)
        if reauthorize:
            existing = self.store.get(name.strip())
            name, base = existing.name, existing.login_url
        else:
            name = self._new_name(name)
            base = self.login_url_for(sandbox=sandbox, login_url=login_url)
        if not refresh_token.strip():
            raise UsageError("The refresh token is empty.")
        oauth = OAuthClient(self._http, base, self._app(None), extra_hosts=self.extra_hosts)
        tokens = oauth.refresh(refresh_token.strip())
        if reauthorize:
            # The token was made elsewhere: refused, it is left alive for its owner.
            return self._store_again(name, tokens, oauth, revoke_if_refused=False)
        return self._store_new(name, base, sandbox or is_sandbox_login_url(base), tokens, oauth)

    # --- Using a connection -----------------------------------------------------------------

    def client_for(self, name: str) -> SalesforceClient:
        """A ready client; refreshed tokens are saved back encrypted, API usage recorded."""
        connection = self.store.get(name)
        stored = self.store.tokens(name)
        tokens = TokenSet(
            access_token=stored.access_token,
            refresh_token=stored.refresh_token,
            instance_url=connection.instance_url,
            identity_url=f"{connection.login_url}/id/{connection.org_id}/{connection.user_id}",
        )
        return self._client(name, self._auth(name, connection.login_url, tokens))

    def check_permissions(self, name: str) -> PermissionReport:
        """Run the permission check for a stored connection."""
        connection = self.store.get(name)
        with self.client_for(name) as client:
            return _checked_permissions(client, connection.user_id)

    def test_connection(self, name: str) -> ConnectionCheck:
        """Make a real data call; a dead refresh token marks the connection for re-auth."""
        self.store.get(name)
        client = self.client_for(name)
        try:
            client.rest.count("SELECT COUNT() FROM Organization")
        except ConnectionFailed as exc:
            self.store.set_status(name, ConnectionStatus.NEEDS_REAUTH)
            return ConnectionCheck(
                self.store.get(name), ok=False, message=exc.describe(), error=exc
            )
        except SfimportError as exc:
            self.store.set_status(name, self.store.get(name).status)
            return ConnectionCheck(
                self.store.get(name), ok=False, message=exc.describe(), error=exc
            )
        finally:
            client.close()
        usage = client.usage
        if usage is not None:
            self.store.record_api_usage(name, used=usage.used, maximum=usage.max)
        self.store.set_status(name, ConnectionStatus.ACTIVE)
        connection = self.store.get(name)
        message = f"Connected to {connection.instance_url} as {connection.username}."
        if usage is not None:
            message += f" {usage.used:,} of {usage.max:,} daily API calls used."
        return ConnectionCheck(connection, ok=True, message=message, usage=usage)

    def delete_connection(self, name: str, *, force: bool = False) -> DeletionResult:
        """Revoke the connection's token at Salesforce, then delete it here.

        A token Salesforce already considers dead is no obstacle: the connection is deleted
        and the result says so. Other failures (Salesforce unreachable) keep the connection
        unless ``force``.
        """
        connection = self.store.get(name)
        stored = self.store.tokens(name)
        # Revoking the refresh token revokes every access token issued from it.
        token = stored.refresh_token or stored.access_token
        oauth = OAuthClient(
            self._http,
            connection.login_url,
            self._app(None, required=False),
            extra_hosts=self.extra_hosts,
        )
        try:
            oauth.revoke(token)
        except ConnectionFailed:
            self.store.delete(name)
            return DeletionResult(
                name,
                revoked=False,
                message=f"Deleted {name!r}. Salesforce had already revoked or expired its "
                "access, so there was nothing left to revoke.",
            )
        except SfimportError as exc:
            if not force:
                raise
            self.store.delete(name)
            return DeletionResult(
                name,
                revoked=False,
                message=f"Deleted {name!r} here, but its access could not be revoked at "
                f"Salesforce ({exc.message}). Revoke it in Salesforce under Connected Apps "
                "OAuth Usage.",
            )
        self.store.delete(name)
        logger.info("Connection %r revoked and deleted", name)
        return DeletionResult(
            name, revoked=True, message=f"Revoked sfimport's access and deleted {name!r}."
        )

    # --- Internals --------------------------------------------------------------------------

    def _app(self, redirect_uri: str | None, *, required: bool = True) -> OAuthApp:
        client_id = self.settings.client_id
        if not client_id:
            if required:
                raise ConfigurationError(
                    "No Salesforce Connected App is configured.",
                    remedy="Set SFIMPORT_CLIENT_ID and SFIMPORT_CLIENT_SECRET to the Connected "
                    "App's consumer key and secret.",
                )
            client_id = ""
        app = OAuthApp(
            client_id=client_id,
            client_secret=self.settings.client_secret,
            redirect_uri=self.settings.redirect_uri,
        )
        return replace(app, redirect_uri=redirect_uri) if redirect_uri else app

    def _new_name(self, name: str) -> str:
        cleaned = name.strip()
        if not cleaned:
            raise UsageError("The connection needs a name.")
        if len(cleaned) > MAX_NAME_LENGTH or _NAME_FORBIDDEN.search(cleaned):
            raise UsageError(
                f"Connection names are 1 to {MAX_NAME_LENGTH} characters, without slashes "
                "or control characters."
            )
        if self.store.exists(cleaned):
            raise UsageError(
                f"A connection named {cleaned!r} already exists.",
                remedy="Choose another name, or delete the existing connection first.",
            )
        return cleaned

    def _store_new(
        self, name: str, login_url: str, is_sandbox: bool, tokens: TokenSet, oauth: OAuthClient
    ) -> Connected:
        identity = oauth.identity(tokens)
        auth = self._auth(name, login_url, tokens)
        with self._client(name, auth) as client:
            is_sandbox = is_sandbox or _org_is_sandbox(client)
            connection = self.store.add(
                NewConnection(
                    name=name,
                    login_url=login_url,
                    instance_url=tokens.instance_url,
                    org_id=identity["organization_id"],
                    user_id=identity["user_id"],
                    username=identity["username"],
                    is_sandbox=is_sandbox,
                    owner=self._owner,
                ),
                # The tokens as they are now: a check above may have refreshed them.
                access_token=auth.tokens.access_token,
                refresh_token=auth.tokens.refresh_token,
            )
            permissions = _checked_permissions(client, identity["user_id"])
        logger.info("Connection %r stored for %s", name, connection.instance_url)
        return Connected(connection=self.store.get(name), permissions=permissions)

    def _store_again(
        self, name: str, tokens: TokenSet, oauth: OAuthClient, *, revoke_if_refused: bool
    ) -> Connected:
        """Give an existing connection the tokens of a new login, if it reached the same org
        (its data sets came from that org). Another user of the org is accepted."""
        existing = self.store.get(name)
        identity = oauth.identity(tokens)
        # Organization ids compare on their 15-character case-sensitive form.
        if identity["organization_id"][:15] != existing.org_id[:15]:
            if revoke_if_refused:
                _revoke_quietly(oauth, tokens)
            raise UsageError(
                f"That login ({identity['username']}) is to another Salesforce org than the "
                f"connection {name!r} (org {existing.org_id}, user {existing.username}); the "
                "connection was left as it was.",
                remedy=f"Re-authorise with a user of org {existing.org_id}, or make a new "
                "connection for the other org.",
            )
        refresh_token = tokens.refresh_token
        if refresh_token is None:
            raise ConfigurationError("Salesforce granted no refresh token.")
        auth = self._auth(name, existing.login_url, tokens)
        with self._client(name, auth) as client:
            # Checked before anything is saved: a login whose tokens fail at once stays out.
            permissions = _checked_permissions(client, identity["user_id"])
        connection = self.store.reauthorize(
            name,
            instance_url=tokens.instance_url,
            user_id=identity["user_id"],
            username=identity["username"],
            access_token=auth.tokens.access_token,
            refresh_token=auth.tokens.refresh_token or refresh_token,
        )
        logger.info("Connection %r re-authorised for %s", name, connection.instance_url)
        return Connected(connection=connection, permissions=permissions, reauthorized=True)

    def _auth(self, name: str, login_url: str, tokens: TokenSet) -> SalesforceAuth:
        """Bearer auth whose refreshes are saved to the connection once it is stored."""
        oauth = OAuthClient(
            self._http, login_url, self._app(None, required=False), extra_hosts=self.extra_hosts
        )
        store = self.store

        def refresher(refresh_token: str) -> TokenSet:
            try:
                return oauth.refresh(refresh_token)
            except ConnectionFailed:
                if store.exists(name):
                    store.set_status(name, ConnectionStatus.NEEDS_REAUTH)
                raise

        def on_refresh(fresh: TokenSet) -> None:
            if store.exists(name):
                store.save_tokens(
                    name, access_token=fresh.access_token, refresh_token=fresh.refresh_token
                )

        def reload() -> TokenSet | None:
            # The grant as stored now (another process may have refreshed or re-authorised).
            if not store.exists(name):
                return None
            connection = store.get(name)
            stored = store.tokens(name)
            return replace(
                tokens,
                access_token=stored.access_token,
                refresh_token=stored.refresh_token,
                instance_url=connection.instance_url,
            )

        return SalesforceAuth(tokens, refresher, on_refresh=on_refresh, reload=reload)

    def _client(self, name: str, auth: SalesforceAuth) -> SalesforceClient:
        # The client shares this service's HTTP pool; closing the client leaves it open.
        return SalesforceClient(
            auth.tokens.instance_url,
            auth,
            api_version=self.settings.api_version,
            http=self._http,
            retry=self._retry,
            sleep=self._sleep,
            clock=self._clock,
            on_usage=_UsageRecorder(self.store, name, self._clock),
        )


class _UsageRecorder:
    """Saves the org's API usage to the connection at most every 30 seconds."""

    def __init__(self, store: ConnectionStore, name: str, clock: Callable[[], float]) -> None:
        self._store = store
        self._name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._saved_at: float | None = None

    def __call__(self, usage: ApiUsage) -> None:
        with self._lock:
            now = self._clock()
            if self._saved_at is not None and now - self._saved_at < USAGE_SAVE_INTERVAL_SECONDS:
                return
            self._saved_at = now
        try:
            if self._store.exists(self._name):
                self._store.record_api_usage(self._name, used=usage.used, maximum=usage.max)
        except SfimportError:
            logger.debug("API usage not saved for %r (metadata database busy)", self._name)


def _revoke_quietly(oauth: OAuthClient, tokens: TokenSet) -> None:
    """Revoke a grant that will not be kept (best effort: it is never stored anyway)."""
    try:
        oauth.revoke(tokens.refresh_token or tokens.access_token)
    except SfimportError as exc:
        logger.info("A grant that was not kept could not be revoked: %s", exc.message)


def _org_is_sandbox(client: SalesforceClient) -> bool:
    """Organization.IsSandbox, when the user may read it (best effort)."""
    try:
        record = next(client.rest.records("SELECT IsSandbox FROM Organization"), None)
    except SfimportError:
        return False
    return bool(record and record.get("IsSandbox"))


def _checked_permissions(client: SalesforceClient, user_id: str) -> PermissionReport:
    try:
        return check_permissions(client, user_id)
    except ConnectionFailed:
        raise
    except SfimportError as exc:
        logger.warning("The permission check could not run: %s", exc)
        return PermissionReport(
            items=tuple(
                PermissionItem(name=p.name, field=p.field, present=None, blocks=p.blocks)
                for p in REQUIRED_PERMISSIONS
            ),
            source=f"unavailable: {exc.message}",
        )
