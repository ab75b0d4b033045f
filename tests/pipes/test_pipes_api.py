"""Pipes in the JSON API: create, list, preview, run, lineage and delete with typed answers, and
refusals as problem+json with the pipe's own kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from sfimport.web import create_app

DEFINITION = (
    'name = "Stages"\n'
    'sql = "SELECT StageName, sum(Amount) AS Amount FROM Sales.Opportunity GROUP BY 1"\n'
)


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    app = create_app(workspace.settings, workspace=workspace, scheduler_interval=None)
    yield TestClient(app, base_url="http://127.0.0.1:8000")


def test_a_script_creates_previews_runs_and_deletes_a_pipe(client: TestClient) -> None:
    preview = client.post("/api/pipes/preview", json={"definition": DEFINITION, "limit": 1})
    assert preview.status_code == 200, preview.text
    assert len(preview.json()["rows"]) == 1
    assert [c["name"] for c in preview.json()["columns"]] == ["StageName", "Amount"]

    created = client.post("/api/pipes", json={"definition": DEFINITION})
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["rows"]) == ("complete", 3)
    listed = client.get("/api/pipes").json()
    assert [p["qualified"] for p in listed["items"]] == ["Pipes.Stages"]
    assert client.get("/api/datasets/Pipes.Stages").json()["kind"] == "pipe"
    ran = client.post("/api/pipes/Pipes.Stages/run")
    assert ran.json()["trigger"] == "manual"
    lineage = client.get("/api/lineage/Sales.Opportunity").json()
    assert lineage["downstream"] == ["Pipes.Stages"]
    detail = client.get("/api/pipes/Pipes.Stages").json()
    assert detail["info"]["version"] == 1 and detail["steps"] == ["sql"]
    assert client.delete("/api/pipes/Pipes.Stages").json() == {"removed": "Pipes.Stages"}
    assert client.get("/api/pipes/Pipes.Stages").status_code == 404


def test_a_refused_definition_is_a_problem_with_its_remedy(client: TestClient) -> None:
    answer = client.post(
        "/api/pipes", json={"definition": 'name = "X"\nsql = "DROP TABLE Sales.Account"\n'}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["kind"] == "pipe_invalid"
    assert "DROP" in body["detail"] and body["remedy"]


def test_the_pipe_routes_are_typed_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    created = paths["/api/pipes"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"]["$ref"].endswith("/PipeRun")
    assert "/api/lineage/{name}" in paths and "/api/pipes/preview" in paths
