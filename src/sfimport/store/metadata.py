"""The metadata database (SQLite by default, through SQLAlchemy): the declarative ``Base`` every
metadata table hangs off, and the ``connections`` table with its repository.

The web app and the CLI use the same file at once, so the database runs in WAL mode with a
busy timeout, and every repository call is one short-lived session. Tokens are stored only
encrypted (:mod:`sfimport.store.secrets`); connection values read from here never carry them.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    LargeBinary,
    String,
    create_engine,
    event,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from sfimport.errors import ConfigurationError, NotFound, StoreBusy, StoreError, UsageError
from sfimport.store.schema import upgrade_metadata
from sfimport.store.secrets import SecretBox

SQLITE_BUSY_TIMEOUT_MS = 10_000


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes, stored naive in UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("metadata datetimes must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Every metadata table (connections, runs, schedules, ...) derives from this."""


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    #: The refresh token no longer works: the person must authorise again.
    NEEDS_REAUTH = "needs_reauth"


class ConnectionRow(Base):
    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    owner: Mapped[str] = mapped_column(String(255))
    login_url: Mapped[str] = mapped_column(String(2048))
    instance_url: Mapped[str] = mapped_column(String(2048))
    org_id: Mapped[str] = mapped_column(String(18))
    user_id: Mapped[str] = mapped_column(String(18))
    username: Mapped[str] = mapped_column(String(255))
    is_sandbox: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    api_used: Mapped[int | None]
    api_max: Mapped[int | None]
    access_token_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)


def create_metadata_engine(url: str, *, notes: list[str] | None = None) -> Engine:
    """An engine on the metadata database at the newest schema: created when missing, upgraded
    by its migrations when older (each upgrade described in ``notes``), refused when newer.

    SQLite files get WAL (readers never block the writer), a busy timeout instead of
    immediate "database is locked" errors, and foreign keys on. PostgreSQL (team mode) gets
    connections checked before use, since a server restart must not fail the next call.
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise ConfigurationError(
            "Team mode keeps its metadata in PostgreSQL, and its driver (psycopg) is not "
            "installed.",
            remedy="Install it with: pip install 'sfimport[team]'.",
        ) from exc
    try:
        upgrade = upgrade_metadata(engine)
    except SQLAlchemyError as exc:
        raise _store_error(exc, "create the metadata database") from exc
    except StoreError as exc:
        if engine.dialect.name == "sqlite" or not isinstance(exc.__cause__, OperationalError):
            raise
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"Could not reach the metadata database {where}.",
            remedy="Check that PostgreSQL runs there and accepts this user, and that "
            "SFIMPORT_DATABASE_URL (or --database-url) names it.",
        ) from exc
    if upgrade is not None and upgrade.before is not None and notes is not None:
        notes.append(upgrade.describe())
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


@dataclass(frozen=True)
class NewConnection:
    """What is known about a connection when it is first stored."""

    name: str
    login_url: str
    instance_url: str
    org_id: str
    user_id: str
    username: str
    is_sandbox: bool
    owner: str = field(default_factory=lambda: local_user())


@dataclass(frozen=True)
class Connection:
    """A stored connection, without its tokens."""

    id: int
    name: str
    owner: str
    login_url: str
    instance_url: str
    org_id: str
    user_id: str
    username: str
    is_sandbox: bool
    status: ConnectionStatus
    created_at: datetime
    last_checked_at: datetime | None
    api_used: int | None
    api_max: int | None


@dataclass(frozen=True)
class StoredTokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)


def local_user() -> str:
    """The operating-system user running sfimport (the connection's owner)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class ConnectionStore:
    """Create, read, update and delete connections; each call is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._box = box
        self._clock = clock

    def add(
        self, new: NewConnection, *, access_token: str, refresh_token: str | None
    ) -> Connection:
        """Store a new connection; a name already in use is a :class:`UsageError`."""
        row = ConnectionRow(
            name=new.name,
            owner=new.owner,
            login_url=new.login_url,
            instance_url=new.instance_url,
            org_id=new.org_id,
            user_id=new.user_id,
            username=new.username,
            is_sandbox=new.is_sandbox,
            status=ConnectionStatus.ACTIVE.value,
            created_at=self._clock(),
            access_token_encrypted=self._box.encrypt(
                access_token, context=_context(new.name, "access_token")
            ),
            refresh_token_encrypted=None
            if refresh_token is None
            else self._box.encrypt(refresh_token, context=_context(new.name, "refresh_token")),
        )
        try:
            with self._session() as session:
                session.add(row)
                session.flush()
                return _connection(row)
        except IntegrityError as exc:
            raise UsageError(
                f"A connection named {new.name!r} already exists.",
                remedy="Choose another name, or delete the existing connection first.",
            ) from exc

    def get(self, name: str) -> Connection:
        with self._session() as session:
            return _connection(self._row(session, name))

    def exists(self, name: str) -> bool:
        with self._session() as session:
            found = session.scalar(select(ConnectionRow.id).where(ConnectionRow.name == name))
            return found is not None

    def list_connections(self) -> list[Connection]:
        with self._session() as session:
            rows = session.scalars(select(ConnectionRow).order_by(ConnectionRow.name))
            return [_connection(row) for row in rows]

    def tokens(self, name: str) -> StoredTokens:
        """The decrypted tokens of a connection."""
        with self._session() as session:
            row = self._row(session, name)
            access = self._box.decrypt(
                row.access_token_encrypted, context=_context(name, "access_token")
            )
            refresh = (
                None
                if row.refresh_token_encrypted is None
                else self._box.decrypt(
                    row.refresh_token_encrypted, context=_context(name, "refresh_token")
                )
            )
        return StoredTokens(access_token=access, refresh_token=refresh)

    def save_tokens(self, name: str, *, access_token: str, refresh_token: str | None) -> None:
        """Replace the tokens (after a refresh); the connection is usable again."""
        with self._session() as session:
            row = self._row(session, name)
            row.access_token_encrypted = self._box.encrypt(
                access_token, context=_context(name, "access_token")
            )
            if refresh_token is not None:
                row.refresh_token_encrypted = self._box.encrypt(
                    refresh_token, context=_context(name, "refresh_token")
                )
            row.status = ConnectionStatus.ACTIVE.value

    def reauthorize(
        self,
        name: str,
        *,
        instance_url: str,
        user_id: str,
        username: str,
        access_token: str,
        refresh_token: str,
    ) -> Connection:
        """Replace a connection's grant after a new login to the same org: new tokens, the user
        who logged in, active again. Its name, login URL, sandbox flag and creation time stay,
        so its data sets, schedules and runs still refer to it."""
        with self._session() as session:
            row = self._row(session, name)
            row.instance_url = instance_url
            row.user_id = user_id
            row.username = username
            row.access_token_encrypted = self._box.encrypt(
                access_token, context=_context(name, "access_token")
            )
            row.refresh_token_encrypted = self._box.encrypt(
                refresh_token, context=_context(name, "refresh_token")
            )
            row.status = ConnectionStatus.ACTIVE.value
            row.last_checked_at = self._clock()
            session.flush()
            return _connection(row)

    def set_status(self, name: str, status: ConnectionStatus, *, checked: bool = True) -> None:
        with self._session() as session:
            row = self._row(session, name)
            row.status = status.value
            if checked:
                row.last_checked_at = self._clock()

    def record_api_usage(self, name: str, *, used: int, maximum: int) -> None:
        with self._session() as session:
            row = self._row(session, name)
            row.api_used, row.api_max = used, maximum

    def delete(self, name: str) -> None:
        with self._session() as session:
            session.delete(self._row(session, name))

    def close(self) -> None:
        """Close the pooled database connections (the store still works: it opens new ones)."""
        self._engine.dispose()

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise _store_error(exc, "use the metadata database") from exc

    @staticmethod
    def _row(session: Session, name: str) -> ConnectionRow:
        row = session.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
        if row is None:
            raise NotFound(f"There is no connection named {name!r}.")
        return row


def _context(name: str, column: str) -> str:
    return f"connection:{name}:{column}"


def _connection(row: ConnectionRow) -> Connection:
    return Connection(
        id=row.id,
        name=row.name,
        owner=row.owner,
        login_url=row.login_url,
        instance_url=row.instance_url,
        org_id=row.org_id,
        user_id=row.user_id,
        username=row.username,
        is_sandbox=row.is_sandbox,
        status=ConnectionStatus(row.status),
        created_at=row.created_at,
        last_checked_at=row.last_checked_at,
        api_used=row.api_used,
        api_max=row.api_max,
    )


def _store_error(exc: SQLAlchemyError, doing: str) -> StoreError:
    if "locked" in str(exc).lower() or "busy" in str(exc).lower():
        return StoreBusy(f"The metadata database is busy; could not {doing}.")
    return StoreError(f"Could not {doing}: {exc.__class__.__name__}.")
