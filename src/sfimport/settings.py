"""Settings of one sfimport installation, read from SFIMPORT_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("~/.sfimport")


class Settings(BaseSettings):
    """Everything configurable; every file sfimport writes lives under ``home``."""

    model_config = SettingsConfigDict(env_prefix="SFIMPORT_", extra="ignore")

    #: The data folder: My Data (DuckDB), metadata (SQLite), keys, staging, exports.
    home: Path = Field(default=DEFAULT_HOME)
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
    #: Share of the org's daily API allowance an import may use (leave the rest to other apps).
    api_budget_percent: float = 80.0
    #: Seconds a query over My Data may run before it is interrupted (0: no deadline).
    query_timeout: float = Field(default=30.0, ge=0)
    #: Queries over My Data the web app runs at once; more are refused until one ends.
    max_queries: int = Field(default=2, ge=1)
    #: How many data sets download at once.
    concurrency: int = 3

    def data_dir(self) -> Path:
        """The data folder, expanded and created with private permissions."""
        path = self.home.expanduser()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    @property
    def metadata_url(self) -> str:
        return f"sqlite:///{self.data_dir() / 'metadata.sqlite'}"
