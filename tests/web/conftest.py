"""Page tests run the real app on an in-memory stand-in for the engine's Workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfimport.settings import Settings
from sfimport.web import create_app
from tests.web.fake_workspace import FakeWorkspace

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def workspace(tmp_path: Path) -> FakeWorkspace:
    return FakeWorkspace(Settings(home=tmp_path, secret_key="test-key"))


@pytest.fixture
def client(workspace: FakeWorkspace) -> Iterator[TestClient]:
    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    # Entered, so the app starts and shuts down as under uvicorn, and the client is closed.
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
