"""Schema versions of the data folder: the metadata database through Alembic (SQLite and
PostgreSQL alike) and My Data's catalog through its own version table.

An older folder is upgraded when sfimport opens it (a SQLite file is copied aside first and a
line says so); a folder written by a newer release is refused; a folder made by the first
release (tables but no version) is recognised as revision ``0001`` and upgraded from there.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from sfimport.errors import SchemaTooNew, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a database is not at the newest schema (or a caller asks for
# revisions): it costs a few hundred milliseconds at every start, before the first API call.

logger = logging.getLogger(__name__)

#: The revision of the first release, whose tables came from ``create_all`` without a version.
BASELINE = "0001"
_FIRST_RELEASE_TABLES = {"connections", "engine_runs", "engine_schedules", "engine_run_datasets"}
_LOCK = threading.Lock()
#: The advisory lock PostgreSQL holds while one process upgrades a shared metadata database.
_UPGRADE_KEY = {"key": 0x5F1A_0001}


@dataclass(frozen=True)
class SchemaState:
    """Where a metadata database stands: its revision (None: empty) and the newest known."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did, for the line that says so."""

    before: str | None
    after: str
    backup: Path | None

    def describe(self) -> str:
        saved = f" (a copy of the old file: {self.backup})" if self.backup else ""
        return (
            f"Upgraded the metadata database from schema {self.before or 'none'} to "
            f"{self.after}{saved}."
        )


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "sfimport.store:migrations")
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def _newest_file_revision() -> str | None:
    """The newest revision by file name (``rNNNN_name.py`` holds revision ``NNNN``; the chain is
    linear), read without importing Alembic; None when the files do not follow that rule."""
    versions = Path(__file__).with_name("migrations") / "versions"
    numbers = sorted(
        f.name[1:5] for f in versions.glob("r[0-9][0-9][0-9][0-9]_*.py") if f.name[1:5].isdigit()
    )
    return numbers[-1] if numbers else None


def _already_newest(engine: Engine) -> bool:
    """True when the stamped revision is the newest file's: the common case of every start,
    answered with one query and no Alembic (anything else takes the full path)."""
    newest = _newest_file_revision()
    if newest is None:
        return False
    try:
        with engine.connect() as connection:
            stamped = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return False  # no version table yet: a new or a first-release database
    return [row[0] for row in stamped] == [newest]


def metadata_state(engine: Engine) -> SchemaState:
    """The revision stamped in the database: the first release's tables count as ``0001``."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current is None and _FIRST_RELEASE_TABLES & set(
                inspect(connection).get_table_names()
            ):
                current = BASELINE
    except SQLAlchemyError as error:
        raise StoreError(
            f"Could not read the metadata database's schema: {error.__class__.__name__}."
        ) from error
    return SchemaState(current=current, head=head_revision())


def upgrade_metadata(engine: Engine, *, backup_dir: Path | None = None) -> Upgrade | None:
    """Bring the metadata database to the newest schema; None when it already was.

    SchemaTooNew when a newer sfimport wrote it. Before changing an existing SQLite file, a
    copy goes to ``backup_dir`` (default: next to the file)."""
    with _LOCK:
        if _already_newest(engine):
            return None
        state = metadata_state(engine)
        if state.up_to_date:
            return None
        if state.current is not None and state.current not in _known_revisions():
            raise SchemaTooNew(
                f"This data folder's metadata database has schema {state.current}, written by "
                f"a newer sfimport; this release knows schemas up to {state.head}."
            )
        backup = None if state.current is None else _backup(engine, backup_dir)
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Workers on other hosts may start at the same moment: one upgrades, the
                    # others wait here, then find nothing left to do.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), _UPGRADE_KEY)
                    if MigrationContext.configure(connection).get_current_revision() == state.head:
                        return None
                config = _config()
                config.attributes["connection"] = connection
                if state.current == BASELINE and not _stamped(connection):
                    command.stamp(config, BASELINE)
                command.upgrade(config, "head")
        except SQLAlchemyError as error:
            # Another process may have upgraded it at the same moment.
            if metadata_state(engine).up_to_date:
                return None
            kept = (
                f"Nothing was lost: the copy made before the upgrade is {backup}." if backup else ""
            )
            raise StoreError(
                f"Could not upgrade the metadata database: {error.__class__.__name__}.",
                remedy=f"{kept} Check that the data folder is writable and has free space.".strip(),
            ) from error
        done = Upgrade(before=state.current, after=state.head, backup=backup)
        if state.current is not None:
            logger.warning("%s", done.describe())
        return done


def _stamped(connection: Connection) -> bool:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision() is not None


def _backup(engine: Engine, backup_dir: Path | None) -> Path | None:
    """A consistent copy of a SQLite file (the backup API, so WAL contents are included)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    source = Path(engine.url.database)
    if not source.exists():
        return None
    directory = backup_dir or source.parent
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"{source.stem}.before-upgrade-{stamp}{source.suffix}"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    target.chmod(0o600)
    return target
