"""The installed `sfimport` command in real subprocesses, against the emulator on loopback:
a headless import from a refresh token to My Data and back out as CSV, as a cron job would run it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Org

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


@pytest.fixture
def env(tmp_path: Path, base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SFIMPORT_HOME": str(tmp_path / "home"),
        "SFIMPORT_PRODUCTION_LOGIN_URL": base_url,
        "SFIMPORT_CLIENT_ID": DEMO_CLIENT_ID,
        "SFIMPORT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "COLUMNS": "200",
    }


def sfimport(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SFIMPORT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_headless_import_from_a_refresh_token_to_my_data_and_out_as_csv(
    env: dict[str, str], base_url: str, org: Org, tmp_path: Path
) -> None:
    token = httpx2.post(
        f"{base_url}/__emulator__/tokens", json={"username": "admin@sfimport-demo.example"}
    ).json()["refresh_token"]
    connected = sfimport(env, "connect", "ci", "--refresh-token", "-", "--json", stdin=token)
    assert connected.returncode == 0, connected.stderr
    assert json.loads(connected.stdout)["connection"]["name"] == "ci"
    assert token not in connected.stdout + connected.stderr

    imported = sfimport(env, "import", "ci", "--object", "Lead", "--folder", "Sales")
    assert imported.returncode == 0, imported.stderr
    truth = {r["Id"]: r for r in org.tables["Lead"].to_pylist() if not r.get("IsDeleted")}
    # Piped, progress is plain lines: no terminal control codes.
    assert f"Lead: done {len(truth):,}/{len(truth):,} rows" in imported.stdout
    assert re.search(r"Run \S+: Complete\.", imported.stdout)
    assert "\x1b[" not in imported.stdout

    out = tmp_path / "lead.csv"
    exported = sfimport(env, "export", "Sales.Lead", "--format", "csv", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["Id"] for row in rows} == set(truth)
    for row in rows[:50]:
        assert row["Company"] == (truth[row["Id"]]["Company"] or "")


def test_bad_input_is_one_line_or_a_json_error_and_exit_2(env: dict[str, str]) -> None:
    bad_date = sfimport(env, "import", "ci", "-o", "Account", "--start-date", "2024-02-30")
    assert bad_date.returncode == 2
    assert bad_date.stderr.startswith("Error: The start date: '2024-02-30' is not a date")
    assert len(bad_date.stderr.splitlines()) == 2
    assert bad_date.stdout == ""

    unknown = sfimport(env, "--json", "objects", "nowhere")
    assert unknown.returncode == 2
    assert json.loads(unknown.stdout)["error"]["kind"] == "not_found"
    assert unknown.stderr == ""
