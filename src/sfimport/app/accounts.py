"""Accounts and roles of team mode: who may log in, what each role may do, and the audit log
of every change and export (who, what, when, and whether it was allowed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Self

from sfimport.errors import UsageError
from sfimport.settings import Settings
from sfimport.store.accounts import AccountStore, AuditEntry, StoredUser
from sfimport.store.metadata import create_metadata_engine

__all__ = ["AccountsService", "AuditEntry", "Permission", "Role", "User"]

#: Shorter passwords are refused: argon2id slows guessing, it cannot make "1234" strong.
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")


class Permission(IntEnum):
    """What a request needs, in increasing order: each role holds a level and all below it."""

    #: Look at My Data, runs, connections' names; query My Data.
    READ = 1
    #: Import, refresh, schedules, export.
    WORK = 2
    #: Connections (they hold the org's tokens) and users.
    ADMIN = 3


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def level(self) -> Permission:
        return {
            Role.ADMIN: Permission.ADMIN,
            Role.MEMBER: Permission.WORK,
            Role.VIEWER: Permission.READ,
        }[self]

    def allows(self, needed: Permission) -> bool:
        return self.level >= needed


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    created_at: datetime


def _user(stored: StoredUser) -> User:
    return User(stored.name, Role(stored.role), stored.created_at)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise UsageError(
            f"There is no role {text!r}.",
            remedy="Choose admin (connections, users), member (import, refresh, schedules, "
            "export) or viewer (read My Data).",
        ) from None


class AccountsService:
    """Users, their roles and API tokens, logins, and the audit log of one metadata database."""

    def __init__(
        self, store: AccountStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    @classmethod
    def open(cls, settings: Settings) -> Self:
        return cls(AccountStore(create_metadata_engine(settings.metadata_url)))

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- users ---------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, password: str, *, actor: str) -> User:
        if not _NAME.match(name):
            raise UsageError(
                f"{name!r} is not a user name sfimport accepts.",
                remedy="Use letters, digits and . _ @ - (at most 120), starting with a letter "
                "or digit.",
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UsageError(
                f"The password is shorter than {MIN_PASSWORD_LENGTH} characters.",
                remedy=f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters "
                "(a passphrase of a few words is easy to remember).",
            )
        user = _user(self._store.add_user(name, role.value, password))
        self.record(actor, "user.add", name, detail=f"role {role.value}")
        return user

    def list_users(self) -> list[User]:
        return [_user(u) for u in self._store.users()]

    def user(self, name: str) -> User | None:
        found = self._store.user(name)
        return None if found is None else _user(found)

    def set_role(self, name: str, role: Role, *, actor: str) -> User:
        current = self._existing(name)
        if current.role is Role.ADMIN and role is not Role.ADMIN:
            self._keep_an_admin(name)
        user = _user(self._store.set_role(name, role.value))
        self.record(actor, "user.set_role", name, detail=f"{current.role.value} -> {role.value}")
        return user

    def remove_user(self, name: str, *, actor: str) -> None:
        if self._existing(name).role is Role.ADMIN:
            self._keep_an_admin(name)
        self._store.remove_user(name)
        self.record(actor, "user.remove", name)

    def issue_token(self, name: str, label: str, *, actor: str) -> str:
        """A new API token for scripts acting as ``name``; shown once, kept only hashed."""
        self._existing(name)
        token = self._store.issue_token(name, label)
        self.record(actor, "token.issue", name, detail=label)
        return token

    # --- logging in ----------------------------------------------------------------------

    def log_in(self, name: str, password: str) -> User | None:
        found = self._store.check_password(name, password)
        self.record(name, "login", "/login", outcome="done" if found else "refused")
        return None if found is None else _user(found)

    def user_for_token(self, token: str) -> User | None:
        found = self._store.user_for_token(token)
        return None if found is None else _user(found)

    # --- audit log -----------------------------------------------------------------------

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        outcome: str = "done",
        detail: str | None = None,
    ) -> None:
        self._store.audit(AuditEntry(self._clock(), actor, action, target, outcome, detail))

    def audit_log(self, *, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
        return self._store.audit_log(limit=limit, actor=actor)

    # --- rules ---------------------------------------------------------------------------

    def _existing(self, name: str) -> User:
        user = self.user(name)
        if user is None:
            raise UsageError(
                f"There is no user named {name!r}.",
                remedy="List them with 'sfimport users list'.",
            )
        return user

    def _keep_an_admin(self, name: str) -> None:
        if self._store.count_users(Role.ADMIN.value) <= 1:
            raise UsageError(
                f"{name!r} is the last admin; without one nobody could manage connections or "
                "users.",
                remedy="Make another user admin first ('sfimport users set-role NAME admin').",
            )
