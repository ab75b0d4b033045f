"""The metadata database: connections stored with encrypted tokens, shared by processes; on
SQLite (the single-user default) and on PostgreSQL (team mode, SFIMPORT_DATABASE_URL) alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from sfimport.errors import NotFound, UsageError
from sfimport.settings import Settings
from sfimport.store.metadata import (
    ConnectionStatus,
    ConnectionStore,
    NewConnection,
    create_metadata_engine,
)
from sfimport.store.secrets import SecretBox

ACCESS = "00DRO0000008aXd!AQ4AQFakeAccessTokenForTests.abcdefghijklmnop"
REFRESH = "5Aep861TSESvWeug_FakeRefreshTokenForTests0123456789"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def new(name: str = "acme") -> NewConnection:
    return NewConnection(
        name=name,
        login_url="https://login.salesforce.com",
        instance_url="https://acme.my.salesforce.com",
        org_id="00DRO0000008aXd2AI",
        user_id="005RO000000HfnkYAC",
        username="admin@acme.example",
        is_sandbox=False,
        owner="alice",
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path, database_url=database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[ConnectionStore]:
    engine = create_metadata_engine(settings.metadata_url)
    yield ConnectionStore(engine, SecretBox.from_settings(settings), clock=lambda: NOW)
    engine.dispose()


def test_a_connection_is_stored_and_read_back_without_tokens(store: ConnectionStore) -> None:
    created = store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    fetched = store.get("acme")
    assert fetched == created
    assert (fetched.owner, fetched.org_id, fetched.username) == (
        "alice",
        "00DRO0000008aXd2AI",
        "admin@acme.example",
    )
    assert fetched.status is ConnectionStatus.ACTIVE
    assert fetched.created_at == NOW
    assert ACCESS not in repr(fetched)
    tokens = store.tokens("acme")
    assert (tokens.access_token, tokens.refresh_token) == (ACCESS, REFRESH)
    assert ACCESS not in repr(tokens) and REFRESH not in repr(tokens)


def test_tokens_are_unreadable_in_the_stored_rows(
    store: ConnectionStore, settings: Settings
) -> None:
    store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    engine = create_metadata_engine(settings.metadata_url)
    with engine.connect() as db:
        (row,) = db.execute(text("SELECT * FROM connections")).all()
    engine.dispose()
    raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    assert b"admin@acme.example" in raw
    for secret in (ACCESS, REFRESH, "AQ4AQFakeAccessToken", "FakeRefreshToken"):
        assert secret.encode() not in raw


def test_tokens_are_unreadable_in_the_database_file(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    engine = create_metadata_engine(settings.metadata_url)
    store = ConnectionStore(engine, SecretBox.from_settings(settings))
    store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    store.save_tokens("acme", access_token=ACCESS + "2", refresh_token=None)
    engine.dispose()
    folder = settings.data_dir()
    raw = b"".join(path.read_bytes() for path in folder.glob("metadata.sqlite*"))
    assert b"admin@acme.example" in raw  # the file is readable; the tokens are not
    for secret in (ACCESS, REFRESH, "AQ4AQFakeAccessToken", "FakeRefreshToken"):
        assert secret.encode() not in raw


def test_a_duplicate_name_is_refused(store: ConnectionStore) -> None:
    store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    with pytest.raises(UsageError, match="already exists"):
        store.add(new(), access_token=ACCESS, refresh_token=REFRESH)


def test_refreshed_tokens_replace_the_old_ones_and_reactivate(store: ConnectionStore) -> None:
    store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    store.set_status("acme", ConnectionStatus.NEEDS_REAUTH)
    store.save_tokens("acme", access_token="00DRO0000008aXd!NEW", refresh_token=None)
    tokens = store.tokens("acme")
    assert tokens.access_token == "00DRO0000008aXd!NEW"
    assert tokens.refresh_token == REFRESH  # kept when a refresh returns none
    assert store.get("acme").status is ConnectionStatus.ACTIVE


def test_status_and_api_usage_are_recorded(store: ConnectionStore) -> None:
    store.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    store.set_status("acme", ConnectionStatus.NEEDS_REAUTH)
    store.record_api_usage("acme", used=120, maximum=15000)
    fetched = store.get("acme")
    assert fetched.status is ConnectionStatus.NEEDS_REAUTH
    assert fetched.last_checked_at == NOW
    assert (fetched.api_used, fetched.api_max) == (120, 15000)


def test_connections_are_listed_by_name_and_deleted(store: ConnectionStore) -> None:
    store.add(new("zeta"), access_token=ACCESS, refresh_token=None)
    store.add(new("acme"), access_token=ACCESS, refresh_token=REFRESH)
    assert [c.name for c in store.list_connections()] == ["acme", "zeta"]
    store.delete("zeta")
    assert [c.name for c in store.list_connections()] == ["acme"]
    assert not store.exists("zeta")
    with pytest.raises(NotFound):
        store.get("zeta")
    with pytest.raises(NotFound):
        store.tokens("zeta")


def test_two_engines_share_the_database(settings: Settings) -> None:
    box = SecretBox.from_settings(settings)
    engines = [create_metadata_engine(settings.metadata_url) for _ in range(2)]
    first, second = (ConnectionStore(engine, box) for engine in engines)
    first.add(new(), access_token=ACCESS, refresh_token=REFRESH)
    assert second.tokens("acme").refresh_token == REFRESH
    for engine in engines:
        engine.dispose()


def test_the_sqlite_file_runs_in_wal_mode(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    create_metadata_engine(settings.metadata_url).dispose()
    path = settings.data_dir() / "metadata.sqlite"
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()
