"""PostgreSQL for the team-mode tests: the server (the machine's own at 127.0.0.1:5432, or a
throwaway one started by scripts/start-postgres) and a fresh schema per test, so tests run in
parallel (pytest-xdist) without seeing each other's tables."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
START_POSTGRES = ROOT / "scripts" / "start-postgres"
#: The development and CI machines run one here (trust auth); SFIMPORT_TEST_POSTGRES overrides.
MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's tables in ``schema`` (libpq's options parameter)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL (``postgresql://``), for the whole test session."""
    url = os.environ.get("SFIMPORT_TEST_POSTGRES", MACHINE_POSTGRES)
    if answers(url):
        yield url
        return
    # None here (a fresh machine): a throwaway cluster of our own, removed when we close its
    # stdin (also when this process dies).
    started = subprocess.Popen(
        [str(START_POSTGRES), "--fresh"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert started.stdout is not None and started.stdin is not None
    url = started.stdout.readline().strip()
    try:
        if not url:
            raise RuntimeError(f"scripts/start-postgres gave no URL (exit {started.wait()})")
        yield url
    finally:
        started.stdin.close()
        started.wait(timeout=60)
        started.stdout.close()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of an empty schema of its own on the test server (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(postgres_server, schema)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A metadata database URL as a person sets it (SFIMPORT_DATABASE_URL): a SQLite file in
    the test's folder, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))
