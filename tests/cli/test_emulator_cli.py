"""Every command against the real engine and the emulator on loopback, in-process (CliRunner).

Connections are made from refresh tokens minted through the emulator's control API, or through the
browser flow with a scripted "browser" that logs in on the emulator's own login and Allow pages.
"""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from sfimport.app.workspace import Workspace
from sfimport.emulator import Org
from tests.cli.conftest import ADMIN, NOREPORTS, Run, mint

REQUEST_ID = re.compile(r'name="oauth_request" value="([^"]+)"')


def browser_that_clicks(decision: str, threads: list[threading.Thread]) -> Callable[[str], bool]:
    """A stand-in browser: logs in as the admin on the emulator and presses Allow or Deny."""

    def open_browser(url: str) -> bool:
        def click_through() -> None:
            with httpx2.Client(follow_redirects=False, timeout=10) as browser:
                login = browser.get(url)
                match = REQUEST_ID.search(login.text)
                assert match, login.text
                action = url.split("/services/")[0] + "/services/oauth2/authorize"
                browser.post(
                    action,
                    data={
                        "oauth_request": match.group(1),
                        "step": "login",
                        "username": ADMIN,
                        "pw": "demo-admin-1",
                    },
                )
                answer = browser.post(
                    action,
                    data={"oauth_request": match.group(1), "step": "consent", "decision": decision},
                )
                assert answer.status_code in (302, 303), answer.text
                landed = browser.get(answer.headers["Location"])
                assert landed.status_code == 200

        thread = threading.Thread(target=click_through)
        thread.start()
        threads.append(thread)
        return True

    return open_browser


def test_connect_through_the_browser_and_the_loopback_redirect(sfimport: Run) -> None:
    threads: list[threading.Thread] = []
    result = sfimport(
        "connect", "web", "--timeout", "20", open_browser=browser_that_clicks("allow", threads)
    )
    for thread in threads:
        thread.join()
    assert result.exit_code == 0, result.output
    assert "Connected 'web' as admin@sfimport-demo.example." in result.stdout
    assert "All permissions sfimport needs are granted." in result.stdout
    listed = json.loads(sfimport("connections", "--json").stdout)["connections"]
    assert [c["name"] for c in listed] == ["web"]


def test_pressing_deny_in_the_browser_is_a_clear_failure(sfimport: Run) -> None:
    threads: list[threading.Thread] = []
    result = sfimport(
        "connect", "web", "--timeout", "20", open_browser=browser_that_clicks("deny", threads)
    )
    for thread in threads:
        thread.join()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Fix: Start the connection again and press Allow" in result.stderr
    assert json.loads(sfimport("connections", "--json").stdout)["connections"] == []


def test_the_headless_connection_never_prints_its_token(sfimport: Run, base_url: str) -> None:
    token = mint(base_url)
    result = sfimport("connect", "demo", "--refresh-token", "-", "--json", input=token)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["connection"]["username"] == ADMIN
    assert all(item["present"] for item in body["permissions"]["items"])
    assert token not in result.output


def test_check_exits_1_for_a_user_without_run_reports(sfimport: Run, base_url: str) -> None:
    made = sfimport("connect", "limited", "--refresh-token", "-", input=mint(base_url, NOREPORTS))
    assert made.exit_code == 0, made.output
    result = sfimport("check", "limited")
    assert result.exit_code == 1
    assert "Missing: Run Reports." in result.stdout
    granted = {
        i["name"]: i["present"]
        for i in json.loads(sfimport("check", "limited", "--json").stdout)["permissions"]["items"]
    }
    assert granted["Run Reports"] is False
    assert granted["API Enabled"] is True


def test_catalog_commands_find_objects_and_fields(connected: Run) -> None:
    found = json.loads(connected("objects", "demo", "--search", "lead", "--json").stdout)
    assert "Lead" in [o["name"] for o in found["objects"]]
    everything = [
        o["name"] for o in json.loads(connected("objects", "demo", "--json").stdout)["objects"]
    ]
    assert not [n for n in everything if n.endswith("ChangeEvent")]
    fields = connected("fields", "demo", "Lead")
    assert fields.exit_code == 0
    assert "Email\tEmail\temail\tno" in fields.stdout
    reports = connected("reports", "demo", "--json")
    assert reports.exit_code == 0
    assert isinstance(json.loads(reports.stdout)["reports"], list)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["objects", "nobody"], "nobody"),
        (["import", "demo", "-o", "AccountChangeEvent"], "AccountChangeEvent is not supported"),
        (["import", "demo", "-o", "Lead", "--folder", "../etc"], "'../etc' is not allowed"),
        (["import", "demo", "-o", "Lead", "--start-date", "2024-13-01"], "is not a date"),
        (["import", "demo", "-r", "No Such Report"], "No Such Report"),
        (["preview", "Sales.Nothing"], "Nothing"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(connected: Run, args: list[str], says: str) -> None:
    result = connected(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert says in result.stderr.splitlines()[0]
    assert "Traceback" not in result.output


def test_an_unknown_object_is_exit_2(connected: Run) -> None:
    result = connected("import", "demo", "-o", "Nope__c", "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["error"]["message"]


def test_dry_run_reviews_the_real_plan_and_imports_nothing(connected: Run) -> None:
    result = connected(
        "import",
        "demo",
        "-o",
        "Lead",
        "--folder",
        "Sales",
        "--start-date",
        "2024-01-01",
        "--conceal",
        "Lead",
        "--dry-run",
        "--json",
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    (lead,) = plan["datasets"]
    assert lead["name"] == "Lead" and lead["expected_rows"] > 0
    assert "Email" in lead["concealed"]
    assert plan["api_calls_total"] <= plan["api_remaining"]
    assert json.loads(connected("datasets", "--json").stdout) == {"datasets": []}


def test_import_then_my_data_commands_and_their_json(
    connected: Run, org: Org, tmp_path: Path
) -> None:
    result = connected(
        "import",
        "demo",
        "-o",
        "Lead",
        "-o",
        "Account",
        "--folder",
        "Sales",
        "--conceal-column",
        "Lead.Email",
    )
    assert result.exit_code == 0, result.output
    assert "Lead: done" in result.stdout and "Account: done" in result.stdout
    assert re.search(r"Run \S+: Complete\.", result.stdout)

    datasets = {
        d["qualified"]: d for d in json.loads(connected("datasets", "--json").stdout)["datasets"]
    }
    assert set(datasets) == {"Sales.Lead", "Sales.Account"}
    assert datasets["Sales.Lead"]["concealed"] == ["Email"]

    count = json.loads(
        connected("sql", 'SELECT count(*) AS n FROM "Sales"."Lead"', "--json").stdout
    )
    assert count["rows"] == [[datasets["Sales.Lead"]["row_count"]]]
    assert connected("sql", 'DELETE FROM "Sales"."Lead"').exit_code == 2

    preview = json.loads(connected("preview", "Sales.Lead", "--limit", "5", "--json").stdout)
    assert len(preview["rows"]) == 5
    assert ("Id", "string") in [(c["name"], c["type"]) for c in preview["columns"]]

    out = tmp_path / "account.parquet"
    exported = connected("export", "Sales.Account", "--output", str(out))
    assert exported.exit_code == 0 and out.stat().st_size > 0

    runs = json.loads(connected("runs", "--json").stdout)["runs"]
    assert runs[0]["status"] == "complete"

    refreshed = connected("refresh", "Sales.Lead", "--json")
    assert refreshed.exit_code == 0, refreshed.output
    assert json.loads(refreshed.stdout)["run"]["kind"] == "refresh"

    scheduled = connected("schedule", "Sales.Lead", "--every", "1d", "--json")
    assert scheduled.exit_code == 0, scheduled.output
    assert json.loads(scheduled.stdout)["schedule"]["every"] == "1d"
    assert connected("schedule", "Sales.Lead", "--every", "sometimes").exit_code == 2


class LimitAfterFirstPage:
    """The real Workspace, with the org's daily allowance used up once the first page landed."""

    def __init__(self, workspace: Workspace, base_url: str) -> None:
        self._workspace = workspace
        self._base_url = base_url

    def __getattr__(self, name: str) -> object:
        return getattr(self._workspace, name)

    def run_import(self, plan: object, on_event: Callable[[object], None] | None = None) -> object:
        spent = False

        def listener(event: object) -> None:
            nonlocal spent
            if not spent and getattr(event, "rows_done", 0) > 0:
                spent = True
                httpx2.post(f"{self._base_url}/__emulator__/limits", json={"remaining": 0})
            if on_event is not None:
                on_event(event)

        return self._workspace.run_import(plan, on_event=listener)  # type: ignore[arg-type]


def test_an_import_stopped_by_the_daily_limit_exits_3(
    workspace: Workspace, connected: Run, base_url: str
) -> None:
    limited = LimitAfterFirstPage(workspace, base_url)
    try:
        result = connected(
            "import",
            "demo",
            "-o",
            "Contact",
            "--folder",
            "Sales",
            "--budget",
            "100",
            workspace_factory=lambda s: limited,
        )
    finally:
        httpx2.post(f"{base_url}/__emulator__/limits", json={"max": 15000, "remaining": 15000})
    assert result.exit_code == 3, result.output
    assert "Waiting for the org's daily API limit to reset" in result.stdout
    assert "Traceback" not in result.output


def test_disconnect_revokes_the_connection(connected: Run) -> None:
    result = connected("disconnect", "demo", "--json", "--yes")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"]["revoked"] is True
    again = connected("objects", "demo")
    assert again.exit_code == 2


def test_export_to_csv_holds_every_row_of_the_org(connected: Run, org: Org, tmp_path: Path) -> None:
    assert connected("import", "demo", "-o", "Lead", "-f", "Sales").exit_code == 0
    out = tmp_path / "lead.csv"
    assert connected("export", "Sales.Lead", "--format", "csv", "-O", str(out)).exit_code == 0
    with out.open(newline="", encoding="utf-8") as handle:
        ids = {row["Id"] for row in csv.DictReader(handle)}
    truth = {r["Id"] for r in org.tables["Lead"].to_pylist() if not r.get("IsDeleted")}
    assert ids == truth
