"""Team mode's one switch: SFIMPORT_DATABASE_URL (or --database-url) puts the metadata in
PostgreSQL through the same migrations; a bad or unreachable URL is a clear error."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.settings import metadata_database_url
from sfimport.store.runs import RunLedger, ScheduleBook
from sfimport.store.schema import head_revision

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def sfimport(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_makes_the_schema_in_postgresql_and_nothing_in_the_data_folder(
    postgres_url: str, tmp_path: Path
) -> None:
    code, out, err = sfimport(tmp_path, "--database-url", postgres_url, "db", "current")
    assert code == 0, err
    assert f"metadata database: none (newest {head_revision()}) in postgresql" in out
    assert "127.0.0.1" in out

    code, out, err = sfimport(tmp_path, "--database-url", postgres_url, "db", "upgrade")
    assert code == 0, err
    code, out, _ = sfimport(tmp_path, "--database-url", postgres_url, "--json", "db", "current")
    current = json.loads(out)
    assert (current["metadata"], current["metadata_newest"]) == (head_revision(),) * 2
    assert current["metadata_where"].startswith("postgresql+psycopg://postgres@")
    assert not (tmp_path / "metadata.sqlite").exists()


def test_two_data_folders_on_one_database_see_the_same_runs(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hosts (here two data folders) sharing SFIMPORT_DATABASE_URL list the same runs."""
    ledger = RunLedger.at(metadata_database_url(postgres_url), lambda: NOW)
    ledger.create(
        "run-on-host-a",
        kind="import",
        connection="acme",
        folder="Sales",
        spec_toml="",
        datasets=[("Account", "object", "Account", "bulk", 3)],
        started_at=NOW,
    )
    ledger.finish("run-on-host-a", "complete")
    ledger.engine.dispose()

    monkeypatch.setenv("SFIMPORT_DATABASE_URL", postgres_url)
    for host in ("host-a", "host-b"):
        code, out, err = sfimport(tmp_path / host, "runs", "--json")
        assert code == 0, err
        (run,) = json.loads(out)["runs"]
        assert (run["id"], run["status"]) == ("run-on-host-a", "complete")
        assert not (tmp_path / host / "metadata.sqlite").exists()


def test_a_due_schedule_fires_once_for_two_engines_on_one_database(database_url: str) -> None:
    url = metadata_database_url(database_url)
    first, second = (RunLedger.at(url, lambda: NOW) for _ in range(2))
    books = [ScheduleBook(first.engine), ScheduleBook(second.engine)]
    books[0].set("Sales.Account", "1h", NOW)
    (seen,) = books[1].all()
    assert seen.next_run_at == NOW
    fired = [
        book.fire("Sales.Account", seen.next_run_at, datetime(2026, 5, 4, 4, tzinfo=UTC))
        for book in books
    ]
    assert fired == [True, False]
    assert [s.next_run_at.hour for s in books[1].all()] == [4]
    for ledger in (first, second):
        ledger.engine.dispose()


def test_a_url_that_is_not_postgresql_is_refused_with_the_fix(tmp_path: Path) -> None:
    code, _, err = sfimport(tmp_path, "--database-url", "mysql://root:sekret@db.example/sf", "runs")
    assert code == 2
    assert "Error: The database URL 'mysql://.../sf' is not a PostgreSQL or SQLite URL." in err
    assert "Fix: Set SFIMPORT_DATABASE_URL (or --database-url) to postgresql://" in err
    assert "sekret" not in err


def test_an_unreachable_server_is_named_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://team:sekret@127.0.0.1:{port}/sfimport?connect_timeout=3"
    code, _, err = sfimport(tmp_path, "--database-url", url, "runs")
    assert code == 1
    assert (
        f"Could not reach the metadata database postgresql+psycopg://team:***@127.0.0.1:{port}"
        in err
    )
    assert "Fix: Check that PostgreSQL runs there" in err
    assert "sekret" not in err
