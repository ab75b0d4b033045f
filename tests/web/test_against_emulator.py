"""The web app on the real engine and the emulator over loopback: the OAuth round trip of a
re-authorisation, and resuming a stopped run from its page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from sfimport.errors import ConnectionFailed
from sfimport.extract.events import ProgressEvent
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.store.metadata import ConnectionStatus
from tests.salesforce.emulated import Emulated, browser_login, demo_user
from tests.web.conftest import csrf_of

ADMIN = demo_user("admin")


def through_salesforce(engine_client: TestClient, answer_to: str) -> str:
    """Follow a redirect to the emulator's login, log in as the admin, press Allow and bring
    Salesforce's answer back to the app's callback; returns where the app sends the person."""
    assert answer_to.startswith("http://127.0.0.1:") and "/services/oauth2/authorize?" in answer_to
    query = browser_login(answer_to, ADMIN)
    callback = engine_client.get(
        "/oauth/callback",
        params={"code": query["code"], "state": query["state"]},
        follow_redirects=False,
    )
    assert callback.status_code == 303, callback.text
    return str(callback.headers["location"])


def connect(engine_client: TestClient, name: str = "demo") -> None:
    started = engine_client.post(
        "/connections/new",
        data={"csrf_token": csrf_of(engine_client, "/connections/new"), "name": name},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    through_salesforce(engine_client, started.headers["location"])


def test_re_authorise_gives_a_revoked_connection_new_tokens_through_salesforce(
    engine_client: TestClient, engine: Workspace, emulated: Emulated
) -> None:
    connect(engine_client)
    assert engine.list_objects("demo")  # the engine now holds a client with the first tokens
    engine.set_connection_schedule("demo", "1d")
    emulated.control("revoke", {"username": ADMIN.username})
    with pytest.raises(ConnectionFailed):
        engine.test_connection("demo")
    assert engine.get_connection("demo").status is ConnectionStatus.NEEDS_REAUTH

    pressed = engine_client.post(
        "/connections/demo/reauthorize",
        data={"csrf_token": csrf_of(engine_client, "/connections/demo")},
        follow_redirects=False,
    )
    assert pressed.status_code == 303, pressed.text
    landed = through_salesforce(engine_client, pressed.headers["location"])

    assert landed == "/connections/demo"
    page = engine_client.get(landed).text
    assert "Re-authorised “demo”; its data sets and schedules are kept." in page
    assert "already exists" not in page
    assert engine.get_connection("demo").status is ConnectionStatus.ACTIVE
    assert [c.name for c in engine.list_connections()] == ["demo"]
    assert [s.dataset for s in engine.list_schedules()] == ["connection:demo"]
    # The engine's calls use the new tokens, not the revoked ones it held before.
    assert engine.list_objects("demo")


def test_a_run_stopped_by_a_revoked_connection_resumes_in_the_background_after_re_authorising(
    engine_client: TestClient, engine: Workspace, emulated: Emulated
) -> None:
    connect(engine_client)
    revoked = False

    def revoke_once_rows_arrive(event: ProgressEvent) -> None:
        nonlocal revoked
        if not revoked and event.rows_done > 0:
            revoked = True
            emulated.control("revoke", {"username": ADMIN.username})

    spec = ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
    stopped = engine.run_import(engine.build_plan(spec), on_event=revoke_once_rows_arrive)
    assert stopped.status == "failed"
    assert f'href="/runs/{stopped.run_id}"' in engine_client.get("/connections/demo").text

    pressed = engine_client.post(
        "/connections/demo/reauthorize",
        data={"csrf_token": csrf_of(engine_client, "/connections/demo")},
        follow_redirects=False,
    )
    through_salesforce(engine_client, pressed.headers["location"])
    resumed = engine_client.post(
        f"/runs/{stopped.run_id}/resolve",
        data={"csrf_token": csrf_of(engine_client, f"/runs/{stopped.run_id}"), "action": "resume"},
        follow_redirects=False,
    )
    assert resumed.status_code == 303, resumed.text
    assert resumed.headers["location"] == f"/runs/{stopped.run_id}?follow=1"
    # The engine runs it in the background; the page polls it.
    finished = engine.wait(stopped.run_id, timeout=60)
    assert finished.status == "complete"
    (contact,) = finished.datasets
    assert contact.count_mismatch == 0
    assert engine.get_dataset("Sales.Contact").row_count == contact.rows
