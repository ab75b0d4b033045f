"""Fixtures of the CLI tests: `sfimport` in-process with an injected Workspace, either a stand-in
(rendering and exit codes) or the real engine on the emulator served on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner, Result

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Org,
    build_demo_org,
    create_emulator,
    serve_in_thread,
)
from sfimport.settings import Settings
from tests.fakes.services import FakeServices, connection, dataset

ADMIN = "admin@sfimport-demo.example"
NOREPORTS = "noreports@sfimport-demo.example"

Invoke = Callable[..., Result]
Run = Callable[..., Result]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loopback_redirect() -> str:
    """A redirect URI on a free port: `connect` listens on it (never on 8000, which a running
    `sfimport demo` or `serve` on this machine may hold)."""
    return f"http://127.0.0.1:{free_port()}/oauth/callback"


@pytest.fixture
def fake(tmp_path: Path) -> FakeServices:
    """The services' fake with one connection, 'prod', and one data set, Sales.Lead."""
    settings = Settings(home=tmp_path / "home", redirect_uri=loopback_redirect())
    services = FakeServices(
        settings, connections={"prod": connection("prod", login_url=settings.production_login_url)}
    )
    services.datasets["Sales.Lead"] = dataset("Sales.Lead", connection="prod")
    return services


@pytest.fixture
def invoke(tmp_path: Path, fake: FakeServices) -> Invoke:
    """Run one `sfimport` command against ``fake`` (or the ``workspace`` passed) and return it."""
    runner = CliRunner()

    def run(
        args: Sequence[str],
        *,
        workspace: Any = None,
        terminal: bool = False,
        input: str | None = None,
        **state: Any,
    ) -> Result:
        chosen = fake if workspace is None else workspace
        obj = CliState(
            settings=Settings(home=tmp_path / "home", redirect_uri=loopback_redirect()),
            workspace_factory=lambda settings: chosen,
            terminal=terminal,
            owns_workspace=False,
            **state,
        )
        return runner.invoke(app, list(args), obj=obj, input=input)

    return run


# --- the real engine against the emulator --------------------------------------------------


@pytest.fixture(scope="session")
def org() -> Org:
    return build_demo_org(seed=5)


@pytest.fixture(scope="session")
def base_url(org: Org) -> Iterator[str]:
    with serve_in_thread(create_emulator(org)) as server:
        yield server.base_url


def mint(base_url: str, username: str = ADMIN) -> str:
    """A fresh refresh token for a demo user, from the emulator's control API."""
    answer = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": username})
    return str(answer.json()["refresh_token"])


@pytest.fixture
def workspace(tmp_path: Path, base_url: str) -> Iterator[Workspace]:
    settings = Settings(
        home=tmp_path / "home",
        production_login_url=base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        redirect_uri=loopback_redirect(),
    )
    with Workspace(settings, sleep=lambda s: None) as workspace:
        yield workspace


@pytest.fixture
def sfimport(workspace: Workspace) -> Run:
    """Run `sfimport` in-process on the real Workspace (shared across the test's commands)."""

    def run(*args: str, input: str | None = None, **state: Any) -> Result:
        options: dict[str, Any] = {"workspace_factory": lambda s: workspace, **state}
        obj = CliState(settings=workspace.settings, terminal=False, owns_workspace=False, **options)
        return CliRunner().invoke(app, list(args), obj=obj, input=input)

    return run


@pytest.fixture
def connected(sfimport: Run, base_url: str) -> Run:
    """``sfimport`` with a connection 'demo' made headlessly for the demo admin."""
    result = sfimport("connect", "demo", "--refresh-token", "-", input=mint(base_url))
    assert result.exit_code == 0, result.output
    return sfimport
