"""An org saved to a folder comes back as it was: records, tokens, permissions, field-level
security, deleted fields, the Connected App's block, API usage and the clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, build_demo_org
from sfimport.emulator.saved_org import SavedOrg, SavedOrgError
from tests.emulator.conftest import FROZEN_NOW, Http, V, error_of, fresh_org


def test_the_sandbox_is_an_org_of_its_own() -> None:
    production, sandbox = build_demo_org(1), build_demo_org(1, is_sandbox=True)
    assert production.org_id != sandbox.org_id
    assert production.org_id.startswith("00D") and sandbox.org_id.startswith("00D")


def test_a_saved_org_comes_back_as_it_was(tmp_path: Path) -> None:
    http = Http(fresh_org())
    grant = http.post("/__emulator__/tokens", json={"username": "admin@sfimport-demo.example"})
    refresh = grant.json()["refresh_token"]
    account = http.query("SELECT Id FROM Account LIMIT 1", grant.json()["access_token"])
    some_id = account.json()["records"][0]["Id"]
    changes = [
        ("/__emulator__/records/Account", {"update": [{"Id": some_id, "Name": "Kept Inc"}]}),
        ("/__emulator__/records/Contact", {"insert": [{"LastName": "Newcomer"}]}),
        ("/__emulator__/clock", {"advance_seconds": 3600}),
        (
            "/__emulator__/permissions",
            {
                "username": "noroles@sfimport-demo.example",
                "permission": "PermissionsRunReports",
                "enabled": False,
            },
        ),
        (
            "/__emulator__/fields",
            {
                "action": "hide",
                "username": "admin@sfimport-demo.example",
                "object": "Lead",
                "field": "Email",
            },
        ),
        ("/__emulator__/fields", {"action": "remove", "object": "Account", "field": "Site"}),
        ("/__emulator__/limits", {"remaining": 1234}),
    ]
    for path, body in changes:
        assert http.post(path, json=body).status_code == 200, path
    saved = SavedOrg(tmp_path / "org")
    saved.save(http.org)
    assert (tmp_path / "org").stat().st_mode & 0o077 == 0

    again = fresh_org()
    assert SavedOrg(tmp_path / "org").load_into(again) is True
    back = Http(again)
    assert again.clock.now() == FROZEN_NOW.replace(hour=13)
    # The refresh token issued before the save still works, and so does its access token.
    refreshed = back.post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    token = grant.json()["access_token"]
    name = back.query(f"SELECT Name FROM Account WHERE Id = '{some_id}'", token)
    assert name.json()["records"][0]["Name"] == "Kept Inc"
    newcomer = back.query("SELECT Id FROM Contact WHERE LastName = 'Newcomer'", token)
    assert newcomer.json()["totalSize"] == 1
    assert error_of(back.query("SELECT Site FROM Account", token))[1] == "INVALID_FIELD"
    assert error_of(back.query("SELECT Email FROM Lead", token))[1] == "INVALID_FIELD"
    noroles = back.token("noroles@sfimport-demo.example")
    reports = back.get(f"{V}/analytics/reports", token=noroles)
    assert reports.status_code == 403
    limits = back.get(f"{V}/limits", token=token).json()["DailyApiRequests"]
    assert limits["Remaining"] < 1234  # the calls since count on from the saved usage


def test_a_blocked_app_stays_blocked(tmp_path: Path) -> None:
    http = Http(fresh_org())
    refresh = http.post(
        "/__emulator__/tokens", json={"username": "admin@sfimport-demo.example"}
    ).json()["refresh_token"]
    assert http.post("/__emulator__/app", json={"blocked": True}).status_code == 200
    SavedOrg(tmp_path).save(http.org)
    again = fresh_org()
    SavedOrg(tmp_path).load_into(again)
    assert http.org.refresh_tokens == {} and again.refresh_tokens == {}
    refused = Http(again).post(
        "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_only_changed_tables_are_written_again(tmp_path: Path) -> None:
    http = Http(fresh_org())
    saved = SavedOrg(tmp_path)
    saved.save(http.org)
    tables = tmp_path / "tables"
    stamps = {path.name: path.stat().st_mtime_ns for path in tables.iterdir()}
    for path in tables.iterdir():
        path.touch()
        stamps[path.name] = path.stat().st_mtime_ns - 1
    http.post("/__emulator__/records/Case", json={"insert": [{"Subject": "New"}]})
    saved.save(http.org)
    rewritten = {p.name for p in tables.iterdir() if p.stat().st_mtime_ns != stamps[p.name] + 1}
    assert rewritten == {"Case.arrow"}


def test_another_org_or_format_is_refused(tmp_path: Path) -> None:
    SavedOrg(tmp_path).save(fresh_org())
    with pytest.raises(SavedOrgError, match="holds org"):
        SavedOrg(tmp_path).load_into(fresh_org(is_sandbox=True))
    state = json.loads((tmp_path / "org.json").read_text())
    (tmp_path / "org.json").write_text(json.dumps({**state, "format": 99}))
    with pytest.raises(SavedOrgError, match="format 99"):
        SavedOrg(tmp_path).load_into(fresh_org())


def test_nothing_saved_loads_nothing(tmp_path: Path) -> None:
    assert SavedOrg(tmp_path / "none").load_into(fresh_org()) is False
