"""Team mode's accounts and roles: a login everywhere (loopback too), admin / member / viewer
rights on pages and the JSON API alike, API tokens for scripts, and an audit log of every
change and export, refused attempts included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sfimport.app.accounts import AccountsService, Role
from sfimport.cli import app as cli
from sfimport.settings import Settings, metadata_database_url
from sfimport.store import accounts as accounts_store
from sfimport.web import create_app
from tests.fakes.services import FakeServices
from tests.web.conftest import CSRF, connect

PASSWORDS = {
    "ada": "ada-admin-passphrase",
    "max": "max-member-passphrase",
    "vic": "vic-viewer-pass",
}
ROLES = {"ada": "admin", "max": "member", "vic": "viewer"}
SPEC = {
    "connection": "Sales org",
    "folder": "Sales",
    "objects": [{"name": "Lead"}],
    "conceal": {"Lead": None},
}


def sfimport(settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    assert settings.database_url is not None
    result = CliRunner().invoke(
        cli,
        ["--home", str(settings.home), "--database-url", settings.database_url, *args],
        input=stdin,
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def light_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest cost: the product's (64 MiB, 3 passes) takes most of a second
    per hash on a busy 2-core machine, and these tests hash a dozen times."""
    monkeypatch.setattr(
        accounts_store,
        "_hasher",
        lambda: PasswordHasher(type=Type.ID, time_cost=1, memory_cost=8, parallelism=1),
    )


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:
    return Settings(home=tmp_path, secret_key="team-test-key", database_url=postgres_url)


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    """ada (admin), max (member) and vic (viewer), each with an API token."""
    with AccountsService.open(settings) as accounts:
        for name, role in ROLES.items():
            accounts.add_user(name, Role(role), PASSWORDS[name], actor="test")
        return {name: accounts.issue_token(name, "test", actor="test") for name in ROLES}


@pytest.fixture
def web(settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    workspace = FakeServices(settings)
    app = create_app(settings, workspace=workspace, scheduler_interval=None)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def log_in(client: TestClient, name: str, password: str | None = None) -> int:
    token = CSRF.search(client.get("/login").text)
    assert token
    response = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": name,
            "password": PASSWORDS[name] if password is None else password,
            "next": "/mydata",
        },
        follow_redirects=False,
    )
    return response.status_code


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit(settings: Settings, *args: str) -> list[dict[str, str]]:
    code, out, err = sfimport(settings, "audit", "--json", *args)
    assert code == 0, err
    entries: list[dict[str, str]] = json.loads(out)["entries"]
    return entries


def test_even_on_loopback_team_mode_asks_for_a_login(web: TestClient) -> None:
    page = web.get("/mydata", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    login = web.get("/login").text
    assert 'name="username"' in login and 'name="password"' in login
    api = web.get("/api/datasets")
    assert api.status_code == 401
    assert "team mode" in api.json()["detail"]


def test_a_wrong_password_is_refused_and_recorded(web: TestClient, settings: Settings) -> None:
    assert log_in(web, "max", "not-the-password") == 401
    assert web.get("/mydata", follow_redirects=False).status_code == 303
    assert log_in(web, "nobody", "whatever-password") == 401
    assert log_in(web, "max") == 303
    assert web.get("/mydata").status_code == 200
    logins = [(e["actor"], e["outcome"]) for e in audit(settings) if e["action"] == "login"]
    assert logins == [("max", "done"), ("nobody", "refused"), ("max", "refused")]


def test_passwords_are_stored_as_argon2id_hashes(
    settings: Settings, tokens: dict[str, str]
) -> None:
    engine = create_engine(metadata_database_url(settings.database_url or ""))
    with engine.connect() as db:
        hashes = dict(db.execute(text("SELECT name, password_hash FROM users")).all())
    engine.dispose()
    assert set(hashes) == set(ROLES)
    for name, stored in hashes.items():
        assert stored.startswith("$argon2id$")
        assert PASSWORDS[name] not in stored


def test_a_viewer_is_refused_a_write_and_the_audit_log_shows_the_attempt(
    web: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    refused = web.post("/api/runs", json=SPEC, headers=bearer(tokens["vic"]))
    assert refused.status_code == 403
    assert refused.json()["kind"] == "forbidden"
    assert "vic is a viewer; this needs the role member or admin" in refused.json()["detail"]
    # Reading is what a viewer may do.
    assert web.get("/api/datasets", headers=bearer(tokens["vic"])).status_code == 200

    assert log_in(web, "vic") == 303
    csrf = CSRF.search(web.get("/mydata").text)
    assert csrf
    form = web.post("/mydata/Sales.Lead/refresh", data={"csrf_token": csrf.group(1)})
    assert form.status_code == 403
    assert "vic is a viewer" in form.text

    (latest, earlier) = [e for e in audit(settings, "--user", "vic") if e["action"] != "login"]
    assert (latest["action"], latest["target"], latest["outcome"]) == (
        "refresh",
        "POST /mydata/Sales.Lead/refresh",
        "refused",
    )
    assert (earlier["action"], earlier["target"], earlier["outcome"]) == (
        "import",
        "POST /api/runs",
        "refused",
    )
    assert earlier["detail"] == "role viewer lacks work"


def test_a_member_can_import_and_export_but_not_manage_connections(
    web: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    assert log_in(web, "ada") == 303
    connect(web)  # connections are the admin's
    member = bearer(tokens["max"])
    run_id = web.post("/api/runs", json=SPEC, headers=member).json()["run_id"]
    assert web.get(f"/api/runs/{run_id}", headers=member).json()["status"] == "complete"
    export = web.get("/api/datasets/Sales.Lead/export", headers=member)
    assert export.status_code == 200 and export.text.startswith("Id,")
    assert (
        web.get("/api/datasets/Sales.Lead/export", headers=bearer(tokens["vic"])).status_code == 403
    )
    deleting = web.delete("/api/connections/Sales org", headers=member)
    assert deleting.status_code == 403

    done = [(e["actor"], e["action"], e["outcome"]) for e in audit(settings)]
    assert ("max", "import", "done") in done
    assert ("max", "export", "done") in done
    assert ("vic", "export", "refused") in done
    assert ("max", "connection", "refused") in done
    assert ("ada", "connection", "done") in done


def test_an_admin_manages_users_and_reads_the_audit_log(
    web: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    admin, member = bearer(tokens["ada"]), bearer(tokens["max"])
    new = {"name": "nia", "role": "member", "password": "nia-new-passphrase"}
    assert web.post("/api/users", json=new, headers=member).status_code == 403
    created = web.post("/api/users", json=new, headers=admin)
    assert created.status_code == 201 and created.json()["role"] == "member"
    changed = web.put("/api/users/nia/role", json={"role": "viewer"}, headers=admin)
    assert changed.json()["role"] == "viewer"
    assert log_in(web, "nia", "nia-new-passphrase") == 303
    assert web.get("/admin").status_code == 403  # a viewer's session

    listed = {u["name"]: u["role"] for u in web.get("/api/users", headers=admin).json()["items"]}
    assert listed == {**ROLES, "nia": "viewer"}
    assert web.delete("/api/users/nia", headers=admin).status_code == 204
    # Removed: the session that logged in as nia is logged out.
    assert web.get("/mydata", follow_redirects=False).status_code == 303

    assert log_in(web, "ada") == 303
    page = web.get("/admin")
    assert page.status_code == 200
    assert "user.remove" in page.text and "user.set_role" in page.text and "refused" in page.text
    assert 'href="/admin"' in page.text
    entries = web.get("/api/audit?actor=ada", headers=admin).json()["items"]
    assert [e["action"] for e in entries[:3]] == ["login", "user.remove", "user.set_role"]


def test_users_are_managed_from_the_command_line(settings: Settings) -> None:
    code, out, err = sfimport(
        settings,
        "users",
        "add",
        "ops",
        "--role",
        "member",
        "--password-stdin",
        stdin="ops-admin-passphrase\n",
    )
    assert code == 0, err
    assert "Added ops (member)." in out
    code, _, err = sfimport(settings, "users", "add", "short", "--password-stdin", stdin="1234\n")
    assert code == 2 and "shorter than 12 characters" in err
    code, out, _ = sfimport(settings, "users", "set-role", "ops", "viewer")
    assert "ops is now viewer." in out
    code, out, _ = sfimport(settings, "users", "token", "ops", "--label", "nightly")
    assert out.startswith("sfi_")
    code, out, _ = sfimport(settings, "users", "list", "--json")
    assert json.loads(out)["users"] == [{"name": "ops", "role": "viewer"}]
    code, _, err = sfimport(settings, "users", "set-role", "ops", "owner")
    assert code == 2 and "There is no role 'owner'" in err
    assert sfimport(settings, "users", "remove", "ops")[0] == 0
    code, out, _ = sfimport(settings, "users", "list")
    assert "No users yet" in out
    actions = [(e["action"], e["target"], e["detail"]) for e in audit(settings)]
    assert actions[:4] == [
        ("user.remove", "ops", None),
        ("token.issue", "ops", "nightly"),
        ("user.set_role", "ops", "member -> viewer"),
        ("user.add", "ops", "role member"),
    ]
    assert all(e["actor"].startswith("cli:") for e in audit(settings))


def test_the_last_admin_cannot_be_removed_or_demoted(
    settings: Settings, tokens: dict[str, str]
) -> None:
    code, _, err = sfimport(settings, "users", "remove", "ada")
    assert code == 2
    assert "'ada' is the last admin" in err
    code, _, err = sfimport(settings, "users", "set-role", "ada", "member")
    assert code == 2
    code, out, _ = sfimport(settings, "users", "list", "--json")
    assert {u["name"]: u["role"] for u in json.loads(out)["users"]}["ada"] == "admin"


def test_users_need_team_mode(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "users", "list"])
    assert result.exit_code == 2
    assert "Error: Users and roles exist in team mode only" in result.stderr
    assert "Fix: Set SFIMPORT_DATABASE_URL" in result.stderr


def test_a_team_login_and_logout_each_rotate_the_session_id(web: TestClient) -> None:
    # A session cookie planted before login (session fixation) is dead once someone logs in.
    web.get("/login")
    planted = web.cookies["sfimport_session"]
    assert log_in(web, "max") == 303
    logged_in = web.cookies["sfimport_session"]
    assert logged_in != planted
    with TestClient(web.app, base_url="http://127.0.0.1:8000") as attacker:
        attacker.cookies.set("sfimport_session", planted)
        assert attacker.get("/mydata", follow_redirects=False).status_code == 303
    token = CSRF.search(web.get("/mydata").text)
    assert token
    out = web.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    assert web.cookies["sfimport_session"] != logged_in
