"""The web app factory serves its home page and health check."""

from pathlib import Path

from fastapi.testclient import TestClient

from sfimport.settings import Settings
from sfimport.web import create_app


def test_home_page_names_the_product(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(home=tmp_path)))
    response = client.get("/")
    assert response.status_code == 200
    assert "sfimport" in response.text


def test_health_check_reports_ok(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(home=tmp_path)))
    assert client.get("/healthz").json()["status"] == "ok"
