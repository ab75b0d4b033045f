"""`sfimport connect` listens where the Connected App sends people back: the configured
SFIMPORT_REDIRECT_URI, exactly, against an emulated app that accepts that URL only."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner, Result

from sfimport.app.workspace import Workspace
from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.emulator import Org
from tests.cli.conftest import loopback_redirect
from tests.cli.test_emulator_cli import browser_that_clicks


@pytest.fixture
def strict_app(org: Org) -> Iterator[str]:
    """The emulated Connected App accepts one callback URL (returned), like a real one."""
    registered = loopback_redirect()
    relaxed = org.app
    org.app = dataclasses.replace(relaxed, callback_urls=(registered,), any_loopback_callback=False)
    yield registered
    org.app = relaxed


def connect(workspace: Workspace, redirect_uri: str, *args: str) -> tuple[Result, list[str]]:
    """`sfimport connect web ARGS` with SFIMPORT_REDIRECT_URI set; also the URLs it opened."""
    threads: list[threading.Thread] = []
    opened: list[str] = []
    clicks = browser_that_clicks("allow", threads)

    def browser(url: str) -> bool:
        opened.append(url)
        return clicks(url)

    obj = CliState(
        settings=workspace.settings.model_copy(update={"redirect_uri": redirect_uri}),
        workspace_factory=lambda s: workspace,
        terminal=False,
        owns_workspace=False,
        open_browser=browser,
    )
    result = CliRunner().invoke(app, ["connect", "web", "--timeout", "20", *args], obj=obj)
    for thread in threads:
        thread.join()
    return result, opened


def redirect_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["redirect_uri"][0]


def test_connect_listens_on_the_configured_redirect_uri_the_app_accepts(
    workspace: Workspace, strict_app: str
) -> None:
    result, opened = connect(workspace, strict_app)
    assert result.exit_code == 0, result.output
    assert "Connected 'web' as admin@sfimport-demo.example." in result.stdout
    assert [redirect_of(url) for url in opened] == [strict_app]
    assert f"answer expected at {strict_app}" in result.stdout


def test_callback_port_0_listens_on_any_free_port(workspace: Workspace) -> None:
    configured = loopback_redirect()
    result, opened = connect(workspace, configured, "--callback-port", "0")
    assert result.exit_code == 0, result.output
    (used,) = [redirect_of(url) for url in opened]
    assert used.startswith("http://127.0.0.1:") and used.endswith("/oauth/callback")
    assert used != configured


def test_a_busy_callback_port_is_exit_2_and_names_the_url(workspace: Workspace) -> None:
    configured = loopback_redirect()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(urlsplit(configured).port or 0)))
        taken.listen()
        result, opened = connect(workspace, configured)
    assert result.exit_code == 2, result.output
    assert opened == []
    first, fix = result.stderr.splitlines()
    assert first.startswith(f"Error: Cannot listen on {configured} for the login redirect")
    assert fix.startswith("Fix: Stop what uses that port (e.g. 'sfimport serve'")


def test_a_redirect_uri_off_this_machine_is_exit_2_with_the_url_to_register(
    workspace: Workspace,
) -> None:
    result, opened = connect(workspace, "https://sfimport.example.com/oauth/callback")
    assert result.exit_code == 2, result.output
    assert opened == []
    assert "is not on this machine" in result.stderr
    assert "Add http://127.0.0.1:8000/oauth/callback to the Connected App" in result.stderr


def test_connect_help_says_which_callback_url_to_register() -> None:
    result = CliRunner().invoke(app, ["connect", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "SFIMPORT_REDIRECT_URI (default http://127.0.0.1:8000/oauth/callback)" in text
    assert "must be one of the Connected App's callback URLs" in text
