"""Tokens stay current across processes: a Workspace built before a connection was
re-authorised elsewhere (a `serve` started before `sfimport connect NAME --reauthorize` in a
terminal) uses the new grant on its next call, without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfimport.extract.spec import ImportSpec, ObjectChoice
from tests.e2e.refresh_org import ADMIN, LiveOrg, live_org


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveOrg]:
    with live_org(tmp_path / "home", {"Account": 20, "Contact": 30}) as org:
        yield org


def test_a_connection_reauthorised_elsewhere_works_in_a_workspace_started_before(
    live: LiveOrg,
) -> None:
    with live.workspace() as serving:  # the long-running process (e.g. `serve`)
        live.connect(serving)
        plan = serving.build_plan(
            ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
        )
        assert serving.run_import(plan).status == "complete"

        live.control("revoke", {"username": ADMIN})  # the grant dies...
        with live.workspace() as terminal:  # ...and is renewed by another process
            minted = live.control("tokens", {"username": ADMIN})
            connected = terminal.connect_with_refresh_token(
                "demo", minted["refresh_token"], login_url=live.base_url, reauthorize=True
            )
            assert connected.reauthorized

        live.advance(60)
        result = serving.refresh(["Sales.Contact"])  # no restart of the serving process
        assert result.status == "complete", result.run
        assert serving.test_connection("demo").status == "active"
