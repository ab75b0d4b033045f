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
    tile = page.split('<a class="tile" href="/connections">')[1].split("</a>")[0]
    assert "<svg" in tile and "<span>Salesforce</span>" in tile  # its own drawing, no image host


def test_every_page_links_a_favicon_that_is_served(client: TestClient) -> None:
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/data").text
    for path in ("/static/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.text.startswith("<svg")
