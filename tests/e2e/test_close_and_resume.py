"""Background runs and the end of a Workspace, against the emulator: close() stops a running
import after its current page (nothing half-done, no use of a closed client), the run is
recorded as due for a resume, and start_resume continues it in the background to the end."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import (
    Org,
    build_demo_org,
)
from sfimport.errors import UsageError
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.settings import Settings
from tests.e2e.conftest import emulator_settings

ADMIN = "admin@sfimport-demo.example"
#: Under the Bulk threshold: read over REST in pages of 2,000 rows.
CONTACTS = 9_000


class HoldSecondPage(httpx2.BaseTransport):
    """Holds the request of a query's second page until released."""

    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        self.reached = threading.Event()
        self.release = threading.Event()
        self._held = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self._held and "/query/" in request.url.path:
            self._held = True
            self.reached.set()
            self.release.wait(10)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture(scope="module")
def org() -> Org:
    return build_demo_org(scale={"Account": 50, "Contact": CONTACTS})


def settings(home: Path, base_url: str) -> Settings:
    return emulator_settings(home, base_url)


def live_contacts(org: Org) -> int:
    return sum(1 for row in org.tables["Contact"].to_pylist() if not row.get("IsDeleted"))


def test_closing_stops_a_background_run_at_a_page_and_start_resume_finishes_it(
    tmp_path: Path, base_url: str, org: Org
) -> None:
    home = tmp_path / "home"
    hold = HoldSecondPage()
    workspace = Workspace(settings(home, base_url), transport=hold, sleep=lambda s: None)
    minted = httpx2.post(f"{base_url}/__emulator__/tokens", json={"username": ADMIN}).json()
    workspace.connect_with_refresh_token("demo", minted["refresh_token"], login_url=base_url)
    spec = ImportSpec(connection="demo", folder="Sales", objects=(ObjectChoice("Contact"),))
    plan = workspace.build_plan(spec)
    run_id = workspace.start_import(plan)
    assert hold.reached.wait(10)

    # close() stops the run at once; the page already asked for arrives after it began.
    threading.Timer(0.2, hold.release.set).start()
    workspace.close()
    assert not [t for t in threading.enumerate() if t.name.startswith(f"run-{run_id}")]
    with pytest.raises(UsageError, match="shutting down"):
        workspace.start_import(plan)

    with Workspace(settings(home, base_url), sleep=lambda s: None) as again:
        stopped = again.get_run(run_id)
        assert stopped.status == "failed"
        (contact,) = stopped.datasets
        assert contact.status == "interrupted" and contact.rows == 4_000
        assert stopped.error is not None and stopped.error.kind == "stopped"
        assert stopped.error.actions == ("resume",)
        assert stopped.resume_at is not None and stopped.resume_at <= datetime.now(UTC)
        assert again.list_datasets() == []  # nothing half-done is visible

        assert again.start_resume(run_id) == run_id
        assert again.get_run(run_id).status in ("running", "complete")
        finished = again.wait(run_id, timeout=60)
        assert finished.status == "complete"
        assert again.get_dataset("Sales.Contact").row_count == live_contacts(org)
        with pytest.raises(UsageError, match="nothing to resume"):
            again.start_resume(run_id)
