"""The web app factory serves its pages, static files and health check."""

from fastapi.testclient import TestClient


def test_home_page_leads_to_the_data_tab_with_import_data(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.url.path == "/data"
    assert "Import data" in response.text
    assert "sfimport" in response.text


def test_health_check_reports_ok(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_stylesheet_and_script_are_served(client: TestClient) -> None:
    assert client.get("/static/app.css").status_code == 200
    assert "pollRun" in client.get("/static/app.js").text


def test_source_page_offers_salesforce_under_third_party_sources(client: TestClient) -> None:
    page = client.get("/import").text
    assert "Third party sources" in page
    assert 'href="/connections">Salesforce<' in page
