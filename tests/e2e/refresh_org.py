"""A live emulator org and a Workspace connected to it, for the refresh and failure tests:
the org's own clock drives the workspace, faults go through the emulator's control API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pyarrow as pa

from sfimport.app.workspace import Workspace
from sfimport.emulator.app import create_emulator
from sfimport.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, build_demo_org
from sfimport.emulator.formulas import with_cross_record_values
from sfimport.emulator.jackson import java_double
from sfimport.emulator.org import Org
from sfimport.emulator.server import serve_in_thread
from sfimport.settings import Settings

ADMIN = "admin@sfimport-demo.example"
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@dataclass
class LiveOrg:
    org: Org
    base_url: str
    home: Path

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx2.post(f"{self.base_url}/__emulator__/{path}", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def advance(self, seconds: float) -> None:
        self.control("clock", {"advance_seconds": seconds})

    def settings(self, **options: Any) -> Settings:
        return Settings(
            home=self.home,
            production_login_url=self.base_url,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            **options,
        )

    def cli_env(self, **extra: str) -> dict[str, str]:
        """The environment an `sfimport` subprocess needs to use this org's data folder."""
        return {
            **os.environ,
            "SFIMPORT_HOME": str(self.home),
            "SFIMPORT_PRODUCTION_LOGIN_URL": self.base_url,
            "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
            "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            **extra,
        }

    def workspace(self, **options: Any) -> Workspace:
        return Workspace(self.settings(**options), clock=self.org.clock.now, sleep=lambda s: None)

    def connect(self, workspace: Workspace, name: str = "demo") -> None:
        minted = self.control("tokens", {"username": ADMIN})
        workspace.connect_with_refresh_token(name, minted["refresh_token"], login_url=self.base_url)

    def live_rows(self, sobject: str) -> dict[str, dict[str, Any]]:
        """What a query (not queryAll) returns: every record not deleted, by Id, with its
        cross-record formulas and roll-ups computed as the org answers them."""
        spec = self.org.objects[sobject.lower()]
        table: pa.Table = with_cross_record_values(
            spec, self.org.tables[spec.name], self.org.tables, self.org.objects
        )
        return {row["Id"]: row for row in table.to_pylist() if not row.get("IsDeleted")}


@contextmanager
def live_org(home: Path, scale: dict[str, int], api_max: int = 15000) -> Iterator[LiveOrg]:
    org = build_demo_org(seed=11, scale=scale, clock_start=START, api_max=api_max)
    with serve_in_thread(create_emulator(org)) as server:
        yield LiveOrg(org, server.base_url, home)


def my_rows(workspace: Workspace, table: str) -> dict[str, dict[str, Any]]:
    result = workspace.query(f"SELECT * FROM {table}", limit=1_000_000)
    names = [name for name, _ in result.columns]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result.rows}


def assert_exact_copy(live: LiveOrg, workspace: Workspace, sobject: str, table: str) -> None:
    """Every row and every value of the data set equals what the org holds."""
    truth = live.live_rows(sobject)
    mine = my_rows(workspace, table)
    assert mine.keys() == truth.keys(), (len(mine), len(truth))
    for record_id, row in mine.items():
        expected = truth[record_id]
        for column, value in row.items():
            want = expected.get(column)
            if want == "":
                want = None
            if isinstance(value, Decimal) and isinstance(want, float):
                # Money is exact in My Data: compare with the number as the org writes it.
                want = Decimal(java_double(want))
            assert value == want, (record_id, column, value, want)
