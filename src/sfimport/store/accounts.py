"""Team mode's accounts in the metadata database: users (argon2id password hashes) with a role,
their API tokens (only a SHA-256 of each is kept), and the audit log."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from sfimport.errors import ConfigurationError, NotFound, StoreError, UsageError
from sfimport.store.metadata import Base, UtcDateTime

if TYPE_CHECKING:
    from argon2 import PasswordHasher

#: API tokens start with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "sfi_"


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(120))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(2048))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text())


@dataclass(frozen=True)
class StoredUser:
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which target, when, and how it ended."""

    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    detail: str | None = None


def _hasher() -> PasswordHasher:
    # Imported on first use: only team mode has accounts, and only it needs argon2-cffi.
    try:
        from argon2 import PasswordHasher, Type
    except ImportError as exc:  # pragma: no cover - installed with sfimport[team]
        raise ConfigurationError(
            "Accounts need argon2-cffi, which is not installed.",
            remedy="Install it with: pip install 'sfimport[team]'.",
        ) from exc
    return PasswordHasher(type=Type.ID)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


class AccountStore:
    """Users, API tokens and the audit log; every call is one short transaction."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def close(self) -> None:
        self._engine.dispose()

    # --- users ---------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str) -> StoredUser:
        hasher = _hasher()
        row = UserRow(
            name=name, role=role, password_hash=hasher.hash(password), created_at=self._clock()
        )
        try:
            with self._session() as session:
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError as exc:
            raise UsageError(
                f"A user named {name!r} already exists.",
                remedy="Choose another name, or change that user's role with "
                "'sfimport users set-role'.",
            ) from exc

    def users(self) -> list[StoredUser]:
        with self._session() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    def user(self, name: str) -> StoredUser | None:
        with self._session() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return None if row is None else _user(row)

    def count_users(self, role: str | None = None) -> int:
        with self._session() as session:
            query = select(UserRow.id)
            if role is not None:
                query = query.where(UserRow.role == role)
            return len(session.scalars(query).all())

    def set_role(self, name: str, role: str) -> StoredUser:
        with self._session() as session:
            row = self._row(session, name)
            row.role = role
            return _user(row)

    def remove_user(self, name: str) -> None:
        with self._session() as session:
            row = self._row(session, name)
            session.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == row.id))
            session.delete(row)

    def check_password(self, name: str, password: str) -> StoredUser | None:
        """The user when ``password`` is theirs; None otherwise (unknown names cost the same
        hashing time as wrong passwords, so names cannot be probed by timing)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = _hasher()
        with self._session() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            stored = row.password_hash if row is not None else _DUMMY_HASH.get(hasher)
            try:
                hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None:
                return None
            if hasher.check_needs_rehash(row.password_hash):
                row.password_hash = hasher.hash(password)
            return _user(row)

    # --- API tokens ----------------------------------------------------------------------

    def issue_token(self, name: str, label: str) -> str:
        """A new API token for user ``name``, shown once: only its SHA-256 is kept."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._session() as session:
            row = self._row(session, name)
            session.add(
                ApiTokenRow(
                    user_id=row.id,
                    label=label,
                    token_sha256=_sha256(token),
                    created_at=self._clock(),
                )
            )
        return token

    def user_for_token(self, token: str) -> StoredUser | None:
        """Who a bearer token belongs to (the lookup is by its hash: equal hashes only)."""
        with self._session() as session:
            found = session.execute(
                select(UserRow, ApiTokenRow)
                .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
                .where(ApiTokenRow.token_sha256 == _sha256(token))
            ).first()
            if found is None:
                return None
            user, token_row = found
            token_row.last_used_at = self._clock()
            return _user(user)

    # --- audit log -----------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        with self._session() as session:
            session.add(
                AuditRow(
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target[:2048],
                    outcome=entry.outcome,
                    detail=entry.detail,
                )
            )

    def audit_log(self, *, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        """The newest entries first."""
        with self._session() as session:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if actor is not None:
                query = query.where(AuditRow.actor == actor)
            return [
                AuditEntry(r.at, r.actor, r.action, r.target, r.outcome, r.detail)
                for r in session.scalars(query)
            ]

    # --- plumbing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise StoreError(
                f"Could not use the accounts in the metadata database: {exc.__class__.__name__}."
            ) from exc

    @staticmethod
    def _row(session: Session, name: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise NotFound(
                f"There is no user named {name!r}.", remedy="List them with 'sfimport users list'."
            )
        return row


class _DummyHash:
    """A hash of nothing, verified against when a name is unknown (computed once, lazily)."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, hasher: PasswordHasher) -> str:
        if self._value is None:
            self._value = hasher.hash(secrets.token_urlsafe(16))
        return self._value


_DUMMY_HASH = _DummyHash()


def _user(row: UserRow) -> StoredUser:
    return StoredUser(name=row.name, role=row.role, created_at=row.created_at)
