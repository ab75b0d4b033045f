"""Served beyond loopback, only holders of the access token get in; on loopback nothing changes."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfimport.settings import Settings
from sfimport.web import create_app
from sfimport.web.access import issue_access_token
from tests.fakes.services import FakeServices
from tests.web.conftest import CSRF, csrf_of


def _client(settings: Settings) -> TestClient:
    workspace = FakeServices(settings)
    app = create_app(settings, workspace=workspace, scheduler_interval=None)
    return TestClient(app, base_url="http://127.0.0.1:8000")


@pytest.fixture
def network_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, secret_key="k", host="0.0.0.0")


@pytest.fixture
def token(network_settings: Settings) -> str:
    issued = issue_access_token(network_settings)
    assert issued is not None
    return issued


@pytest.fixture
def network(network_settings: Settings, token: str) -> Iterator[TestClient]:
    with _client(network_settings) as client:
        yield client


def test_pages_send_a_browser_to_the_login_page_first(network: TestClient) -> None:
    response = network.get("/mydata?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fmydata%3Fx%3D1"
    login = network.get(response.headers["location"])
    assert login.status_code == 200
    assert 'name="token"' in login.text and 'type="password"' in login.text


def test_the_api_without_the_token_is_401_with_a_problem_body(network: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = network.get("/api/connections", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["kind"] == "unauthorized"
    assert network.post("/api/query", json={"sql": "SELECT 1"}).status_code == 401


def test_a_script_gets_in_with_the_bearer_token(network: TestClient, token: str) -> None:
    response = network.get("/api/connections", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_logging_in_with_the_token_opens_every_page(network: TestClient, token: str) -> None:
    page = network.get("/login?next=/runs")
    csrf = CSRF.search(page.text)
    assert csrf
    wrong = network.post(
        "/login", data={"csrf_token": csrf.group(1), "token": "nope", "next": "/runs"}
    )
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    assert network.get("/data", follow_redirects=False).status_code == 303
    right = network.post(
        "/login",
        data={"csrf_token": csrf.group(1), "token": token, "next": "/runs"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/runs"
    assert network.get("/data", follow_redirects=False).status_code == 200
    assert network.get("/api/connections").status_code == 200  # the session's own browser


def test_after_login_the_app_never_sends_the_browser_to_another_site(
    network: TestClient, token: str
) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        # Each login rotates the session and its CSRF token: read the current one.
        csrf = CSRF.search(network.get("/login").text)
        assert csrf
        response = network.post(
            "/login",
            data={"csrf_token": csrf.group(1), "token": token, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/data"


def test_only_the_tokens_hash_is_stored_privately(
    network_settings: Settings, token: str, tmp_path: Path
) -> None:
    stored = tmp_path / "access.json"
    assert token not in stored.read_text()
    assert json.loads(stored.read_text())["accounts"][0]["name"] == "owner"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert issue_access_token(network_settings) != token  # a fresh one at every start


def test_served_to_the_network_without_a_token_nobody_gets_in(
    network_settings: Settings,
) -> None:
    with _client(network_settings) as client:
        refused = client.get("/api/connections", headers={"Authorization": "Bearer x"})
        assert refused.status_code == 401
        assert client.get("/api/connections").status_code == 401


def test_the_host_check_stays_meaningful_on_every_interface(
    network: TestClient, token: str
) -> None:
    # Bound to 0.0.0.0, a DNS-rebinding page still sends its own Host name: refused.
    rebinding = network.get(
        "/api/connections",
        headers={"Host": "attacker.example", "Authorization": f"Bearer {token}"},
    )
    assert rebinding.status_code == 400


def test_extra_host_names_can_be_allowed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="k", host="0.0.0.0", web_hosts="sf.example")
    token = issue_access_token(settings)
    with _client(settings) as client:
        response = client.get(
            "/api/connections", headers={"Host": "sf.example", "Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200


def test_on_loopback_no_token_is_needed_or_made(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="k")
    assert issue_access_token(settings) is None
    with _client(settings) as client:
        assert client.get("/data").status_code == 200
        assert client.get("/api/connections").status_code == 200


def test_logging_in_rotates_the_session_id_so_a_planted_cookie_gets_nothing(
    network: TestClient, token: str
) -> None:
    # An attacker who planted their own session cookie in the victim's browser (session
    # fixation) must not ride the victim's login: the id that logged in is a new one.
    page = network.get("/login?next=/runs")
    planted = network.cookies["sfimport_session"]
    csrf = CSRF.search(page.text)
    assert csrf
    right = network.post(
        "/login",
        data={"csrf_token": csrf.group(1), "token": token, "next": "/runs"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert "sfimport_session=" in right.headers["set-cookie"]
    fresh = network.cookies["sfimport_session"]
    assert fresh != planted
    assert network.get("/data", follow_redirects=False).status_code == 200
    # The CSRF token the planted session exposed is replaced too.
    assert csrf_of(network) != csrf.group(1)
    # The attacker's browser, on the same server, still holding the planted cookie.
    with TestClient(network.app, base_url="http://127.0.0.1:8000") as attacker:
        attacker.cookies.set("sfimport_session", planted)
        assert attacker.get("/data", follow_redirects=False).status_code == 303
        assert attacker.get("/api/connections").status_code == 401
