"""Fixtures of the web tests: the app on the services' one fake (page tests: ``workspace``,
``client``), or on the real engine and the emulator over loopback (``engine``,
``engine_client``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from sfimport.settings import Settings
from sfimport.web import create_app
from tests.fakes.services import FakeServices
from tests.salesforce.emulated import Emulated, emulator, settings_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def workspace(tmp_path: Path) -> FakeServices:
    return FakeServices(Settings(home=tmp_path, secret_key="test-key"))


@pytest.fixture
def client(workspace: FakeServices) -> Iterator[TestClient]:
    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    # Entered, so the app starts and shuts down as under uvicorn, and the client is closed.
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture(scope="module")
def emulated() -> Iterator[Emulated]:
    """The demo org's emulator on loopback, one per test module."""
    with emulator() as running:
        yield running


@pytest.fixture
def engine(tmp_path: Path, emulated: Emulated) -> Iterator[Workspace]:
    """The real services on a fresh data folder, signing in at the emulator."""
    settings = settings_for(tmp_path / "home", emulated)
    with Workspace(settings, sleep=lambda s: None) as workspace:
        yield workspace


@pytest.fixture
def engine_client(engine: Workspace) -> Iterator[TestClient]:
    """The web app on the real services, entered so it starts and stops as under uvicorn."""
    app = create_app(engine.settings, workspace=engine, scheduler_interval=None)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def csrf_of(client: TestClient, path: str = "/connections/new") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def connect(client: TestClient, name: str = "Sales org", *, sandbox: bool = False) -> str:
    """Go through New connection and Salesforce's Allow, as a person would; the page the
    callback sends the person to."""
    token = csrf_of(client)
    data = {"csrf_token": token, "name": name}
    if sandbox:
        data["sandbox"] = "true"
    response = client.post("/connections/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    state = response.headers["location"].split("state=")[1]
    callback = client.get(f"/oauth/callback?code=abc&state={state}", follow_redirects=False)
    assert callback.status_code == 303, callback.text
    return str(callback.headers["location"])
