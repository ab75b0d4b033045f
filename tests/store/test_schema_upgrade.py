"""Schema versions of a data folder: a folder made by the first release (fixture built with
that release's code) is upgraded with its data intact, a newer one is refused, a fresh one is
created at the newest schema; the metadata migrations run on PostgreSQL too."""

from __future__ import annotations

import os
import sqlite3
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.errors import SchemaTooNew
from sfimport.settings import Settings, metadata_database_url
from sfimport.store.metadata import Base, ConnectionStore, NewConnection, create_metadata_engine
from sfimport.store.mydata import CATALOG_VERSION
from sfimport.store.runs import RunLedger
from sfimport.store.schema import head_revision, metadata_state, upgrade_metadata
from sfimport.store.secrets import SecretBox

FIXTURE = Path(__file__).parent.parent / "fixtures" / "data-folder-release-0.1.0.tar.gz"


@pytest.fixture
def old_home(tmp_path: Path) -> Path:
    """A data folder exactly as release 0.1.0 left it: connection "demo", one complete import
    of Sales.Account (40 rows) and Sales.Contact (56 rows), a daily schedule of Sales.Account."""
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(home, filter="data")
    return home


def sfimport(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_fixture_has_no_schema_version(old_home: Path) -> None:
    with sqlite3.connect(old_home / "metadata.sqlite") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" not in tables and "engine_runs" in tables


def test_db_upgrade_takes_the_first_releases_folder_to_the_new_schema_with_its_data(
    old_home: Path,
) -> None:
    code, out, _ = sfimport(old_home, "db", "current")
    assert code == 0
    assert f"metadata database: 0001 (newest {head_revision()})" in out
    assert "Run 'sfimport db upgrade'" in out

    code, out, err = sfimport(old_home, "db", "upgrade")
    assert code == 0, err
    assert f"Upgraded the metadata database from schema 0001 to {head_revision()}" in out
    backups = list(old_home.glob("metadata.before-upgrade-*.sqlite"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as db:  # the copy is the old file, runs and all
        assert db.execute("SELECT count(*) FROM engine_runs").fetchone() == (1,)

    code, out, _ = sfimport(old_home, "db", "current")
    assert "Run 'sfimport db upgrade'" not in out
    code, out, _ = sfimport(old_home, "db", "upgrade")
    assert "already at this release's schema" in out

    with Workspace(Settings(home=old_home)) as workspace:
        assert workspace.schema_notes == []
        (connection,) = workspace.list_connections()
        assert (connection.name, connection.status) == ("demo", "active")
        assert workspace._connections.store.tokens("demo").refresh_token  # still decrypts
        (run,) = workspace.list_runs()
        assert (run.kind, run.status) == ("import", "complete")
        assert {d.name: d.rows for d in run.datasets} == {"Account": 40, "Contact": 56}
        assert [(s.dataset, s.every) for s in workspace.list_schedules()] == [
            ("Sales.Account", "1d")
        ]
        datasets = {d.qualified: d for d in workspace.list_datasets()}
        assert {k: d.row_count for k, d in datasets.items()} == {
            "Sales.Account": 40,
            "Sales.Contact": 56,
        }
        assert datasets["Sales.Account"].schedule == "1d"
        rows = workspace.query('SELECT count(*) FROM "Sales"."Contact"').rows
        assert rows == [(56,)]


def test_any_command_upgrades_an_old_folder_on_start_and_says_so(old_home: Path) -> None:
    code, out, err = sfimport(old_home, "datasets")
    assert code == 0, err
    assert "Upgraded the metadata database from schema 0001" in err
    assert "Sales.Account" in out or "Account" in out
    assert list(old_home.glob("metadata.before-upgrade-*.sqlite"))
    code, out, err = sfimport(old_home, "datasets")
    assert "Upgraded" not in err  # once only


def test_a_folder_from_a_newer_release_is_refused_unchanged(old_home: Path) -> None:
    sfimport(old_home, "db", "upgrade")
    with sqlite3.connect(old_home / "metadata.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    before = (old_home / "metadata.sqlite").read_bytes()
    code, _, err = sfimport(old_home, "runs")
    assert code == 1
    assert "Error: This data folder's metadata database has schema 9999" in err
    assert "Fix: Use the sfimport release that wrote this data folder" in err
    assert (old_home / "metadata.sqlite").read_bytes() == before


def test_a_my_data_catalog_from_a_newer_release_is_refused(old_home: Path) -> None:
    sfimport(old_home, "db", "upgrade")
    with duckdb.connect(str(old_home / "mydata.duckdb")) as db:
        assert db.execute("SELECT version FROM _sfimport.schema_version").fetchall() == [
            (CATALOG_VERSION,)
        ]
        db.execute("UPDATE _sfimport.schema_version SET version = 99")
    code, _, err = sfimport(old_home, "datasets")
    assert code == 1
    assert "My Data" in err and "catalog version 99" in err


def test_a_fresh_folder_starts_at_the_newest_schema_without_a_backup(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    with Workspace(Settings(home=home)) as workspace:
        assert workspace.schema_notes == []
        assert workspace.list_datasets() == []
    engine = create_engine(f"sqlite:///{home / 'metadata.sqlite'}")
    assert metadata_state(engine).current == head_revision()
    engine.dispose()
    assert not list(home.glob("*.before-upgrade-*"))


def test_the_migrations_make_the_schema_the_models_describe(tmp_path: Path) -> None:
    """Every column the ORM writes exists after the migrations (no create_all anywhere)."""
    engine = create_metadata_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name
    engine.dispose()


def test_the_metadata_migrations_run_on_postgresql(postgres_url: str) -> None:
    engine = create_metadata_engine(metadata_database_url(postgres_url))
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name
    assert metadata_state(engine).current == head_revision()
    assert upgrade_metadata(engine) is None
    store = ConnectionStore(engine, SecretBox(os.urandom(32)))
    store.add(
        NewConnection("pg", "https://login", "https://inst", "00D", "005", "u", False),
        access_token="a",
        refresh_token="r",
    )
    assert store.tokens("pg").refresh_token == "r"
    ledger = RunLedger(engine, lambda: datetime.now(UTC))
    ledger.create(
        "r1",
        kind="import",
        connection="pg",
        folder="F",
        spec_toml="",
        datasets=[],
        started_at=datetime.now(UTC),
    )
    assert ledger.get("r1").status == "running"
    with engine.begin() as con:
        con.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew):
        upgrade_metadata(engine)
    engine.dispose()
