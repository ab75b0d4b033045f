"""uvicorn's own log lines (its access and error loggers, which have handlers of their own and do
not propagate to sfimport's) never show a token or an OAuth authorization code."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI

from sfimport.cli.context import configure_logging
from sfimport.web.queries import QueryGate
from sfimport.web.server import server_for

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))
TOKEN = "00D000000000001!AQ4AQFakeSessionIdForTheServerLogTest"
CODE = "aPrxSecretAuthorizationCodeFromTheLogin"


@pytest.fixture
def server_logging() -> Iterator[None]:
    """Whatever a test configures on uvicorn's loggers is undone after it."""
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    try:
        yield
    finally:
        configure_logging(None)
        for name, (handlers, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)


def _app() -> FastAPI:
    app = FastAPI()
    app.state.queries = QueryGate(1)
    return app


def test_uvicorn_error_and_access_lines_are_redacted(
    server_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(logging.INFO)
    server_for(_app(), "127.0.0.1", 0)  # sets up uvicorn's handlers, as `serve` does
    logging.getLogger("uvicorn.error").error("refused a request carrying %s", TOKEN)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        f"/oauth/callback?code={CODE}&state=s1",
        "1.1",
        303,
    )
    captured = capsys.readouterr()
    assert "refused a request carrying [redacted]" in captured.err
    assert "/oauth/callback?code=[redacted]&state=s1" in captured.out
    assert TOKEN not in captured.out + captured.err
    assert CODE not in captured.out + captured.err


def test_uvicorn_lines_are_json_when_sfimport_logs_json(
    server_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(logging.INFO, json=True)
    server_for(_app(), "127.0.0.1", 0)
    logging.getLogger("uvicorn.error").warning("slow client with %s", TOKEN)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["logger"] == "uvicorn.error"
    assert line["message"] == "slow client with [redacted]"


def test_a_served_request_with_a_token_in_its_url_is_logged_without_it(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {
        **os.environ,
        "SFIMPORT_HOME": str(tmp_path),
        "SFIMPORT_CLIENT_ID": "3MVG9-test",
        "SFIMPORT_CLIENT_SECRET": "test-secret",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [SFIMPORT, "-v", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "serve did not answer within a minute"
            try:
                httpx2.get(f"{base}/healthz", timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        httpx2.get(f"{base}/healthz", params={"session": TOKEN}, timeout=10)
        httpx2.get(f"{base}/oauth/callback", params={"code": CODE, "state": "s1"}, timeout=10)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)
    logged = out + err
    # The access lines are there (the ! of the token is %21 in a URL), redacted.
    assert "GET /healthz?session=[redacted] HTTP/1.1" in logged
    assert "/oauth/callback?code=[redacted]&state=s1" in logged
    assert TOKEN not in logged and "AQ4AQFake" not in logged
    assert CODE not in logged
