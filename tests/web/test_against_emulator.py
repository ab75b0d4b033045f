"""The web app on the real engine and the emulator over loopback: the OAuth round trip of a
re-authorisation, and resuming a stopped run from its page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from sfimport.errors import ConnectionFailed
from sfimport.extract.events import ProgressEvent
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.metadata import ConnectionStatus
from sfimport.web import create_app
from tests.salesforce.emulated import Emulated, browser_login, demo_user, emulator, settings_for
from tests.web.conftest import CSRF

ADMIN = demo_user("admin")


@pytest.fixture(scope="module")
def emulated() -> Iterator[Emulated]:
    with emulator() as running:
        yield running


@pytest.fixture
def workspace(tmp_path: Path, emulated: Emulated) -> Iterator[Workspace]:
    settings = settings_for(tmp_path / "home", emulated)
    with Workspace(settings, sleep=lambda s: None) as workspace:
        yield workspace


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def csrf(client: TestClient, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def through_salesforce(client: TestClient, answer_to: str) -> str:
    """Follow a redirect to the emulator's login, log in as the admin, press Allow and bring
    Salesforce's answer back to the app's callback; returns where the app sends the person."""
    assert answer_to.startswith("http://127.0.0.1:") and "/services/oauth2/authorize?" in answer_to
    query = browser_login(answer_to, ADMIN)
    callback = client.get(
        "/oauth/callback",
        params={"code": query["code"], "state": query["state"]},
        follow_redirects=False,
    )
    assert callback.status_code == 303, callback.text
    return str(callback.headers["location"])


def connect(client: TestClient, name: str = "demo") -> None:
    started = client.post(
        "/connections/new",
        data={"csrf_token": csrf(client, "/connections/new"), "name": name},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    through_salesforce(client, started.headers["location"])


def test_re_authorise_gives_a_revoked_connection_new_tokens_through_salesforce(
    client: TestClient, workspace: Workspace, emulated: Emulated
) -> None:
    connect(client)
    assert workspace.list_objects("demo")  # the engine now holds a client with the first tokens
    workspace.set_connection_schedule("demo", "1d")
    emulated.control("revoke", {"username": ADMIN.username})
    with pytest.raises(ConnectionFailed):
        workspace.test_connection("demo")
    assert workspace.get_connection("demo").status is ConnectionStatus.NEEDS_REAUTH

    pressed = client.post(
        "/connections/demo/reauthorize",
        data={"csrf_token": csrf(client, "/connections/demo")},
        follow_redirects=False,
    )
    assert pressed.status_code == 303, pressed.text
    landed = through_salesforce(client, pressed.headers["location"])

    assert landed == "/connections/demo"
    page = client.get(landed).text
    assert "Re-authorised “demo”; its data sets and schedules are kept." in page
    assert "already exists" not in page
    assert workspace.get_connection("demo").status is ConnectionStatus.ACTIVE
    assert [c.name for c in workspace.list_connections()] == ["demo"]
    assert [s.dataset for s in workspace.list_schedules()] == ["connection:demo"]
    # The engine's calls use the new tokens, not the revoked ones it held before.
    assert workspace.list_objects("demo")


def test_a_run_stopped_by_a_revoked_connection_resumes_in_the_background_after_re_authorising(
    client: TestClient, workspace: Workspace, emulated: Emulated
) -> None:
    connect(client)
    revoked = False

    def revoke_once_rows_arrive(event: ProgressEvent) -> None:
        nonlocal revoked
        if not revoked and event.rows_done > 0:
            revoked = True
            emulated.control("revoke", {"username": ADMIN.username})

    spec = ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
    stopped = workspace.run_import(workspace.build_plan(spec), on_event=revoke_once_rows_arrive)
    assert stopped.status == "failed"
    assert f'href="/runs/{stopped.run_id}"' in client.get("/connections/demo").text

    pressed = client.post(
        "/connections/demo/reauthorize",
        data={"csrf_token": csrf(client, "/connections/demo")},
        follow_redirects=False,
    )
    through_salesforce(client, pressed.headers["location"])
    resumed = client.post(
        f"/runs/{stopped.run_id}/resolve",
        data={"csrf_token": csrf(client, f"/runs/{stopped.run_id}"), "action": "resume"},
        follow_redirects=False,
    )
    assert resumed.status_code == 303, resumed.text
    assert resumed.headers["location"] == f"/runs/{stopped.run_id}?follow=1"
    # The engine runs it in the background; the page polls it.
    finished = workspace.wait(stopped.run_id, timeout=60)
    assert finished.status == "complete"
    (contact,) = finished.datasets
    assert contact.count_mismatch == 0
    assert workspace.get_dataset("Sales.Contact").row_count == contact.rows
