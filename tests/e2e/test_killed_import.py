"""A killed import leaves My Data exactly as it was: nothing staged is ever visible."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sfimport.app.workspace import Workspace
from sfimport.extract.cursor import select_soql
from sfimport.extract.spec import ImportSpec, ObjectChoice
from sfimport.settings import Settings
from tests.e2e.staged import staged_rows, staged_text
from tests.extract.fake_org import FakeOrg, client_for, make_records

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sfimport.extract.spec import ImportSpec, ObjectChoice
    from sfimport.app.workspace import Workspace
    from sfimport.settings import Settings
    from tests.extract.fake_org import FakeOrg, client_for, make_records

    home, marker = Path(sys.argv[1]), Path(sys.argv[2])
    org = FakeOrg(make_records(30), page_size=5)
    serve = org.handler
    served = []

    def slow(request):
        response = serve(request)
        if "/query/01g" in str(request.url):
            served.append(1)
            if len(served) == 3:
                marker.write_text("mid-run")
                time.sleep(60)
        return response

    org.handler = slow
    workspace = Workspace(Settings(home=home), client_factory=client_for(org))
    spec = ImportSpec(
        connection="acme",
        folder="Sales",
        objects=(ObjectChoice("Contact"),),
        conceal={"Contact": ("LastName", "Email")},
    )
    workspace.run_import(workspace.build_plan(spec))
    """
)


def test_killed_import_leaves_my_data_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    workspace = Workspace(Settings(home=home), client_factory=client_for(FakeOrg(make_records(4))))
    spec = ImportSpec(
        connection="acme",
        folder="Sales",
        objects=(ObjectChoice("Contact"),),
        conceal={"Contact": ("LastName", "Email")},
    )
    workspace.run_import(workspace.build_plan(spec))
    before = workspace.query('SELECT * FROM "Sales"."Contact" ORDER BY "Id"').rows
    assert len(before) == 4

    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(marker)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None, "the child import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert staged_rows(home), "the child should have staged rows before the kill"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()

    # The same org, in this process: its query cursor is the one the child was reading.
    org = FakeOrg(make_records(30), page_size=5)
    after = Workspace(Settings(home=home), client_factory=client_for(org))
    assert after.query('SELECT * FROM "Sales"."Contact" ORDER BY "Id"').rows == before
    assert after.get_dataset("Sales.Contact").row_count == 4
    interrupted = after.list_runs()[0]
    assert interrupted.status == "failed" and interrupted.error is not None
    assert interrupted.error.kind == "interrupted" and "resume" in interrupted.error.actions
    assert staged_rows(home) > 0, "the recorded pages are kept for the resume"
    # Concealment happens before any byte is staged: no name or email in the staged pages.
    staged = staged_text(home)
    assert staged and not [v for v in staged if "Secretname" in v or "secret.example" in v]

    planned = after.build_plan(spec).datasets[0]
    org.queries.append(select_soql("Contact", planned.fields, None, None))
    assert after.resume_waiting_runs() == [interrupted.id]
    resumed = after.wait(interrupted.id, timeout=30)
    assert resumed.status == "complete", resumed
    assert after.get_dataset("Sales.Contact").row_count == 30
    assert org.queries == [select_soql("Contact", planned.fields, None, None)], "no new query"
    assert staged_rows(home) == 0, "the published run leaves no staging table behind"
