"""The JSON API: the same actions as the pages, described by the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes.services import FakeServices
from tests.web.conftest import connect


def test_openapi_describes_connections_catalog_plans_runs_and_datasets(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/connections",
        "/api/connections/{name}/objects",
        "/api/plans",
        "/api/runs",
        "/api/runs/{run_id}/events",
        "/api/datasets",
        "/api/datasets/{name}/preview",
        "/api/query",
    ):
        assert path in paths, path
    assert not any(p.startswith("/import") for p in paths)  # pages stay out of the API doc


def test_a_script_can_plan_start_and_follow_an_import(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    spec = {
        "connection": "Sales org",
        "folder": "Sales",
        "objects": [{"name": "Lead"}],
        "conceal": {"Lead": None},
    }
    plan = client.post("/api/plans", json=spec).json()
    assert plan["datasets"][0]["expected_rows"] == 250
    assert plan["datasets"][0]["concealed"] == ["Name", "Email"]
    run_id = client.post("/api/runs", json=spec).json()["run_id"]
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "complete"
    names = [d["qualified"] for d in client.get("/api/datasets").json()["items"]]
    assert names == ["Sales.Lead"]
    preview = client.get("/api/datasets/Sales.Lead/preview").json()
    assert preview["columns"][0] == {"name": "Id", "type": "VARCHAR"}


def test_an_invalid_spec_is_a_usage_error(client: TestClient) -> None:
    connect(client)
    response = client.post("/api/plans", json={"connection": "Sales org", "folder": "S"})
    assert response.status_code == 400
    assert "at least one object or report" in response.json()["message"]


def test_authorize_returns_the_salesforce_url_for_a_browser(client: TestClient) -> None:
    body = client.post("/api/connections/authorize", json={"name": "Scripted"}).json()
    assert body["authorize_url"].startswith("https://login.salesforce.com/")


def test_a_read_only_query_over_the_api(client: TestClient) -> None:
    body = client.post("/api/query", json={"sql": "select 42 as n"}).json()
    assert body["rows"] == [[42]]


def test_api_errors_are_rfc_9457_problems_keeping_kind_remedy_and_retryable(
    client: TestClient,
) -> None:
    cases = [
        (client.get("/api/connections/Nope"), 404, "not_found"),
        (client.post("/api/plans", json={"connection": 1}), 422, "usage"),
        (client.delete("/api/query"), 405, "method_not_allowed"),
        (client.post("/api/query", data={"sql": "x"}), 415, "unsupported_media_type"),
        (client.get("/api/nothing-here"), 404, "not_found"),
    ]
    for response, status, kind in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert body["type"] == f"urn:sfimport:problem:{kind}"
        assert body["title"] and body["detail"]
        assert body["kind"] == kind
        assert isinstance(body["remedy"], str) and isinstance(body["retryable"], bool)


def test_docs_are_served_from_the_app_itself(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # nothing from outside
    assert "<script>" not in page.text  # no inline script: the CSP stays strict
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert client.get(asset).status_code == 200, asset
    assert "SwaggerUIBundle" in client.get("/static/docs.js").text
