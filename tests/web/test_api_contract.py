"""The JSON API as a contract: typed schemas, documented errors, list envelopes with a cursor,
and a script can do everything the pages do."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fakes.services import SECRET_TOKEN, FakeServices, failed_field_run
from tests.web.conftest import connect


def _bare_objects(node: Any, where: str = "") -> list[str]:
    """Places in a schema that say only {"type": "object"}: a body nobody can check."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and not (
            node.get("properties") or node.get("additionalProperties") or node.get("$ref")
        ):
            found.append(where)
        for key, value in node.items():
            found += _bare_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _bare_objects(value, f"{where}/{i}")
    return found


def test_every_api_answer_has_a_typed_schema_and_its_errors_are_documented(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    assert _bare_objects(document) == []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [s for s in responses if s.startswith("2")]
            assert success, f"{method} {path}"
            for status in success:
                content = responses[status].get("content", {})
                schemas = [c.get("schema", {}) for c in content.values()]
                assert schemas and all(schemas), f"{method} {path} {status}"
            if path.startswith("/api/"):
                for status in ("400", "404", "422", "500", "503"):
                    problem = responses[status]["content"]["application/problem+json"]
                    assert problem["schema"]["$ref"].endswith("/Problem"), f"{method} {path}"
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "kind", "remedy", "retryable"} <= set(problem)


def test_lists_come_in_an_envelope_with_a_cursor_for_the_next_page(
    client: TestClient, workspace: FakeServices
) -> None:
    for name in ("A", "B", "C"):
        connect(client, name)
    first = client.get("/api/connections?limit=2").json()
    assert [c["name"] for c in first["items"]] == ["A", "B"]
    assert first["next_cursor"]
    second = client.get(f"/api/connections?limit=2&cursor={first['next_cursor']}").json()
    assert [c["name"] for c in second["items"]] == ["C"]
    assert second["next_cursor"] is None
    for path in ("/api/runs", "/api/datasets", "/api/schedules", "/api/connections/A/objects"):
        body = client.get(path).json()
        assert set(body) == {"items", "next_cursor"}, path
    forged = client.get("/api/connections?cursor=not-a-cursor")
    assert forged.status_code == 400
    assert forged.json()["kind"] == "usage"


def test_a_script_connects_with_a_refresh_token_and_reauthorises(
    client: TestClient, workspace: FakeServices
) -> None:
    made = client.post("/api/connections", json={"name": "Headless", "refresh_token": SECRET_TOKEN})
    assert made.status_code == 201
    assert "Headless" in workspace.connections
    assert SECRET_TOKEN not in made.text
    refused = client.post("/api/connections", json={"name": "Bad", "refresh_token": "nope"})
    assert refused.status_code == 403
    assert refused.json()["kind"] == "authorization_denied"
    again = client.post(
        "/api/connections/Headless/reauthorize", json={"refresh_token": SECRET_TOKEN}
    )
    assert again.status_code == 200
    assert again.json()["reauthorized"] is True
    browser = client.post("/api/connections/Headless/reauthorize")  # no body: a browser login
    assert browser.status_code == 200
    assert "/services/oauth2/authorize?" in browser.json()["authorize_url"]


def test_a_script_resumes_resolves_downloads_and_schedules(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    spec = {"connection": "Sales org", "folder": "Sales", "objects": [{"name": "Lead"}]}
    assert client.post("/api/runs", json=spec).status_code == 202
    run_id = failed_field_run(workspace, "Sales.Lead")
    resolved = client.post(f"/api/runs/{run_id}/resolve", json={"action": "reimport"})
    assert resolved.status_code == 202
    stopped = failed_field_run(workspace, "Sales.Lead")
    assert client.post(f"/api/runs/{stopped}/resume").status_code == 202
    assert stopped in workspace.resumed
    download = client.get("/api/datasets/Sales.Lead/export?format=csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text.startswith("Id,Name")
    assert client.post("/api/datasets/Sales.Lead/schedule", json={"every": "1d"}).status_code == 200
    listed = client.get("/api/schedules").json()["items"]
    assert [s["dataset"] for s in listed] == ["Sales.Lead"]
    assert client.delete("/api/schedules/Sales.Lead").status_code == 200
    assert client.get("/api/schedules").json()["items"] == []
