"""Trust checks of the web app and the JSON API on the real engine and the emulator: login
hosts outside Salesforce and malformed URLs are refused with a 400, never a redirect or a 500."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sfimport.app.workspace import Workspace
from tests.salesforce.emulated import Emulated, demo_user
from tests.web.conftest import csrf_of

BAD_LOGIN_URLS = [
    "https://evil.example",
    "https://169.254.169.254",
    "javascript:alert(1)",
    "https://x:1:2",
    f"https://{'a' * 300}.my.salesforce.com",
    "https://acme\u200b.my.salesforce.com",
]


@pytest.mark.parametrize("login_url", BAD_LOGIN_URLS)
def test_the_connection_form_refuses_foreign_or_malformed_login_urls(
    engine_client: TestClient, engine: Workspace, login_url: str
) -> None:
    response = engine_client.post(
        "/connections/new",
        data={
            "csrf_token": csrf_of(engine_client, "/connections/new"),
            "name": "x",
            "login_url": login_url,
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Salesforce login" in response.text or "is not a valid" in response.text
    assert engine.list_connections() == []


@pytest.mark.parametrize("login_url", BAD_LOGIN_URLS)
def test_the_api_refuses_foreign_or_malformed_login_urls(
    engine_client: TestClient, login_url: str
) -> None:
    response = engine_client.post(
        "/api/connections/authorize", json={"name": "x", "login_url": login_url}
    )
    assert response.status_code == 400
    assert response.json()["kind"] == "usage"
    assert "authorize_url" not in response.json()


# --- conceal targets ------------------------------------------------------------------------


@pytest.fixture
def demo(engine: Workspace, emulated: Emulated) -> str:
    engine.connect_with_refresh_token("demo", emulated.refresh_token_for(demo_user("admin")))
    return "demo"


@pytest.mark.parametrize("path", ["/api/runs", "/api/plans"])
def test_the_api_refuses_an_unknown_conceal_target(
    engine_client: TestClient, engine: Workspace, demo: str, path: str
) -> None:
    spec = {"connection": demo, "folder": "Sales", "objects": [{"name": "Lead"}]}
    response = engine_client.post(path, json={**spec, "conceal": {"Leads": None}})
    assert response.status_code == 400, response.text
    assert "Cannot conceal 'Leads'" in response.text and "Did you mean 'Lead'?" in response.text
    assert engine.list_datasets() == []
    assert engine.list_runs() == []


def test_the_obfuscate_form_refuses_an_unknown_data_set(
    engine_client: TestClient, engine: Workspace, demo: str
) -> None:
    selected = engine_client.post(
        f"/import/{demo}/select",
        data={
            "csrf_token": csrf_of(engine_client, f"/import/{demo}/select"),
            "object": "Lead",
            "shown_object": "Lead",
            "folder": "__new__",
            "new_folder": "Sales",
        },
        follow_redirects=False,
    )
    assert selected.status_code == 303, selected.text
    response = engine_client.post(
        f"/import/{demo}/obfuscate",
        data={
            "csrf_token": csrf_of(engine_client, f"/import/{demo}/obfuscate"),
            "conceal": "Leads",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "Did you mean" in response.text and "Leads" in response.text
    assert engine.list_runs() == []


# --- start dates ----------------------------------------------------------------------------


def test_the_api_refuses_an_out_of_range_start_date(engine_client: TestClient, demo: str) -> None:
    spec = {"connection": demo, "folder": "Sales", "objects": [{"name": "Lead"}]}
    response = engine_client.post("/api/plans", json={**spec, "start_date": "0001-01-01"})
    assert response.status_code == 400, response.text
    assert "out of range" in response.text


def test_the_select_form_refuses_an_out_of_range_start_date(
    engine_client: TestClient, demo: str
) -> None:
    response = engine_client.post(
        f"/import/{demo}/select",
        data={
            "csrf_token": csrf_of(engine_client, f"/import/{demo}/select"),
            "object": "Lead",
            "shown_object": "Lead",
            "folder": "__new__",
            "new_folder": "Sales",
            "start_date": "0001-01-01",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "out of range" in response.text


# --- the API budget, the same on the Review page and in the API ------------------------------


def test_the_review_and_the_api_state_the_budget_the_same_way(
    engine_client: TestClient, demo: str
) -> None:
    spec = {"connection": demo, "folder": "Sales", "objects": [{"name": "Lead"}]}
    plan = engine_client.post("/api/plans", json={**spec, "budget_percent": 50}).json()
    assert plan["budget_percent"] == 50
    assert plan["api_calls_planning"] == 3  # the limits read, describe, COUNT()
    assert plan["budget_calls"] == 7500 - (15000 - plan["api_remaining"])
    schema = engine_client.get("/openapi.json").json()["components"]["schemas"]["SpecBody"]
    assert "daily API maximum" in schema["properties"]["budget_percent"]["description"]
    engine_client.post(
        f"/import/{demo}/select",
        data={
            "csrf_token": csrf_of(engine_client, f"/import/{demo}/select"),
            "object": "Lead",
            "shown_object": "Lead",
            "folder": "__new__",
            "new_folder": "Sales",
        },
    )
    page = engine_client.get(f"/import/{demo}/review").text
    assert "Budget: the org&#39;s usage may reach 80% of its daily API maximum of 15,000" in page
    assert "3 of them were already made to plan it" in page


# --- why each column is concealed by default -------------------------------------------------


def test_the_obfuscate_page_says_why_each_column_is_concealed(
    engine_client: TestClient, engine: Workspace, demo: str
) -> None:
    engine_client.post(
        f"/import/{demo}/select",
        data={
            "csrf_token": csrf_of(engine_client, f"/import/{demo}/select"),
            "object": "Contact",
            "shown_object": "Contact",
            "folder": "__new__",
            "new_folder": "Sales",
        },
    )
    page = engine_client.get(f"/import/{demo}/obfuscate").text
    rows = dict(re.findall(r"<tr><td><code>(\w+)</code></td><td>([^<]*)</td>", page))
    assert rows["Birthdate"] == "the org classifies it Restricted / PII, GDPR"
    assert rows["Title"] == "the org classifies it Confidential / GDPR"
    assert rows["MailingCity"] == "a part of an address"
    assert "Department" not in rows and "Id" not in rows
    reasons = engine.default_concealment_reasons(demo, "Contact")
    assert list(reasons) == list(rows)
