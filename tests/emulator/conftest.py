"""Fixtures for emulator tests: a demo org with a frozen clock and a synchronous HTTP client
that drives the ASGI app in-process (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from sfimport.emulator import Org, build_demo_org, create_emulator

ADMIN = "admin@sfimport-demo.example"
FROZEN_NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
V = "/services/data/v62.0"


class Http:
    """Calls the emulator app through httpx2's ASGI transport, one event loop per call."""

    def __init__(self, org: Org, base_url: str = "https://emu.test") -> None:
        self.org = org
        self.app = create_emulator(org)
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx2.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"

        async def call() -> httpx2.Response:
            transport = httpx2.ASGITransport(app=self.app)
            async with httpx2.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, path, headers=sent, **kwargs)

        return asyncio.run(call())

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.request("POST", path, **kwargs)

    def token(self, username: str = ADMIN) -> str:
        response = self.post("/__emulator__/tokens", json={"username": username})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def query(
        self,
        soql: str,
        token: str,
        *,
        all_rows: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> httpx2.Response:
        resource = "queryAll" if all_rows else "query"
        return self.get(f"{V}/{resource}", params={"q": soql}, token=token, headers=headers)


def fresh_org(**kwargs: Any) -> Org:
    return build_demo_org(clock_start=FROZEN_NOW, **kwargs)


@pytest.fixture(scope="module")
def shared_org() -> Org:
    """A read-mostly org shared by a module's tests (do not move its clock or limits)."""
    return fresh_org()


@pytest.fixture
def http(shared_org: Org) -> Http:
    return Http(shared_org)


@pytest.fixture
def admin_token(http: Http) -> str:
    return http.token()


def error_of(response: httpx2.Response) -> tuple[int, str, str]:
    """(status, errorCode, message) of a REST error, checking the array shape on the way."""
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    return response.status_code, body[0]["errorCode"], body[0]["message"]
