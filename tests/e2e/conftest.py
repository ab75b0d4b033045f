"""The fixtures every end-to-end test shares: an emulator org served on a loopback port, and a
Workspace on a fresh data folder connected to it headlessly (a refresh token minted through the
emulator's control API). A module picks its org by overriding the ``org`` fixture, and its
clock by overriding ``workspace_clock``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator.app import create_emulator
from sfimport.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, build_demo_org
from sfimport.emulator.org import Org
from sfimport.emulator.server import serve_in_thread
from sfimport.settings import Settings

ADMIN = "admin@sfimport-demo.example"


def emulator_settings(home: Path, base_url: str) -> Settings:
    """Settings of a data folder whose production login is the emulator at ``base_url``."""
    return Settings(
        home=home,
        production_login_url=base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )


def connect(
    workspace: Workspace, base_url: str, *, username: str = ADMIN, name: str = "demo"
) -> None:
    """Connect ``name`` headlessly, as ``username`` of the emulator org."""
    minted = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": username}).json()
    workspace.connect_with_refresh_token(name, minted["refresh_token"], login_url=base_url)


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(scale={"Account": 60, "Contact": 60})


@pytest.fixture(scope="module")
def base_url(org: Org) -> Iterator[str]:
    with serve_in_thread(create_emulator(org)) as server:
        yield server.base_url


@pytest.fixture
def workspace_clock() -> Callable[[], datetime] | None:
    """The workspace's clock (None: the real one)."""
    return None


@pytest.fixture
def workspace(
    tmp_path: Path, base_url: str, workspace_clock: Callable[[], datetime] | None
) -> Iterator[Workspace]:
    """A Workspace on a fresh data folder with the connection "demo" made as the admin."""
    settings = emulator_settings(tmp_path / "home", base_url)
    with Workspace(settings, sleep=lambda s: None, clock=workspace_clock) as workspace:
        connect(workspace, base_url)
        yield workspace
