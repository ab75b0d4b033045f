"""The data folder's schema versions, for `sfimport db current` and `sfimport db upgrade`:
the metadata database (Alembic revisions) and My Data's catalog (its own version)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import create_engine

from sfimport.settings import Settings
from sfimport.store.metadata import create_metadata_engine
from sfimport.store.mydata import CATALOG_VERSION, MyData
from sfimport.store.schema import head_revision, metadata_state


@dataclass(frozen=True)
class SchemaVersions:
    """Where a data folder stands against this release (None: not created yet)."""

    metadata: str | None
    metadata_newest: str
    catalog: int | None
    catalog_newest: int
    #: Where the metadata lives: the data folder's SQLite file or team mode's PostgreSQL
    #: (its URL without a password).
    metadata_where: str = "the data folder"

    @property
    def up_to_date(self) -> bool:
        return self.metadata == self.metadata_newest and self.catalog == self.catalog_newest


def current_versions(settings: Settings) -> SchemaVersions:
    """The versions as stored, changing nothing."""
    data_dir = settings.data_dir()
    metadata: str | None = None
    where = "the data folder"
    # A shared PostgreSQL (team mode) is asked; a data folder's SQLite file only if it exists.
    if settings.team_mode or (data_dir / "metadata.sqlite").exists():
        engine = create_engine(settings.metadata_url)
        if settings.team_mode:
            where = engine.url.render_as_string(hide_password=True)
        try:
            metadata = metadata_state(engine).current
        finally:
            engine.dispose()
    return SchemaVersions(
        metadata=metadata,
        metadata_newest=head_revision(),
        catalog=MyData.for_data_dir(data_dir).stored_catalog_version(),
        catalog_newest=CATALOG_VERSION,
        metadata_where=where,
    )


def upgrade_data_folder(settings: Settings) -> list[str]:
    """Bring both to this release's versions (creating them when missing); one line per
    upgrade made, none when the folder was up to date. SchemaTooNew when newer."""
    notes: list[str] = []
    create_metadata_engine(settings.metadata_url, notes=notes).dispose()
    mydata = MyData.for_data_dir(settings.data_dir())
    before = mydata.stored_catalog_version()
    mydata.upgrade_catalog()
    if before is not None and before != CATALOG_VERSION:
        notes.append(f"Upgraded My Data's catalog from version {before} to {CATALOG_VERSION}.")
    return notes
