"""The Workspace's injected sleep and clock reach the Salesforce clients it makes: retries
pause through them, never for real (against the emulator, with every data call failing)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    build_demo_org,
    create_emulator,
    serve_in_thread,
)
from sfimport.errors import TransientError
from sfimport.settings import Settings


def test_retries_pause_through_the_workspaces_sleep_not_for_real(tmp_path: Path) -> None:
    org = build_demo_org(scale={"Account": 20, "Contact": 20})
    pauses: list[float] = []
    moments = iter(datetime(2026, 3, 5, tzinfo=UTC) + timedelta(seconds=n) for n in range(10**6))
    with serve_in_thread(create_emulator(org)) as server:
        base = server.base_url
        settings = Settings(
            home=tmp_path / "home",
            production_login_url=base,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
        )
        with Workspace(settings, sleep=pauses.append, clock=lambda: next(moments)) as workspace:
            minted = httpx2.post(
                f"{base}/__emulator__/tokens", json={"username": "admin@sfimport-demo.example"}
            )
            workspace.connect_with_refresh_token(
                "demo", minted.json()["refresh_token"], login_url=base
            )
            faults = {"error_rate": 1.0, "error_statuses": [503], "path_prefix": "/services/data"}
            httpx2.post(f"{base}/__emulator__/faults", json=faults)
            began = time.monotonic()
            with pytest.raises(TransientError):
                workspace.list_objects("demo")
            elapsed = time.monotonic() - began
    # Five attempts, four pauses, all handed to the injected sleep (they add up to seconds).
    assert len(pauses) == 4 and sum(pauses) > 2
    assert elapsed < 2
