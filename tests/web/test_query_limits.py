"""Queries from the web end: at their deadline, when the client leaves, when the server stops;
and only a few run at once."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sfimport.settings import Settings
from sfimport.web import create_app
from sfimport.web.server import server_for
from tests.fakes.services import FakeServices
from tests.web.conftest import csrf_of

CROSS_JOIN = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range <> b.range"


def _app(tmp_path: Path, **settings: Any) -> tuple[FastAPI, FakeServices]:
    workspace = FakeServices(Settings(home=tmp_path, secret_key="k", **settings))
    return create_app(workspace.settings, workspace=workspace, scheduler_interval=None), workspace


@pytest.fixture
def slow_client(tmp_path: Path) -> Iterator[TestClient]:
    app, _ = _app(tmp_path, query_timeout=0.5)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def test_an_api_query_past_its_deadline_is_stopped_with_a_clear_error(
    slow_client: TestClient,
) -> None:
    started = time.monotonic()
    response = slow_client.post("/api/query", json={"sql": CROSS_JOIN})
    assert time.monotonic() - started < 20
    assert response.status_code == 400
    assert response.json()["kind"] == "query_timeout"
    assert "SFIMPORT_QUERY_TIMEOUT" in response.json()["remedy"]


def test_the_sql_page_stops_a_slow_query_too(slow_client: TestClient) -> None:
    token = csrf_of(slow_client, "/sql")
    page = slow_client.post("/sql", data={"csrf_token": token, "sql": CROSS_JOIN})
    assert page.status_code == 400
    assert "longer than 0.5 s" in page.text


def _wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_queries_beyond_the_cap_are_refused_until_one_ends(tmp_path: Path) -> None:
    app, _ = _app(tmp_path, query_timeout=3, max_queries=1)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        first: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: first.update(r=client.post("/api/query", json={"sql": CROSS_JOIN}))
        )
        worker.start()
        _wait_for(lambda: app.state.queries.running == 1)
        refused = client.post("/api/query", json={"sql": "SELECT 1"})
        assert refused.status_code == 503
        assert refused.json()["kind"] == "too_many_queries"
        assert refused.json()["retryable"] is True
        worker.join(30)
        assert first["r"].json()["kind"] == "query_timeout"
        assert client.post("/api/query", json={"sql": "SELECT 1"}).status_code == 200


def test_a_query_whose_client_disconnects_is_interrupted(tmp_path: Path) -> None:
    app, _ = _app(tmp_path, query_timeout=600)
    body = json.dumps({"sql": CROSS_JOIN}).encode()
    sent: list[dict[str, Any]] = []

    async def drive() -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        gone_at = time.monotonic() + 0.5  # the client goes away half a second in

        async def receive() -> dict[str, Any]:
            # Like uvicorn: a disconnect already seen is answered at once, else it waits.
            if messages:
                return messages.pop(0)
            while time.monotonic() < gone_at:
                await asyncio.sleep(0.05)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/query",
            "raw_path": b"/api/query",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await asyncio.wait_for(app(scope, receive, send), timeout=20)

    started = time.monotonic()
    asyncio.run(drive())
    assert time.monotonic() - started < 30  # not the 600 s deadline, not minutes of work
    assert app.state.queries.running == 0
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    assert status == 503


def test_stopping_the_server_interrupts_running_queries(tmp_path: Path) -> None:
    app, _ = _app(tmp_path, query_timeout=600)
    server = server_for(app, "127.0.0.1", 0)
    assert isinstance(server, uvicorn.Server)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        answer: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: answer.update(r=client.post("/api/query", json={"sql": CROSS_JOIN}))
        )
        worker.start()
        _wait_for(lambda: app.state.queries.running == 1)
        server.handle_exit(signal.SIGTERM, None)  # what uvicorn calls on SIGTERM or Ctrl-C
        worker.join(30)
        assert not worker.is_alive()
        assert answer["r"].status_code == 503
        assert answer["r"].json()["kind"] == "query_cancelled"
        # A stopping server starts no new query either.
        assert client.post("/api/query", json={"sql": "SELECT 1"}).status_code == 503
