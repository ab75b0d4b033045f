"""Every error of the spec's table, and the others, shown in plain words with a remedy."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sfimport.errors import (
    ApiDisabled,
    ConnectionFailed,
    DailyLimitExceeded,
    FieldUnavailable,
    InsufficientAccess,
    SfimportError,
    StoreBusy,
    TransientError,
)
from tests.fakes.services import FakeServices
from tests.web.conftest import connect


@pytest.mark.parametrize(
    ("error", "status", "title", "remedy_words", "fix"),
    [
        (
            ApiDisabled("API is disabled for this user", error_code="API_DISABLED_FOR_ORG"),
            403,
            "API access is not enabled",
            "API Enabled",
            "Try again",
        ),
        (
            FieldUnavailable("No such column 'Rating' on entity 'Lead'", field="Rating"),
            409,
            "A field is no longer available",
            "re-import the data set fresh",
            None,
        ),
        (
            ConnectionFailed("expired access/refresh token"),
            502,
            "cannot reach your Salesforce data",
            "Unblock the app",
            "Re-authorise",
        ),
        (
            InsufficientAccess("Run Reports is missing"),
            403,
            "lacks a permission",
            "missing permission",
            "Try again",
        ),
        (
            DailyLimitExceeded("TotalRequests Limit exceeded."),
            429,
            "daily API limit",
            "resume automatically",
            None,
        ),
        (
            TransientError("Service unavailable"),
            502,
            "Salesforce returned an error",
            "retries",
            "Try again",
        ),
        (StoreBusy("locked"), 503, "My Data is busy", "try again in a moment", "Try again"),
    ],
)
def test_each_error_has_a_plain_page_with_its_remedy(
    client: TestClient,
    workspace: FakeServices,
    error: SfimportError,
    status: int,
    title: str,
    remedy_words: str,
    fix: str | None,
) -> None:
    connect(client)
    workspace.catalog_error = error
    page = client.get("/import/Sales org/select")
    assert page.status_code == status
    assert title in page.text
    assert error.message.replace("'", "&#39;") in page.text
    assert remedy_words in page.text
    # One primary button, and it acts on the stated cause (or none when only waiting helps).
    primary = re.findall(r'class="(?:button )?primary"[^>]*>([^<]+)<', page.text)
    assert primary == ([fix] if fix else []), primary


def test_the_api_returns_errors_as_json_with_kind_and_remedy(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    workspace.catalog_error = ApiDisabled("API is disabled for this user")
    response = client.get("/api/connections/Sales org/objects")
    assert response.status_code == 403
    body = response.json()
    assert body["kind"] == "api_disabled"
    assert "API Enabled" in body["remedy"]


def test_an_unknown_page_is_a_friendly_404(client: TestClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert "Page not found" in page.text
