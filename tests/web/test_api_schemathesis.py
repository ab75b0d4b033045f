"""Schemathesis against the real app and engine: whatever a script sends, the API answers with
a documented status, a documented content type and a body that matches its schema, and never
with a server error. Bounded (a few examples per operation) and derandomized (a fixed seed).

Salesforce is a stand-in that refuses every token (no network): connecting fails cleanly.
"""

from __future__ import annotations

from pathlib import Path

import httpx2
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sfimport.app.workspace import Workspace
from sfimport.settings import Settings
from sfimport.store.mydata import MyData
from sfimport.web import create_app
from tests.store.conftest import publication, rows, stage


def _salesforce_refuses(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        400, json={"error": "invalid_grant", "error_description": "expired access/refresh token"}
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Examples generated per operation: bounded, so the test stays well under a minute.
EXAMPLES = 6


def test_the_api_keeps_its_contract(tmp_path: Path) -> None:
    # Schemathesis calls the app as "testserver" (Starlette's test client).
    config = Settings(
        home=tmp_path, client_id="3MVG9-test", client_secret="s", web_hosts="testserver"
    )
    # One data set in My Data, so lists, previews and queries answer real rows to check.
    mydata = MyData.for_data_dir(tmp_path)
    mydata.publish(stage(mydata, [rows(("1", "Acme", 10, 1))]), publication())
    workspace = Workspace(
        config, transport=httpx2.MockTransport(_salesforce_refuses), sleep=lambda s: None
    )
    try:
        app = create_app(config, workspace=workspace, scheduler_interval=None)
        # Not entered: the app's shutdown would stop the query gate for the rest of the test.
        listed = TestClient(app, base_url="http://testserver").get("/api/datasets").json()["items"]
        assert [(d["folder"], d["name"]) for d in listed] == [("Sales", "Account")]
        api = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in api.get_all_operations()]
        assert len(operations) > 25
        for operation in operations:

            @seed(0)
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            @given(case=operation.as_strategy())
            def keeps_contract(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS)

            keeps_contract()
    finally:
        workspace.close()
