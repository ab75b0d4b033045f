"""Settings of one sfimport installation, read from SFIMPORT_* environment variables."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sfimport.errors import ConfigurationError

DEFAULT_HOME = Path("~/.sfimport")
#: Everything in the data folder is for its owner only: tokens, keys, My Data, staging.
PRIVATE_UMASK = 0o077

logger = logging.getLogger(__name__)


def secure_data_folder(path: Path) -> list[str]:
    """Make ``path`` the private data folder: new files are created owner-only (umask 077, for
    this whole process), the folder is made if missing (0700), and an existing folder whose
    entries others can read or write is tightened. Returns a line per change, for a person."""
    os.umask(PRIVATE_UMASK)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    widened = 0
    for entry in [path, *path.rglob("*")]:
        try:
            info = entry.lstat()
        except OSError:
            continue  # removed meanwhile
        if stat.S_ISLNK(info.st_mode) or not info.st_mode & PRIVATE_UMASK:
            continue
        try:
            entry.chmod(stat.S_IMODE(info.st_mode) & ~PRIVATE_UMASK)
        except OSError:
            continue  # not ours to change; reading it still works
        widened += 1
    if not widened:
        return []
    line = (
        f"Made the data folder {path} private: {widened} file(s) and folder(s) in it were open "
        "to other users; they are now readable by you only."
    )
    logger.warning("%s", line)
    return [line]


#: The schemes SFIMPORT_DATABASE_URL accepts, and the SQLAlchemy driver each one means.
_DATABASE_SCHEMES = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "sqlite": "sqlite",
}


def metadata_database_url(raw: str) -> str:
    """The SQLAlchemy URL of a metadata database given as ``postgresql://user@host/db`` (the
    form PostgreSQL's own tools take) or ``sqlite:///path``; anything else is refused."""
    scheme, _, rest = raw.strip().partition("://")
    driver = _DATABASE_SCHEMES.get(scheme.lower())
    if driver is None or not rest:
        shown = urlsplit(raw.strip())._replace(netloc="...").geturl() if rest else raw
        raise ConfigurationError(
            f"The database URL {shown!r} is not a PostgreSQL or SQLite URL.",
            remedy="Set SFIMPORT_DATABASE_URL (or --database-url) to "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or unset it for the "
            "single-user default (SQLite in the data folder).",
        )
    return f"{driver}://{rest}"


class Settings(BaseSettings):
    """Everything configurable; every file sfimport writes lives under ``home``."""

    model_config = SettingsConfigDict(env_prefix="SFIMPORT_", extra="ignore")

    #: The data folder: My Data (DuckDB), metadata (SQLite), keys, staging, exports.
    home: Path = Field(default=DEFAULT_HOME)
    #: Team mode: the metadata database (connections, runs, checkpoints, schedules) in
    #: PostgreSQL, ``postgresql://user@host:5432/db``; unset, it is SQLite in the data folder.
    database_url: str | None = None
    #: Salesforce REST API version used for every call.
    api_version: str = "62.0"
    #: The Connected App (External Client App) consumer key and secret.
    client_id: str | None = None
    client_secret: str | None = None
    #: Login hosts. Real Salesforce by default; the demo points them at the local emulator.
    production_login_url: str = "https://login.salesforce.com"
    sandbox_login_url: str = "https://test.salesforce.com"
    #: Hosts outside Salesforce's own domains that sfimport may sign in at and call, comma-
    #: separated (``sf.proxy.example.com, *.corp.example``); loopback is always allowed.
    extra_hosts: str = ""
    #: Where Salesforce redirects after login; must match the Connected App's callback URL.
    redirect_uri: str = "http://127.0.0.1:8000/oauth/callback"
    #: The key that encrypts tokens at rest; a key file in ``home`` (mode 0600) when unset.
    secret_key: str | None = None
    #: The web app's access token when served beyond loopback; a new one each start if unset.
    access_token: str | None = None
    #: Extra host names the web app answers to (comma-separated), e.g. its DNS name.
    web_hosts: str = ""
    #: Web app bind address.
    host: str = "127.0.0.1"
    port: int = 8000
    #: API budget of an import: the org's usage may reach at most this percent of its daily
    #: API maximum while it runs (planning calls count too); the rest is left to other apps.
    api_budget_percent: float = 80.0
    #: Seconds a query over My Data may run before it is interrupted (0: no deadline).
    query_timeout: float = Field(default=30.0, ge=0)
    #: Queries over My Data the web app runs at once; more are refused until one ends.
    max_queries: int = Field(default=2, ge=1)
    #: How many data sets download at once.
    concurrency: int = 3
    #: Days the change log of refreshes keeps ("what changed"); 0 keeps everything.
    change_retention_days: int = Field(default=90, ge=0)
    #: Queued runs one worker runs at once (`sfimport worker`, and the one `serve` and `demo`
    #: host).
    workers: int = Field(default=2, ge=1)
    #: Seconds a run's lease lasts unless its worker renews it (every third of it): a run whose
    #: worker died is resumed by another this long after its last renewal.
    lease_seconds: float = Field(default=60.0, gt=0)

    def data_dir(self) -> Path:
        """The data folder, expanded, created and kept private (see :func:`secure_data_folder`)."""
        path = self.home.expanduser()
        secure_data_folder(path)
        return path

    @property
    def team_mode(self) -> bool:
        """Whether the metadata lives in a shared database (SFIMPORT_DATABASE_URL) rather than
        in the data folder's own SQLite file."""
        return bool(self.database_url and self.database_url.strip())

    @property
    def metadata_url(self) -> str:
        if self.team_mode:
            assert self.database_url is not None
            return metadata_database_url(self.database_url)
        return f"sqlite:///{self.data_dir() / 'metadata.sqlite'}"
